//! The parsed view of an `#[rpc]` trait. Keeps the original syntax nodes so
//! errors point at the user's tokens, and keeps docs, names and types per
//! method and argument (for the client today, generated API docs later).

use proc_macro2::{Span, TokenStream};
use syn::{
    Attribute, FnArg, Ident, ItemTrait, LitStr, Pat, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::attr::{self, MethodArgs, ParamStyle, TraitArgs};
use crate::errors::Errors;
use crate::subscription::{pending_item, Pending};

/// The trait and everything declared on it.
pub(crate) struct Api {
    pub(crate) original: ItemTrait,
    pub(crate) args: TraitArgs,
    pub(crate) methods: Vec<Method>,
}

/// One trait method.
pub(crate) struct Method {
    pub(crate) original: TraitItemFn,
    pub(crate) ident: Ident,
    /// `#[doc]` attributes, carried onto the client method.
    pub(crate) docs: Vec<Attribute>,
    /// `#[deprecated]`, carried onto the client method.
    pub(crate) deprecated: Vec<Attribute>,
    pub(crate) attrs: MethodArgs,
    pub(crate) is_async: bool,
    /// The `&Context` argument, if any: its position among the arguments
    /// after the receiver, and the argument.
    pub(crate) context: Option<(usize, syn::PatType)>,
    /// The `PendingSubscription<T>` argument, if any (a `#[subscription]`
    /// takes one, first).
    pub(crate) pending: Option<Pending>,
    /// The arguments sent as JSON params.
    pub(crate) args: Vec<Arg>,
    pub(crate) output: Output,
}

/// One JSON parameter.
pub(crate) struct Arg {
    pub(crate) original: syn::PatType,
    /// The argument's name; `None` for a pattern (rejected in validation).
    pub(crate) ident: Option<Ident>,
    pub(crate) ty: Type,
    pub(crate) rename: Option<LitStr>,
    /// `#[param(variadic)]`: given positionally, this (last) argument takes
    /// every remaining param.
    pub(crate) variadic: Option<Span>,
    /// `///` comments on the argument, for the API document.
    pub(crate) docs: Vec<Attribute>,
    /// `#[param(doc = "..")]`, the same as a `///` comment.
    pub(crate) doc: Option<LitStr>,
}

/// What a method returns.
pub(crate) enum Output {
    /// Nothing (or `()`): sent as `null`.
    Unit,
    /// Any `T`: the method cannot fail with an application error.
    Plain(Box<Type>),
    /// A type whose last path segment is `Result` (`Result<T, E>`, a crate's
    /// `Result<T>` alias, `io::Result<T>`...): `core::result::Result<T, E>`
    /// for the compiler to confirm. `ok` and `err` are `T` and `E` found
    /// through the type system (`<ret as Fallible>::Ok` and `::Err`), not the
    /// syntax, spanned at the argument written for them (else at `ret`), so a
    /// type that cannot cross the wire is reported there.
    Fallible {
        ret: Box<Type>,
        ok: Box<Type>,
        err: Box<Type>,
    },
}

impl Api {
    pub(crate) fn parse(attr: TokenStream, item: ItemTrait, errors: &mut Errors) -> Self {
        let args = attr::parse_trait_args(attr, errors);
        let mut methods = Vec::new();
        for trait_item in &item.items {
            match trait_item {
                TraitItem::Fn(f) => methods.push(Method::parse(f, errors)),
                other => errors.at(
                    other,
                    "an #[rpc] trait holds only methods; move other items to another trait",
                ),
            }
        }
        Self {
            original: item,
            args,
            methods,
        }
    }

    pub(crate) fn has_server(&self) -> bool {
        self.args.client_only.is_none()
    }

    pub(crate) fn has_client(&self) -> bool {
        self.args.server_only.is_none()
    }

    /// `math` + `.` + `add`, or `add` without a namespace.
    pub(crate) fn full_name(&self, name: &str) -> String {
        match &self.args.namespace {
            Some(ns) => {
                let sep = self
                    .args
                    .separator
                    .as_ref()
                    .map_or_else(|| ".".to_owned(), LitStr::value);
                format!("{}{sep}{name}", ns.value())
            }
            None => name.to_owned(),
        }
    }
}

impl Method {
    fn parse(f: &TraitItemFn, errors: &mut Errors) -> Self {
        let attrs = attr::parse_method_attrs(&f.attrs, errors);
        let docs = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        let deprecated = f
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("deprecated"))
            .cloned()
            .collect();
        let mut context = None;
        let mut pending = None;
        let mut args = Vec::new();
        for (index, input) in f
            .sig
            .inputs
            .iter()
            .filter(|i| matches!(i, FnArg::Typed(_)))
            .enumerate()
        {
            let FnArg::Typed(pat_type) = input else {
                continue;
            };
            if is_context(&pat_type.ty) && context.is_none() {
                context = Some((index, pat_type.clone()));
                continue;
            }
            if let (Some(item), None) = (pending_item(&pat_type.ty), &pending) {
                pending = Some(Pending {
                    index,
                    original: pat_type.clone(),
                    item: item.clone(),
                });
                continue;
            }
            let param = attr::parse_param_attrs(&pat_type.attrs, errors);
            let ident = match &*pat_type.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Some(p.ident.clone()),
                _ => None,
            };
            args.push(Arg {
                original: pat_type.clone(),
                ident,
                ty: (*pat_type.ty).clone(),
                rename: param.rename,
                variadic: param.variadic,
                doc: param.doc,
                docs: pat_type
                    .attrs
                    .iter()
                    .filter(|a| a.path().is_ident("doc"))
                    .cloned()
                    .collect(),
            });
        }
        Self {
            original: f.clone(),
            ident: f.sig.ident.clone(),
            docs,
            deprecated,
            attrs,
            is_async: f.sig.asyncness.is_some(),
            context,
            pending,
            args,
            output: Output::parse(&f.sig.output),
        }
    }

    pub(crate) fn is_notification(&self) -> bool {
        matches!(self.attrs.marker, Some((attr::Marker::Notification, _)))
    }

    /// The method's own name: `#[method(name)]` or the fn name.
    pub(crate) fn name(&self) -> String {
        self.attrs.name.as_ref().map_or_else(
            || syn::ext::IdentExt::unraw(&self.ident).to_string(),
            LitStr::value,
        )
    }

    /// Where the method's name is written, for errors about it.
    pub(crate) fn name_span(&self) -> Span {
        self.attrs
            .name
            .as_ref()
            .map_or_else(|| self.ident.span(), LitStr::span)
    }

    /// Whether the last argument is variadic.
    pub(crate) fn is_variadic(&self) -> bool {
        self.args.last().is_some_and(|arg| arg.variadic.is_some())
    }

    pub(crate) fn client_params(&self, api: &Api) -> ParamStyle {
        self.attrs
            .client_params
            .or(api.args.client_params)
            .unwrap_or(ParamStyle::Positional)
    }
}

impl Arg {
    /// The JSON name: `#[param(rename)]` or the argument's name.
    pub(crate) fn json_name(&self) -> String {
        match (&self.rename, &self.ident) {
            (Some(rename), _) => rename.value(),
            (None, Some(ident)) => syn::ext::IdentExt::unraw(ident).to_string(),
            (None, None) => String::new(),
        }
    }
}

impl Output {
    fn parse(output: &ReturnType) -> Self {
        let ReturnType::Type(_, ty) = output else {
            return Output::Unit;
        };
        if let Type::Tuple(tuple) = &**ty {
            if tuple.elems.is_empty() {
                return Output::Unit;
            }
        }
        if let Some(args) = result_args(ty) {
            // `Result<T, E>` as written: `T` and `E` are the arguments (the
            // server confirms that the type is `core::result::Result`, so a
            // type of another kind cannot pass for one). Any other form (an
            // alias): `T` and `E` through the type system.
            let (ok, err) = match <[Type; 2]>::try_from(args) {
                Ok([ok, err]) => (ok, err),
                Err(args) => (
                    fallible_part(ty, "Ok", args.first().unwrap_or(ty)),
                    fallible_part(ty, "Err", ty),
                ),
            };
            return Output::Fallible {
                ret: ty.clone(),
                ok: Box::new(ok),
                err: Box::new(err),
            };
        }
        Output::Plain(ty.clone())
    }

    /// The success type (`()` for unit).
    pub(crate) fn ok_type(&self) -> Type {
        match self {
            Output::Unit => syn::parse_quote!(()),
            Output::Plain(ty) | Output::Fallible { ok: ty, .. } => (**ty).clone(),
        }
    }
}

/// The type arguments of a path whose last segment is `Result`, whatever
/// their number (none for a bare `Result` alias); `None` for any other type.
pub(crate) fn result_args(ty: &Type) -> Option<Vec<Type>> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Some(Vec::new());
    };
    Some(
        args.args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
    )
}

/// The spans of the first and last tokens of `tokens`: code spanned from
/// one to the other is reported across all of `tokens` (`Span::join` is not
/// stable).
pub(crate) fn first_and_last_span(tokens: &impl quote::ToTokens) -> (Span, Span) {
    let tokens: Vec<proc_macro2::TokenTree> = tokens.to_token_stream().into_iter().collect();
    let first = tokens
        .first()
        .map_or_else(Span::call_site, proc_macro2::TokenTree::span);
    let last = tokens.last().map_or(first, proc_macro2::TokenTree::span);
    (first, last)
}

/// `<ret as ::rpc_runtime::__private::Fallible>::{assoc}`, its first and
/// last tokens spanned at the first and last tokens of `at`: errors about
/// it (and about what is built from it) point at `at`.
fn fallible_part(ret: &Type, assoc: &str, at: &Type) -> Type {
    let (first, last) = first_and_last_span(at);
    let assoc = Ident::new(assoc, last);
    let head = quote::quote_spanned!(first=> < #ret as ::rpc_runtime::__private::Fallible >::);
    syn::parse_quote!(#head #assoc)
}

/// `&Context` or `&path::to::Context` (not `&mut`).
pub(crate) fn is_context(ty: &Type) -> bool {
    let Type::Reference(reference) = ty else {
        return false;
    };
    reference.mutability.is_none() && is_context_path(&reference.elem)
}

/// `Context` or `path::to::Context`, without generic arguments.
pub(crate) fn is_context_path(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Context" && s.arguments.is_none())
}

/// The context taken other than as `&Context`: by value, `&mut Context`,
/// `Arc<Context>` (or `Rc`, `Box`), `Option<&Context>`. What to say about it.
pub(crate) fn misused_context(ty: &Type) -> Option<&'static str> {
    if is_context_path(ty) {
        return Some(
            "the context is not a JSON param and is not given away: take it as `ctx: &Context`",
        );
    }
    if let Type::Reference(reference) = ty {
        return (reference.mutability.is_some() && is_context_path(&reference.elem)).then_some(
            "the context is shared, not mutable: take it as `ctx: &Context` (its typed state can use interior mutability)",
        );
    }
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let [syn::GenericArgument::Type(inner)] = args.args.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let wrapper = last.ident.to_string();
    match wrapper.as_str() {
        "Arc" | "Rc" | "Box" if is_context_path(inner) => Some(
            "the context is lent for the call: take it as `ctx: &Context`, and clone it (a cheap handle) to keep it",
        ),
        "Option" if is_context(inner) || is_context_path(inner) => Some(
            "every call has a context: take it as `ctx: &Context`, not in an `Option`",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use quote::ToTokens as _;
    use syn::parse_quote;

    use super::*;

    fn output(ty: Type) -> String {
        match Output::parse(&parse_quote!(-> #ty)) {
            Output::Unit => "unit".to_owned(),
            Output::Plain(ty) => format!("plain {}", ty.to_token_stream()),
            Output::Fallible { ret, ok, err } => format!(
                "fallible {} ok {} err {}",
                ret.to_token_stream(),
                ok.to_token_stream(),
                err.to_token_stream()
            ),
        }
    }

    #[test]
    fn any_result_is_fallible_whatever_its_path_and_arguments() {
        let fallible = |ty: &str| {
            format!("fallible {ty} ok < {ty} as :: rpc_runtime :: __private :: Fallible > :: Ok err < {ty} as :: rpc_runtime :: __private :: Fallible > :: Err")
        };
        assert_eq!(
            output(parse_quote!(Result<i64, E>)),
            "fallible Result < i64 , E > ok i64 err E"
        );
        assert_eq!(
            output(parse_quote!(std::result::Result<Vec<u8>, my::Error>)),
            "fallible std :: result :: Result < Vec < u8 > , my :: Error > ok Vec < u8 > err my :: Error"
        );
        assert_eq!(
            output(parse_quote!(anyhow::Result<i64>)),
            fallible("anyhow :: Result < i64 >")
        );
        assert_eq!(
            output(parse_quote!(io::Result<()>)),
            fallible("io :: Result < () >")
        );
        assert_eq!(output(parse_quote!(Result)), fallible("Result"));
        assert_eq!(output(parse_quote!(Option<i64>)), "plain Option < i64 >");
        assert_eq!(
            output(parse_quote!(Option<Result<i64>>)),
            "plain Option < Result < i64 > >"
        );
        assert_eq!(output(parse_quote!(())), "unit");
        assert!(matches!(Output::parse(&ReturnType::Default), Output::Unit));
    }

    #[test]
    fn only_a_reference_to_a_context_path_is_the_context() {
        assert!(is_context(&parse_quote!(&Context)));
        assert!(is_context(&parse_quote!(&rpc_runtime::Context)));
        assert!(is_context(&parse_quote!(&'a Context)));
        assert!(!is_context(&parse_quote!(Context)));
        assert!(!is_context(&parse_quote!(&str)));
        assert!(!is_context(&parse_quote!(&Context<T>)));
        assert!(!is_context(&parse_quote!(&mut Context)));
    }

    #[test]
    fn the_context_taken_any_other_way_is_a_mistake() {
        for ty in [
            parse_quote!(Context),
            parse_quote!(rpc_runtime::Context),
            parse_quote!(&mut Context),
            parse_quote!(Arc<Context>),
            parse_quote!(std::sync::Arc<rpc_runtime::Context>),
            parse_quote!(Option<&Context>),
        ] {
            assert!(misused_context(&ty).is_some(), "{}", ty.to_token_stream());
        }
        for ty in [
            parse_quote!(&Context),
            parse_quote!(Arc<String>),
            parse_quote!(Option<i64>),
            parse_quote!(Context<T>),
        ] {
            assert!(misused_context(&ty).is_none(), "{}", ty.to_token_stream());
        }
    }

    #[test]
    fn names_follow_rename_namespace_and_separator() {
        let mut errors = Errors::default();
        let item: ItemTrait = parse_quote! {
            trait Api {
                #[method(name = "minus")]
                fn r#sub(&self, #[param(rename = "x")] a: i64, r#type: i64) -> i64;
            }
        };
        let api = Api::parse(
            quote::quote!(namespace = "m", namespace_separator = "_"),
            item,
            &mut errors,
        );
        errors.finish().unwrap();
        let method = &api.methods[0];
        assert_eq!(api.full_name(&method.name()), "m_minus");
        let names: Vec<String> = method.args.iter().map(Arg::json_name).collect();
        assert_eq!(names, ["x", "type"]);
    }
}

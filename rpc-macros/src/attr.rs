//! The macro's own attributes: `#[rpc(..)]` on the trait, `#[method(..)]`,
//! `#[notification(..)]`, `#[subscription(..)]` and `#[rpc(..)]` on
//! methods, `#[param(..)]` on arguments.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::{Attribute, LitStr, Type};

use crate::errors::{unknown_argument, Errors};

/// How the generated client sends a method's params.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamStyle {
    /// A JSON array, in argument order (the default).
    Positional,
    /// A JSON object keyed by each argument's JSON name.
    Named,
}

/// Arguments of `#[rpc(..)]` on the trait.
#[derive(Default)]
pub(crate) struct TraitArgs {
    pub(crate) namespace: Option<LitStr>,
    pub(crate) separator: Option<LitStr>,
    pub(crate) client_params: Option<ParamStyle>,
    pub(crate) server_only: Option<Span>,
    pub(crate) client_only: Option<Span>,
    /// `no_docs`: no OpenRPC documentation for this trait.
    pub(crate) no_docs: Option<Span>,
}

const TRAIT_KEYS: &[&str] = &[
    "namespace",
    "namespace_separator",
    "client_params",
    "server_only",
    "client_only",
    "no_docs",
];

pub(crate) fn parse_trait_args(tokens: TokenStream, errors: &mut Errors) -> TraitArgs {
    let mut args = TraitArgs::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("namespace") {
            args.namespace = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("namespace_separator") {
            args.separator = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("client_params") {
            args.client_params = Some(parse_style(&meta)?);
        } else if meta.path.is_ident("server_only") {
            args.server_only = Some(span_of(&meta));
        } else if meta.path.is_ident("client_only") {
            args.client_only = Some(span_of(&meta));
        } else if meta.path.is_ident("no_docs") {
            args.no_docs = Some(span_of(&meta));
        } else {
            return Err(unknown_argument(&meta.path, TRAIT_KEYS));
        }
        Ok(())
    });
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    args
}

/// Which of the macro's attributes marked a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    Method,
    Notification,
    Subscription,
}

/// What the method-level attributes say.
#[derive(Default)]
pub(crate) struct MethodArgs {
    /// The attribute that marked the method, and where.
    pub(crate) marker: Option<(Marker, Span)>,
    pub(crate) name: Option<LitStr>,
    pub(crate) aliases: Vec<LitStr>,
    pub(crate) blocking: Option<Span>,
    pub(crate) client_params: Option<ParamStyle>,
    /// `#[subscription(unsubscribe = "..")]`: the unsubscribe method's name.
    pub(crate) unsubscribe: Option<LitStr>,
    /// `#[subscription(notification = "..")]`: the items' notification method.
    pub(crate) notification: Option<LitStr>,
    /// `#[subscription(item = T)]`: the type of the items.
    pub(crate) item: Option<Type>,
}

const METHOD_KEYS: &[&str] = &["name", "aliases", "blocking", "client_params"];
const SUBSCRIPTION_KEYS: &[&str] = &[
    "name",
    "unsubscribe",
    "notification",
    "item",
    "client_params",
];
const METHOD_RPC_KEYS: &[&str] = &["client_params"];

/// Whether an attribute belongs to the macro (and is removed from the output).
pub(crate) fn is_method_attr(attr: &Attribute) -> bool {
    ["method", "notification", "subscription", "rpc"]
        .iter()
        .any(|name| attr.path().is_ident(name))
}

pub(crate) fn parse_method_attrs(attrs: &[Attribute], errors: &mut Errors) -> MethodArgs {
    let mut args = MethodArgs::default();
    for attr in attrs {
        let marker = if attr.path().is_ident("method") {
            Marker::Method
        } else if attr.path().is_ident("notification") {
            Marker::Notification
        } else if attr.path().is_ident("subscription") {
            Marker::Subscription
        } else if attr.path().is_ident("rpc") {
            if let Err(error) = parse_args_of(attr, |meta| {
                if meta.path.is_ident("client_params") {
                    args.client_params = Some(parse_style(&meta)?);
                    Ok(())
                } else {
                    Err(unknown_argument(&meta.path, METHOD_RPC_KEYS))
                }
            }) {
                errors.push(error);
            }
            continue;
        } else {
            continue;
        };
        if let Some((_, first)) = args.marker {
            let mut error = syn::Error::new_spanned(
                attr,
                "a method takes one `#[method]`, `#[notification]` or `#[subscription]` attribute",
            );
            error.combine(syn::Error::new(first, "first one here"));
            errors.push(error);
            continue;
        }
        args.marker = Some((marker, span_of_attr(attr)));
        if marker == Marker::Subscription {
            if let Err(error) = parse_args_of(attr, |meta| parse_subscription_key(&mut args, &meta))
            {
                errors.push(error);
            }
            continue;
        }
        if let Err(error) = parse_args_of(attr, |meta| {
            if meta.path.is_ident("name") {
                args.name = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("aliases") {
                let value = meta.value()?;
                let list;
                syn::bracketed!(list in value);
                let names =
                    list.parse_terminated(<LitStr as syn::parse::Parse>::parse, syn::Token![,])?;
                args.aliases.extend(names);
            } else if meta.path.is_ident("blocking") {
                args.blocking = Some(span_of(&meta));
            } else if meta.path.is_ident("client_params") {
                args.client_params = Some(parse_style(&meta)?);
            } else {
                return Err(unknown_argument(&meta.path, METHOD_KEYS));
            }
            Ok(())
        }) {
            errors.push(error);
        }
    }
    args
}

/// One `key = value` of `#[subscription(..)]`.
fn parse_subscription_key(args: &mut MethodArgs, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.path.is_ident("name") {
        args.name = Some(meta.value()?.parse()?);
    } else if meta.path.is_ident("unsubscribe") {
        args.unsubscribe = Some(meta.value()?.parse()?);
    } else if meta.path.is_ident("notification") {
        args.notification = Some(meta.value()?.parse()?);
    } else if meta.path.is_ident("item") {
        args.item = Some(meta.value()?.parse()?);
    } else if meta.path.is_ident("client_params") {
        args.client_params = Some(parse_style(meta)?);
    } else {
        return Err(unknown_argument(&meta.path, SUBSCRIPTION_KEYS));
    }
    Ok(())
}

/// Arguments of `#[param(..)]` on a method argument.
#[derive(Default)]
pub(crate) struct ParamArgs {
    pub(crate) rename: Option<LitStr>,
    /// `variadic`: the last argument takes every remaining positional param.
    pub(crate) variadic: Option<Span>,
    /// `doc = ".."`: the param's description in the API document.
    pub(crate) doc: Option<LitStr>,
}

const PARAM_KEYS: &[&str] = &["rename", "doc", "variadic"];

/// Whether an attribute on an argument is removed from the output: the
/// macro's `#[param]`, and doc comments, which rustc refuses on fn
/// arguments but which the macro turns into the param's description.
pub(crate) fn is_param_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("param") || attr.path().is_ident("doc")
}

pub(crate) fn parse_param_attrs(attrs: &[Attribute], errors: &mut Errors) -> ParamArgs {
    let mut args = ParamArgs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("param")) {
        if let Err(error) = parse_args_of(attr, |meta| {
            if meta.path.is_ident("rename") {
                args.rename = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("doc") {
                args.doc = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("variadic") {
                args.variadic = Some(span_of(&meta));
                Ok(())
            } else {
                Err(unknown_argument(&meta.path, PARAM_KEYS))
            }
        }) {
            errors.push(error);
        }
    }
    args
}

/// Runs `f` on each `key = value` of an attribute; a bare `#[method]` has none.
fn parse_args_of(
    attr: &Attribute,
    f: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(()),
        _ => attr.parse_nested_meta(f),
    }
}

fn parse_style(meta: &ParseNestedMeta<'_>) -> syn::Result<ParamStyle> {
    let value: LitStr = meta.value()?.parse()?;
    match value.value().as_str() {
        "positional" => Ok(ParamStyle::Positional),
        "named" => Ok(ParamStyle::Named),
        other => Err(syn::Error::new_spanned(
            &value,
            format!("unknown params style `{other}`, expected `positional` or `named`"),
        )),
    }
}

fn span_of(meta: &ParseNestedMeta<'_>) -> Span {
    syn::spanned::Spanned::span(&meta.path)
}

fn span_of_attr(attr: &Attribute) -> Span {
    syn::spanned::Spanned::span(attr.path())
}

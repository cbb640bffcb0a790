//! The trait's OpenRPC documentation: code, inside `into_router`, that
//! builds the trait's `ApiDoc` once (in a `static`) and attaches it to the
//! router. Wrapped in `with_openrpc!`, so it vanishes when rpc-runtime is
//! built without its `openrpc` feature.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, Lit, Meta, Type};

use crate::ast::{Api, Arg, Method, Output};
use crate::expand::subscription;
use crate::naming;

/// Statements that attach the trait's doc to the router being built; none
/// for `#[rpc(no_docs)]`.
pub(crate) fn attach(api: &Api) -> TokenStream {
    if api.args.no_docs.is_some() {
        return TokenStream::new();
    }
    let router = naming::local("router");
    let schemas = naming::local("schemas");
    let doc = naming::local("doc");
    let cell = naming::local_static("DOC");
    let openrpc = quote!(::rpc_runtime::openrpc);
    let arc = quote!(::std::sync::Arc);
    let methods = api.methods.iter().flat_map(|m| entries(api, m));
    quote! {
        ::rpc_runtime::__private::with_openrpc! {
            // One doc per trait, built on first use: a `static` in a generic
            // fn is shared by every implementation of the trait.
            static #cell: ::std::sync::OnceLock<#arc<#openrpc::ApiDoc>> = ::std::sync::OnceLock::new();
            let #doc = ::core::clone::Clone::clone(#cell.get_or_init(|| {
                let mut #schemas = #openrpc::SchemaSet::new();
                let mut #doc = #openrpc::ApiDoc::new();
                #(#doc.push_method(#methods);)*
                #doc.add_schemas(#schemas.into_schemas());
                #arc::new(#doc)
            }));
            #router = #router.with_api_doc(#doc);
        }
    }
}

/// Expressions building a trait method's entries: one, or a
/// subscription's two (its subscribe and unsubscribe methods).
fn entries(api: &Api, m: &Method) -> Vec<TokenStream> {
    let entry = method(api, m);
    if m.is_subscription() {
        subscription::doc_entries(api, m, entry)
    } else {
        vec![entry]
    }
}

/// An expression building one method's entry (a subscription's without
/// its result, see `subscription::doc_entries`).
fn method(api: &Api, method: &Method) -> TokenStream {
    let openrpc = quote!(::rpc_runtime::openrpc);
    let full_name = api.full_name(&method.name());
    let (summary, description) = split_docs(&doc_text(&method.docs));
    let mut calls = Vec::new();
    if let Some(summary) = summary {
        calls.push(quote!(.with_summary(#summary)));
    }
    if let Some(description) = description {
        calls.push(quote!(.with_description(#description)));
    }
    for arg in &method.args {
        let descriptor = param(arg);
        calls.push(quote!(.with_param(#descriptor)));
    }
    if method.is_notification() {
        calls.push(quote!(.with_notification(true)));
    } else if !method.is_subscription() {
        let schema = schema_of(&method.output.ok_type());
        calls.push(quote!(.with_result(#openrpc::ContentDescriptor::new("result", #schema).with_required(true))));
    }
    if let Output::Fallible { err, .. } = &method.output {
        // The same bound the server's error wrapper states, at the same
        // span: a type that is not an `RpcError` is still one error.
        let declared = quote_spanned! {err.span()=>
            <#err as ::rpc_runtime::RpcError>::declared_errors()
        };
        calls.push(quote!(.with_errors(::rpc_runtime::__private::error_specs(#declared))));
    }
    if !method.deprecated.is_empty() {
        calls.push(quote!(.with_deprecated(true)));
    }
    for alias in &method.attrs.aliases {
        let alias = api.full_name(&alias.value());
        calls.push(quote!(.with_alias(#alias)));
    }
    quote!(#openrpc::Method::new(#full_name) #(#calls)*)
}

fn param(arg: &Arg) -> TokenStream {
    let name = arg.json_name();
    let schema = schema_of(&arg.ty);
    // A variadic argument may be left out: it is then empty.
    let required = !is_option(&arg.ty) && arg.variadic.is_none();
    let mut text = arg
        .doc
        .as_ref()
        .map(syn::LitStr::value)
        .or_else(|| Some(doc_text(&arg.docs)).filter(|t| !t.is_empty()));
    if arg.variadic.is_some() {
        let note = "Variadic: given positionally, every param from here on; by name, an array.";
        text = Some(match text {
            Some(text) => format!("{text}\n\n{note}"),
            None => note.to_owned(),
        });
    }
    let description = text.map(|text| quote!(.with_description(#text)));
    quote! {
        ::rpc_runtime::openrpc::ContentDescriptor::new(#name, #schema)
            .with_required(#required)
            #description
    }
}

/// The schema of `ty`: its `JsonSchema` when it has one, else "any value"
/// naming the type (autoref specialization: the probe's `JsonSchema` impl
/// is on `SchemaProbe<T>`, the fallback on `&SchemaProbe<T>`, so method
/// lookup on `&SchemaProbe<T>` picks the first when `T: JsonSchema` holds;
/// the types are concrete here, so it is decided for each). A type with only
/// serde's traits is still documented, and no error is added.
pub(crate) fn schema_of(ty: &Type) -> TokenStream {
    let schemas = naming::local("schemas");
    quote! {
        {
            #[allow(unused_imports)]
            use ::rpc_runtime::__private::{ViaAnyValue as _, ViaJsonSchema as _};
            (&::rpc_runtime::__private::SchemaProbe::<#ty>::new()).schema(&mut #schemas)
        }
    }
}

/// `Option<T>` by any path ending in `Option` with one type argument: the
/// params decoder lets such an argument be left out.
fn is_option(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| {
            last.ident == "Option"
                && matches!(&last.arguments, syn::PathArguments::AngleBracketed(args) if args.args.len() == 1)
        })
}

/// The text of `#[doc = ".."]` attributes (`///` comments), one line each,
/// the single space rustdoc puts after `///` removed.
fn doc_text(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            text.split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// The first paragraph is the summary (its lines joined), the rest the
/// description.
fn split_docs(text: &str) -> (Option<String>, Option<String>) {
    if text.is_empty() {
        return (None, None);
    }
    let (first, rest) = match text.find("\n\n") {
        Some(at) => (&text[..at], text[at..].trim()),
        None => (text, ""),
    };
    let summary = first.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let description = (!rest.is_empty()).then(|| rest.to_owned());
    (Some(summary), description)
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn the_first_paragraph_is_the_summary() {
        let attrs: Vec<Attribute> = vec![
            parse_quote!(#[doc = " Adds two"]),
            parse_quote!(#[doc = " numbers."]),
            parse_quote!(#[doc = ""]),
            parse_quote!(#[doc = " Wraps around."]),
            parse_quote!(#[doc = ""]),
            parse_quote!(#[doc = "     indented"]),
        ];
        let (summary, description) = split_docs(&doc_text(&attrs));
        assert_eq!(summary.as_deref(), Some("Adds two numbers."));
        assert_eq!(
            description.as_deref(),
            Some("Wraps around.\n\n    indented")
        );
        assert_eq!(split_docs(""), (None, None));
        assert_eq!(split_docs("One line."), (Some("One line.".into()), None));
    }

    #[test]
    fn options_by_any_path_are_optional() {
        assert!(is_option(&parse_quote!(Option<i64>)));
        assert!(is_option(&parse_quote!(std::option::Option<Vec<u8>>)));
        assert!(!is_option(&parse_quote!(Vec<Option<i64>>)));
        assert!(!is_option(&parse_quote!(i64)));
    }
}

//! `#[derive(RpcError)]`: each variant of an error enum gets a JSON-RPC
//! error code; the whole value travels as the error object's `data`, so a
//! generated client decodes it back into the same variant.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Ident, LitStr};

use crate::errors::{unknown_argument, Errors};

const KEYS: &[&str] = &["code", "message"];

/// One variant and its `#[rpc(..)]`.
struct Variant {
    ident: Ident,
    code: i32,
    message: Option<LitStr>,
}

pub(crate) fn derive(item: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(item) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let variants = parse(&input, &mut errors);
    match errors.finish() {
        Ok(()) => expand(&input, &variants),
        Err(error) => {
            let error = error.to_compile_error();
            let fallback = fallback(&input);
            quote!(#error #fallback)
        }
    }
}

fn parse(input: &DeriveInput, errors: &mut Errors) -> Vec<Variant> {
    let Data::Enum(data) = &input.data else {
        errors.at(
            &input.ident,
            "#[derive(RpcError)] applies to enums: give each variant `#[rpc(code = ..)]`",
        );
        return Vec::new();
    };
    if data.variants.is_empty() {
        errors.at(
            &input.ident,
            "#[derive(RpcError)] needs at least one variant with `#[rpc(code = ..)]`",
        );
    }
    let mut variants = Vec::new();
    let mut seen: HashMap<i32, Ident> = HashMap::new();
    for variant in &data.variants {
        let mut code: Option<(i32, Span)> = None;
        let mut message = None;
        for attr in variant.attrs.iter().filter(|a| a.path().is_ident("rpc")) {
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("code") {
                    let value = meta.value()?;
                    let negative = value.parse::<Option<syn::Token![-]>>()?.is_some();
                    let literal: syn::LitInt = value.parse()?;
                    let magnitude: i64 = literal.base10_parse()?;
                    let signed = if negative { -magnitude } else { magnitude };
                    let parsed = i32::try_from(signed).map_err(|_| {
                        syn::Error::new(literal.span(), "an error code must fit in an i32")
                    })?;
                    code = Some((parsed, literal.span()));
                } else if meta.path.is_ident("message") {
                    message = Some(meta.value()?.parse::<LitStr>()?);
                } else {
                    return Err(unknown_argument(&meta.path, KEYS));
                }
                Ok(())
            });
            if let Err(error) = result {
                errors.push(error);
            }
        }
        let Some((code, span)) = code else {
            errors.at(
                &variant.ident,
                format!(
                    "variant `{}` needs an error code: `#[rpc(code = ..)]`",
                    variant.ident
                ),
            );
            continue;
        };
        if (-32768..=-32000).contains(&code) {
            errors.push(syn::Error::new(
                span,
                format!("error code {code} lies in the range JSON-RPC reserves (-32768 to -32000)"),
            ));
        } else if let Some(first) = seen.get(&code) {
            errors.push(syn::Error::new(
                span,
                format!("duplicate error code {code}: variant `{first}` uses it too"),
            ));
        } else {
            seen.insert(code, variant.ident.clone());
        }
        variants.push(Variant {
            ident: variant.ident.clone(),
            code,
            message,
        });
    }
    variants
}

fn expand(input: &DeriveInput, variants: &[Variant]) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let error_object = quote!(::rpc_runtime::protocol::ErrorObject);
    let string = quote!(::std::string::String);
    let code_arms = variants.iter().map(|v| {
        let (name, code) = (&v.ident, v.code);
        quote!(Self::#name { .. } => #code,)
    });
    let code_arms: Vec<_> = code_arms.collect();
    let message_arms = variants.iter().map(|v| {
        let name = &v.ident;
        match &v.message {
            Some(message) => quote!(Self::#name { .. } => ::std::string::ToString::to_string(#message),),
            None => quote_spanned!(name.span()=> Self::#name { .. } => ::std::string::ToString::to_string(self),),
        }
    });
    let codes = variants.iter().map(|v| v.code);
    let declared = variants.iter().map(|v| {
        let code = v.code;
        let message = v
            .message
            .as_ref()
            .map_or_else(|| v.ident.to_string(), LitStr::value);
        quote!(#error_object::new(#code, #message))
    });
    let serde_checks = quote_spanned! {ident.span()=>
        const _: fn() = || {
            fn serialize<T: ::rpc_runtime::__private::serde::Serialize + ?::core::marker::Sized>() {}
            fn deserialize<T: ::rpc_runtime::__private::serde::de::DeserializeOwned>() {}
            serialize::<#ident #ty_generics>();
            deserialize::<#ident #ty_generics>();
        };
    };
    let no_match = if variants.is_empty() {
        quote!(return ::core::option::Option::None;)
    } else {
        quote! {
            if !::core::matches!(object.code, #(#codes)|*) {
                return ::core::option::Option::None;
            }
        }
    };
    quote! {
        #serde_checks

        #[automatically_derived]
        impl #impl_generics ::rpc_runtime::RpcError for #ident #ty_generics #where_clause {
            fn to_error_object(&self) -> ::rpc_runtime::protocol::ErrorObjectOwned {
                let code: i32 = match self { #(#code_arms)* };
                let message: #string = match self { #(#message_arms)* };
                let plain = #error_object::new(code, message);
                match ::core::clone::Clone::clone(&plain).with_data(self) {
                    ::core::result::Result::Ok(object) => object,
                    ::core::result::Result::Err(_) => plain,
                }
            }

            fn from_error_object(object: &#error_object<'_>) -> ::core::option::Option<Self> {
                #no_match
                let value: Self = match object.data_as::<Self>() {
                    ::core::result::Result::Ok(::core::option::Option::Some(value)) => value,
                    _ => return ::core::option::Option::None,
                };
                let code: i32 = match &value { #(#code_arms)* };
                if code == object.code {
                    ::core::option::Option::Some(value)
                } else {
                    ::core::option::Option::None
                }
            }

            fn declared_errors() -> ::std::vec::Vec<::rpc_runtime::protocol::ErrorObjectOwned> {
                <::std::vec::Vec<::rpc_runtime::protocol::ErrorObjectOwned> as ::core::convert::From<_>>::from([#(#declared),*])
            }
        }
    }
}

/// An impl that compiles whatever the enum looks like, so using the type
/// does not add errors to the one already reported.
fn fallback(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::rpc_runtime::RpcError for #ident #ty_generics #where_clause {
            fn to_error_object(&self) -> ::rpc_runtime::protocol::ErrorObjectOwned {
                ::core::unimplemented!()
            }
        }
    }
}

//! Small wrapper types the expansion declares around the user's types.
//!
//! Each wrapper implements a serde trait (or `RpcError`) by forwarding to the
//! user's type, with that forwarding call spanned at the user's type. So a
//! type that lacks the trait is reported once, at the type, and the rest of
//! the expansion (which only sees the wrappers, whose impls always exist)
//! adds no errors of its own.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::Type;

fn serde() -> TokenStream {
    quote!(::rpc_runtime::__private::serde)
}

/// `struct Name(T)`, deserialized as a `T` (a server argument, a client result).
pub(crate) fn receive(name: &Ident, ty: &Type) -> TokenStream {
    let serde = serde();
    let forward = quote_spanned! {ty.span()=>
        <#ty as #serde::Deserialize<'de>>::deserialize(deserializer)
    };
    quote! {
        struct #name(#ty);
        impl<'de> #serde::Deserialize<'de> for #name {
            fn deserialize<D: #serde::Deserializer<'de>>(deserializer: D) -> ::core::result::Result<Self, D::Error> {
                ::core::result::Result::map(#forward, #name)
            }
        }
    }
}

/// `struct Name(T)`, serialized as its `T` (a server result).
pub(crate) fn send(name: &Ident, ty: &Type) -> TokenStream {
    let serde = serde();
    let forward = quote_spanned! {ty.span()=>
        <#ty as #serde::Serialize>::serialize(&self.0, serializer)
    };
    quote! {
        struct #name(#ty);
        impl #serde::Serialize for #name {
            fn serialize<S: #serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                #forward
            }
        }
    }
}

/// `struct Name<'a>(&'a T)`, serialized as its `T` (a client argument).
pub(crate) fn send_ref(name: &Ident, ty: &Type) -> TokenStream {
    let serde = serde();
    let forward = quote_spanned! {ty.span()=>
        <#ty as #serde::Serialize>::serialize(self.0, serializer)
    };
    quote! {
        struct #name<'a>(&'a #ty);
        impl #serde::Serialize for #name<'_> {
            fn serialize<S: #serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                #forward
            }
        }
    }
}

/// `struct Name(E)`, an `RpcError` exactly as `E` is.
pub(crate) fn app_error(name: &Ident, ty: &Type) -> TokenStream {
    let rpc_error = quote_spanned!(ty.span()=> <#ty as ::rpc_runtime::RpcError>);
    quote! {
        struct #name(#ty);
        impl ::rpc_runtime::RpcError for #name {
            fn to_error_object(&self) -> ::rpc_runtime::protocol::ErrorObjectOwned {
                #rpc_error::to_error_object(&self.0)
            }
            fn from_error_object(
                object: &::rpc_runtime::protocol::ErrorObject<'_>,
            ) -> ::core::option::Option<Self> {
                ::core::option::Option::map(#rpc_error::from_error_object(object), #name)
            }
            fn internal_detail(&self) -> ::core::option::Option<::std::string::String> {
                #rpc_error::internal_detail(&self.0)
            }
        }
    }
}

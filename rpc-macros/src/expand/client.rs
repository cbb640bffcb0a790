//! The client side: `{Trait}Client<C>`, one async method per trait method,
//! generic over any `Caller`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Api, Method, Output};
use crate::attr::ParamStyle;
use crate::naming;

pub(crate) fn expand(api: &Api) -> TokenStream {
    let trait_ident = &api.original.ident;
    let vis = &api.original.vis;
    let client = naming::client(trait_ident);
    let struct_doc = format!(
        " A typed client for [`{trait_ident}`]: each method sends one JSON-RPC call (or notification) through the caller `C` (HTTP, WebSocket, in-process)."
    );
    let new_doc = format!(" A `{client}` that sends its calls through `caller`.");
    let methods = api.methods.iter().map(|m| method(api, m));
    quote! {
        #[doc = #struct_doc]
        #[derive(::core::clone::Clone, ::core::fmt::Debug)]
        #vis struct #client<C> {
            caller: C,
        }

        impl<C> #client<C> {
            #[doc = #new_doc]
            #[must_use]
            pub const fn new(caller: C) -> Self {
                Self { caller }
            }

            /// The caller the calls go through.
            #[must_use]
            pub const fn caller(&self) -> &C {
                &self.caller
            }

            /// Gives back the caller.
            #[must_use]
            pub fn into_inner(self) -> C {
                self.caller
            }
        }

        impl<C: ::rpc_runtime::client::Caller> #client<C> {
            #(#methods)*
        }
    }
}

fn method(api: &Api, method: &Method) -> TokenStream {
    let params = naming::local("params");
    let error = naming::local("error");
    let ident = &method.ident;
    let docs = &method.docs;
    let deprecated = &method.deprecated;
    let full_name = api.full_name(&method.name());
    let arg_idents: Vec<_> = method.args.iter().filter_map(|a| a.ident.as_ref()).collect();
    let arg_types: Vec<_> = method.args.iter().map(|a| &a.ty).collect();
    let json_names: Vec<String> = method.args.iter().map(|a| a.json_name()).collect();

    let ok = method.output.ok_type();
    let app_error = match &method.output {
        Output::Fallible { err, .. } => quote!(#err),
        Output::Unit | Output::Plain(_) => quote!(::core::convert::Infallible),
    };
    let client_error = quote!(::rpc_runtime::client::ClientError);

    let encode = if method.args.is_empty() {
        quote!(let #params = ::rpc_runtime::params::EncodedParams::none();)
    } else {
        let (builder, add) = match method.client_params(api) {
            ParamStyle::Positional => (quote!(PositionalParams), quote!(push)),
            ParamStyle::Named => (quote!(NamedParams), quote!(insert)),
        };
        quote! {
            let mut #params = ::rpc_runtime::params::#builder::new();
            #(
                if let ::core::result::Result::Err(#error) = #params.#add(#json_names, &#arg_idents) {
                    return ::core::result::Result::Err(#client_error::Encode(#error));
                }
            )*
            let #params = #params.finish();
        }
    };
    let send = if method.is_notification() {
        quote!(::rpc_runtime::client::Caller::notify(&self.caller, #full_name, #params).await)
    } else {
        quote!(::rpc_runtime::client::Caller::call::<#ok>(&self.caller, #full_name, #params).await)
    };
    quote! {
        #(#docs)*
        #(#deprecated)*
        pub async fn #ident(&self, #(#arg_idents: #arg_types),*)
            -> ::core::result::Result<#ok, #client_error<#app_error>>
        {
            #encode
            ::core::result::Result::map_err(
                #send,
                #client_error::<::core::convert::Infallible>::with_app_error::<#app_error>,
            )
        }
    }
}

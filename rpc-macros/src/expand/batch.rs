//! The client's typed batch builder, `{Trait}Batch<'a, C>`: one method per
//! trait method adds a typed entry (a call gives back a `BatchCall<T, E>`,
//! a notification nothing), and `send` sends them all in one message.
//! Subscriptions are left out: a batch answers each call once.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Api, Method};
use crate::expand::client::Call;
use crate::naming;

pub(crate) fn expand(api: &Api) -> TokenStream {
    let trait_ident = &api.original.ident;
    let vis = &api.original.vis;
    let client = naming::client(trait_ident);
    let batch = naming::batch(trait_ident);
    let struct_doc = format!(
        " A batch of [`{trait_ident}`] calls and notifications, sent in one message, made by [`{client}::batch`]. Each method adds one entry, with the trait method's arguments; a call gives back a [`BatchCall`](::rpc_runtime::client::BatchCall) that reads its typed result, or its application error, from the answers [`send`](Self::send) returns."
    );
    // A subscription is a stream, not one answer: it has no batch entry.
    let methods = api
        .methods
        .iter()
        .filter(|m| !m.is_subscription())
        .map(|m| entry(api, m));
    let result = quote!(::core::result::Result);
    let client_error = quote!(::rpc_runtime::client::ClientError);
    quote! {
        #[doc = #struct_doc]
        #[derive(::core::fmt::Debug)]
        #[must_use = "a batch does nothing until it is sent with `send`"]
        #vis struct #batch<'a, C> {
            caller: &'a C,
            request: ::rpc_runtime::client::BatchRequest,
            /// The first params that could not be encoded: `send` returns it.
            error: ::core::option::Option<::rpc_runtime::params::EncodeError>,
        }

        impl<C: ::rpc_runtime::client::Caller> #batch<'_, C> {
            #(#methods)*

            /// Sends every entry in one message through the client's caller
            /// and gives back the answers: read each call's result with
            /// `answers.get(handle)`.
            ///
            /// # Errors
            /// `ClientError::Encode` when an entry's params could not be
            /// encoded (then nothing is sent), or what failed the whole
            /// batch (transport, HTTP status, invalid response). Each call's
            /// own error is in its answer.
            pub async fn send(self) -> #result<::rpc_runtime::client::BatchResponse, #client_error> {
                if let ::core::option::Option::Some(error) = self.error {
                    return #result::Err(#client_error::Encode(error));
                }
                ::rpc_runtime::client::Caller::batch(self.caller, self.request).await
            }
        }
    }
}

/// The builder method that adds one entry for `method`.
fn entry(api: &Api, method: &Method) -> TokenStream {
    let params = naming::local("params");
    let error = naming::local("error");
    let response = naming::local("response");
    let index = naming::local("index");
    let ident = &method.ident;
    let docs = &method.docs;
    let deprecated = &method.deprecated;
    let arg_idents: Vec<_> = method
        .args
        .iter()
        .filter_map(|a| a.ident.as_ref())
        .collect();
    let arg_types: Vec<_> = method.args.iter().map(|a| &a.ty).collect();
    let Call {
        name,
        wrappers,
        encode,
        received,
        unwrap_ok,
        ok,
        app_error,
        recognise,
    } = Call::new(api, method);
    let result = quote!(::core::result::Result);
    let option = quote!(::core::option::Option);
    let trait_ident = &api.original.ident;
    let method_ident = syn::ext::IdentExt::unraw(ident);
    let full_name = api.full_name(&method.name());
    let lead = if method.is_notification() {
        format!(" Adds the notification [`{trait_ident}::{method_ident}`] (`{full_name}`) to the batch; it gets no answer.")
    } else {
        format!(" Adds a call of [`{trait_ident}::{method_ident}`] (`{full_name}`) to the batch; the handle reads its answer from what [`send`](Self::send) returns.")
    };
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    // An encoding failure is kept for `send`, which then sends nothing.
    let encode = quote! {
        #(#wrappers)*
        let #params = match #encode {
            #result::Ok(#params) => #params,
            #result::Err(#error) => {
                if #option::is_none(&self.error) {
                    self.error = #option::Some(#error);
                }
                ::rpc_runtime::params::EncodedParams::none()
            }
        };
    };
    if method.is_notification() {
        quote! {
            #[doc = #lead]
            #separator
            #(#docs)*
            #(#deprecated)*
            pub fn #ident(&mut self, #(#arg_idents: #arg_types),*) {
                #encode
                ::rpc_runtime::client::BatchRequest::notify(&mut self.request, #name, #params);
            }
        }
    } else {
        quote! {
            #[doc = #lead]
            #separator
            #(#docs)*
            #(#deprecated)*
            pub fn #ident(&mut self, #(#arg_idents: #arg_types),*)
                -> ::rpc_runtime::client::BatchCall<#ok, #app_error>
            {
                #encode
                ::rpc_runtime::__private::batch_call::<#ok, #app_error>(
                    &mut self.request,
                    #name,
                    #params,
                    |#response, #index| match ::rpc_runtime::__private::batch_result::<#received>(#response, #index) {
                        #result::Ok(value) => #result::Ok(#unwrap_ok),
                        #result::Err(error) => #result::Err(#recognise),
                    },
                )
            }
        }
    }
}

//! Parse, validate, then write the server trait and the client; on any
//! error, the errors plus a fallback so each mistake is reported once.

mod batch;
mod client;
mod docs;
mod fallback;
mod server;
mod subscription;
mod wire;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemTrait;

use crate::ast::Api;
use crate::errors::Errors;
use crate::valid;

pub(crate) fn rpc(attr: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemTrait = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error =
                syn::Error::new(proc_macro2::Span::call_site(), "#[rpc] applies to a trait");
            let error = error.to_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let api = Api::parse(attr, item, &mut errors);
    valid::check(&api, &mut errors);
    match errors.finish() {
        Ok(()) => {
            let server = server::expand(&api);
            let client = if api.has_client() {
                client::expand(&api)
            } else {
                TokenStream::new()
            };
            let methods = client::methods_module(&api);
            let checks = subscription::item_checks(&api);
            quote!(#server #methods #client #checks)
        }
        Err(error) => {
            let error = error.to_compile_error();
            let fallback = fallback::expand(&api);
            quote!(#error #fallback)
        }
    }
}

//! What is emitted next to the errors: the trait as written (minus the
//! macro's attributes, with argument patterns replaced by names so the
//! compiler accepts it) and empty shells of the generated items, so that a
//! mistake in the trait is one error and not a cascade in the user's code.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, Pat, TraitItem};

use crate::ast::Api;
use crate::expand::server::clean_trait;
use crate::naming;

pub(crate) fn expand(api: &Api) -> TokenStream {
    let mut item = clean_trait(&api.original);
    for trait_item in &mut item.items {
        if let TraitItem::Fn(f) = trait_item {
            for (index, input) in f.sig.inputs.iter_mut().enumerate() {
                if let FnArg::Typed(pat_type) = input {
                    if !matches!(&*pat_type.pat, Pat::Ident(_)) {
                        let name = naming::server_arg(index);
                        *pat_type.pat = syn::parse_quote!(#name);
                    }
                }
            }
        }
    }
    let ident = naming::into_router();
    item.items.push(syn::parse_quote! {
        #[allow(missing_docs)]
        fn #ident(self) -> ::rpc_runtime::Router
        where
            Self: ::core::marker::Sized,
        {
            ::core::unimplemented!()
        }
    });
    let vis = &item.vis;
    let client = naming::client(&item.ident);
    let batch = naming::batch(&item.ident);
    let methods = crate::expand::client::methods_module(api);
    quote! {
        #item

        #methods

        #[allow(missing_docs, dead_code)]
        #vis struct #batch<'a, C> {
            caller: &'a C,
        }

        #[allow(missing_docs, dead_code)]
        #vis struct #client<C> {
            caller: C,
        }

        #[allow(missing_docs, dead_code)]
        impl<C> #client<C> {
            pub const fn new(caller: C) -> Self {
                Self { caller }
            }
        }
    }
}

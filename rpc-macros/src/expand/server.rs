//! The server side: the trait itself, rewritten so async methods return
//! `Send` futures, plus a provided `into_router` that registers every method.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, ItemTrait, ReturnType, TraitItem};

use crate::ast::{Api, Method, Output};
use crate::attr::{is_method_attr, is_param_attr};
use crate::naming;

pub(crate) fn expand(api: &Api) -> TokenStream {
    let mut item = clean_trait(&api.original);
    for trait_item in &mut item.items {
        if let TraitItem::Fn(f) = trait_item {
            if f.sig.asyncness.take().is_some() {
                let output = match &f.sig.output {
                    ReturnType::Default => quote!(()),
                    ReturnType::Type(_, ty) => quote!(#ty),
                };
                let span = f.sig.output.span();
                f.sig.output = syn::parse_quote_spanned! {span=>
                    -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
                };
            }
        }
    }
    if api.has_server() {
        item.items.push(into_router(api));
    }
    let checks = type_checks(api);
    quote!(#item #checks)
}

/// The trait without the macro's own attributes.
pub(crate) fn clean_trait(original: &ItemTrait) -> ItemTrait {
    let mut item = original.clone();
    for trait_item in &mut item.items {
        if let TraitItem::Fn(f) = trait_item {
            f.attrs.retain(|a| !is_method_attr(a));
            for input in &mut f.sig.inputs {
                if let FnArg::Typed(pat_type) = input {
                    pat_type.attrs.retain(|a| !is_param_attr(a));
                }
            }
        }
    }
    item
}

fn into_router(api: &Api) -> TraitItem {
    let trait_ident = &api.original.ident;
    let doc = format!(
        " Serves this implementation of [`{trait_ident}`]: a router with every method of the trait, ready for any transport."
    );
    let ident = naming::into_router();
    let this = naming::local("this");
    let router = naming::local("router");
    let registrations = api.methods.iter().map(|m| register(api, m));
    syn::parse_quote! {
        #[doc = #doc]
        #[allow(deprecated)]
        fn #ident(self) -> ::rpc_runtime::Router
        where
            Self: ::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync + 'static,
        {
            let #this = ::std::sync::Arc::new(self);
            let mut #router = ::rpc_runtime::Router::new();
            #(#registrations)*
            #router
        }
    }
}

/// Registers one method (and its aliases) on the router being built.
fn register(api: &Api, method: &Method) -> TokenStream {
    let this = naming::local("this");
    let router = naming::local("router");
    let params = naming::local("params");
    let ctx = naming::local("ctx");
    let decoded = naming::local("decoded");
    let out = naming::local("out");
    let info = naming::local("info");
    let error = naming::local("error");

    let full_name = api.full_name(&method.name());
    let json_names: Vec<String> = method.args.iter().map(|a| a.json_name()).collect();
    let types: Vec<_> = method.args.iter().map(|a| &a.ty).collect();
    let locals: Vec<_> = (0..method.args.len()).map(naming::server_arg).collect();
    let ident = &method.ident;
    let ctx_arg = method.context.as_ref().map(|_| quote!(&#ctx,));
    let notification = method.is_notification();

    let failure = quote!(::rpc_runtime::__private::Failure);
    let finish = match &method.output {
        Output::Fallible { .. } => {
            quote!(::core::result::Result::map_err(#out, #failure::App))
        }
        Output::Unit | Output::Plain(_) => {
            quote!(::core::result::Result::Ok::<_, #failure<::core::convert::Infallible>>(#out))
        }
    };
    let decode = quote! {
        #params.decode::<(#(#types,)*)>(&[#(#json_names),*])
    };
    let unpack = quote! {
        let (#(#locals,)*) = match #decoded {
            ::core::result::Result::Ok(values) => values,
            ::core::result::Result::Err(#error) => {
                return ::core::result::Result::Err(#failure::Params(#error));
            }
        };
    };
    let closure_args = quote! {
        #params: ::rpc_runtime::params::Params<'_>, #ctx: &::rpc_runtime::Context
    };

    let registration = if method.is_async || method.attrs.blocking.is_some() {
        let clone_ctx = method
            .context
            .as_ref()
            .map(|_| quote!(let #ctx = ::core::clone::Clone::clone(#ctx);));
        let call = if method.is_async {
            quote!(#this.#ident(#ctx_arg #(#locals),*).await)
        } else {
            quote!(::rpc_runtime::run_blocking(move || #this.#ident(#ctx_arg #(#locals),*)).await)
        };
        quote! {
            #router.register_async(#full_name, move |#closure_args| {
                let #decoded = #decode;
                let #this = ::core::clone::Clone::clone(&#this);
                #clone_ctx
                async move {
                    #unpack
                    let #out = #call;
                    #finish
                }
            })
        }
    } else {
        let ctx_arg = method.context.as_ref().map(|_| quote!(#ctx,));
        quote! {
            #router.register_sync(#full_name, move |#closure_args| {
                let #decoded = #decode;
                #unpack
                let #out = #this.#ident(#ctx_arg #(#locals),*);
                #finish
            })
        }
    };
    let aliases = method.attrs.aliases.iter().map(|alias| {
        let alias = api.full_name(&alias.value());
        quote! {
            let _ = ::rpc_runtime::__private::registered(#router.register_alias(#alias, #full_name));
        }
    });
    quote! {
        {
            let #this = ::core::clone::Clone::clone(&#this);
            if let ::core::option::Option::Some(#info) = ::rpc_runtime::__private::registered(#registration) {
                #info.with_params::<&str>(&[#(#json_names),*]).with_notification(#notification);
            }
        }
        #(#aliases)*
    }
}

/// Bounds checked on the user's own types, so a type that cannot cross the
/// wire is reported at that type rather than deep in the expansion.
fn type_checks(api: &Api) -> TokenStream {
    let mut checks = TokenStream::new();
    for method in &api.methods {
        for arg in &method.args {
            let ty = &arg.ty;
            checks.extend(quote_spanned! {ty.span()=>
                ::rpc_runtime::__private::assert_param::<#ty>();
            });
        }
        match &method.output {
            Output::Unit => {}
            Output::Plain(ty) => checks.extend(quote_spanned! {ty.span()=>
                ::rpc_runtime::__private::assert_result::<#ty>();
            }),
            Output::Fallible { ok, err } => {
                checks.extend(quote_spanned! {ok.span()=>
                    ::rpc_runtime::__private::assert_result::<#ok>();
                });
                checks.extend(quote_spanned! {err.span()=>
                    ::rpc_runtime::__private::assert_error::<#err>();
                });
            }
        }
    }
    if checks.is_empty() {
        return checks;
    }
    quote!(const _: () = { #checks };)
}

//! The server side: the trait itself, rewritten so async methods return
//! `Send` futures, plus a provided `into_router` that registers every method.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{FnArg, ItemTrait, ReturnType, TraitItem};

use crate::ast::{Api, Method, Output};
use crate::attr::{is_method_attr, is_param_attr};
use crate::expand::{docs, subscription, wire};
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
    quote!(#item)
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
    let docs = docs::attach(api);
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
            #docs
            #router
        }
    }
}

/// The arguments a handler decodes: the wrapper types that decode them,
/// the pattern (a tuple, or a `Variadic` one) that binds them, and the
/// locals it binds, in order.
pub(crate) fn decoded_args(method: &Method) -> (Vec<TokenStream>, TokenStream, Vec<Ident>) {
    let locals: Vec<_> = (0..method.args.len()).map(naming::server_arg).collect();
    let arg_types: Vec<_> = (0..method.args.len())
        .map(|i| naming::wrapper(&format!("Arg{i}")))
        .collect();
    let wrappers = method
        .args
        .iter()
        .zip(&arg_types)
        .map(|(arg, name)| wire::receive(name, &arg.ty))
        .collect();
    // Every method is registered by its argument types, so the router
    // decodes the params (in the same pass as the request, when it can) and
    // answers bad ones with `-32602` before the method is called.
    let pattern = if method.is_variadic() {
        quote! {
            ::rpc_runtime::params::Variadic((#(#arg_types(#locals),)*)):
                ::rpc_runtime::params::Variadic<(#(#arg_types,)*)>
        }
    } else {
        quote! {
            (#(#arg_types(#locals),)*): (#(#arg_types,)*)
        }
    };
    (wrappers, pattern, locals)
}

/// Registers one method (and its aliases) on the router being built.
fn register(api: &Api, method: &Method) -> TokenStream {
    if method.is_subscription() {
        return subscription::register(api, method);
    }
    let this = naming::local("this");
    let router = naming::local("router");
    let ctx = naming::local("ctx");
    let out = naming::local("out");
    let info = naming::local("info");

    let full_name = api.full_name(&method.name());
    let json_names: Vec<String> = method.args.iter().map(|a| a.json_name()).collect();
    let (mut wrappers, args, locals) = decoded_args(method);
    let ident = &method.ident;
    let trait_ident = &api.original.ident;
    // Fully qualified, so neither an inherent method of the implementing type
    // nor one of `Arc` (`clone`, ...) can be picked instead.
    let method_path = quote!(<Self as #trait_ident>::#ident);
    let notification = method.is_notification();

    let failure = quote!(::rpc_runtime::__private::Failure);
    let result = quote!(::core::result::Result);
    let infallible = quote!(#failure<::core::convert::Infallible>);
    let finish = match &method.output {
        Output::Unit => quote!(#result::Ok::<(), #infallible>(#out)),
        Output::Plain(ty) => {
            let wrap = naming::wrapper("Out");
            wrappers.push(wire::send(&wrap, ty));
            quote!(#result::Ok::<#wrap, #infallible>(#wrap(#out)))
        }
        Output::Fallible { ret, ok, err } => {
            let (wrap, app) = (naming::wrapper("Out"), naming::wrapper("AppError"));
            wrappers.push(wire::send(&wrap, ok));
            wrappers.push(wire::app_error(&app, err));
            // Through the trait, not by matching on the syntax: a type named
            // `Result` that is not `core::result::Result` is reported here,
            // at the return type.
            let (first, last) = crate::ast::first_and_last_span(ret);
            let head = quote_spanned! {first=>
                <#ret as ::rpc_runtime::__private::Fallible>::
            };
            let into_result = quote_spanned! {last=> #head into_result(#out)};
            quote! {
                match #into_result {
                    #result::Ok(value) => #result::Ok(#wrap(value)),
                    #result::Err(error) => #result::Err(#failure::App(#app(error))),
                }
            }
        }
    };
    let ctx_pat = match &method.context {
        Some(_) => quote!(#ctx),
        None => quote!(_),
    };

    let registration = if method.is_async || method.attrs.blocking.is_some() {
        let clone_ctx = method
            .context
            .as_ref()
            .map(|_| quote!(let #ctx = ::core::clone::Clone::clone(#ctx);));
        let ctx_arg = method.context.as_ref().map(|_| quote!(&#ctx,));
        let call = if method.is_async {
            quote!(#method_path(&*#this, #ctx_arg #(#locals),*).await)
        } else {
            quote!(::rpc_runtime::run_blocking(move || #method_path(&*#this, #ctx_arg #(#locals),*)).await)
        };
        quote! {
            #router.register_async_args(
                #full_name,
                &[#(#json_names),*],
                move |#args, #ctx_pat: &::rpc_runtime::Context| {
                    let #this = ::core::clone::Clone::clone(&#this);
                    #clone_ctx
                    async move {
                        let #out = #call;
                        #finish
                    }
                },
            )
        }
    } else {
        let ctx_arg = method.context.as_ref().map(|_| quote!(#ctx,));
        quote! {
            #router.register_sync_args(
                #full_name,
                &[#(#json_names),*],
                move |#args, #ctx_pat: &::rpc_runtime::Context| {
                    let #out = #method_path(&*#this, #ctx_arg #(#locals),*);
                    #finish
                },
            )
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
            #(#wrappers)*
            let #this = ::core::clone::Clone::clone(&#this);
            if let ::core::option::Option::Some(#info) = ::rpc_runtime::__private::registered(#registration) {
                #info.with_params::<&str>(&[#(#json_names),*]).with_notification(#notification);
            }
        }
        #(#aliases)*
    }
}

//! The client side: `{Trait}Client<C>`, one async method per trait method,
//! generic over any `Caller`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::{Api, Method, Output};
use crate::attr::ParamStyle;
use crate::expand::wire;
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
    let arg_idents: Vec<_> = method
        .args
        .iter()
        .filter_map(|a| a.ident.as_ref())
        .collect();
    let arg_types: Vec<_> = method.args.iter().map(|a| &a.ty).collect();
    let json_names: Vec<String> = method.args.iter().map(|a| a.json_name()).collect();
    let param_types: Vec<_> = (0..method.args.len())
        .map(|i| naming::wrapper(&format!("Param{i}")))
        .collect();
    let mut wrappers: Vec<TokenStream> = method
        .args
        .iter()
        .zip(&param_types)
        .map(|(arg, name)| wire::send_ref(name, &arg.ty))
        .collect();
    let result = quote!(::core::result::Result);
    let client_error = quote!(::rpc_runtime::client::ClientError);
    let infallible = quote!(::core::convert::Infallible);

    let ok = method.output.ok_type();
    let (received, unwrap_ok) = match &method.output {
        Output::Unit => (quote!(()), quote!(value)),
        Output::Plain(ty) | Output::Fallible { ok: ty, .. } => {
            let wrap = naming::wrapper("Result");
            wrappers.push(wire::receive(&wrap, ty));
            (quote!(#wrap), quote!(value.0))
        }
    };
    let (app_error, recognise) = match &method.output {
        Output::Fallible { err, .. } => {
            let wrap = naming::wrapper("AppError");
            wrappers.push(wire::app_error(&wrap, err));
            (
                quote!(#err),
                quote!(::rpc_runtime::__private::app_error(error, |#wrap(inner)| inner)),
            )
        }
        Output::Unit | Output::Plain(_) => (
            infallible.clone(),
            quote!(#client_error::<#infallible>::with_app_error::<#infallible>(error)),
        ),
    };

    let encode = if method.args.is_empty() {
        quote!(let #params = ::rpc_runtime::params::EncodedParams::none();)
    } else {
        let style = method.client_params(api);
        let builder = match style {
            ParamStyle::Positional => quote!(PositionalParams),
            ParamStyle::Named => quote!(NamedParams),
        };
        // Sent positionally, a variadic argument's elements follow the
        // others as params of their own.
        let adds = method.args.iter().map(|arg| match style {
            ParamStyle::Positional if arg.variadic.is_some() => quote!(extend),
            ParamStyle::Positional => quote!(push),
            ParamStyle::Named => quote!(insert),
        });
        quote! {
            let mut #params = ::rpc_runtime::params::#builder::new();
            #(
                if let #result::Err(#error) = #params.#adds(#json_names, &#param_types(&#arg_idents)) {
                    return #result::Err(#client_error::Encode(#error));
                }
            )*
            let #params = #params.finish();
        }
    };
    let send = if method.is_notification() {
        quote!(::rpc_runtime::client::Caller::notify(&self.caller, #full_name, #params).await)
    } else {
        quote!(::rpc_runtime::client::Caller::call::<#received>(&self.caller, #full_name, #params).await)
    };
    quote! {
        #(#docs)*
        #(#deprecated)*
        pub async fn #ident(&self, #(#arg_idents: #arg_types),*)
            -> #result<#ok, #client_error<#app_error>>
        {
            #(#wrappers)*
            #encode
            match #send {
                #result::Ok(value) => #result::Ok(#unwrap_ok),
                #result::Err(error) => #result::Err(#recognise),
            }
        }
    }
}

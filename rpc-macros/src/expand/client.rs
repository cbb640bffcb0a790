//! The client side: `{Trait}Client<C>`, one async method per trait method,
//! generic over any `Caller` (a subscription's is in `expand::subscription`);
//! its typed batch builder (see `expand::batch`); and the `{trait}_methods`
//! module of wire-name constants.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Type;

use crate::ast::{Api, Method, Output};
use crate::attr::ParamStyle;
use crate::expand::{batch, subscription, wire};
use crate::naming;

pub(crate) fn expand(api: &Api) -> TokenStream {
    let trait_ident = &api.original.ident;
    let vis = &api.original.vis;
    let client = naming::client(trait_ident);
    let batch_ident = naming::batch(trait_ident);
    let struct_doc = format!(
        " A typed client for [`{trait_ident}`]: each method sends one JSON-RPC call (or notification) through the caller `C` (HTTP, WebSocket, in-process); [`batch`](Self::batch) sends several in one message."
    );
    let new_doc = format!(" A `{client}` that sends its calls through `caller`.");
    let batch_doc = format!(
        " Starts a batch: a [`{batch_ident}`] takes typed calls and notifications of [`{trait_ident}`], sent in one message through this client's caller."
    );
    let methods = api.methods.iter().map(|m| {
        if m.is_subscription() {
            subscription::client_method(api, m)
        } else {
            method(api, m)
        }
    });
    let batch = batch::expand(api);
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
            #[doc = #batch_doc]
            pub fn batch(&self) -> #batch_ident<'_, C> {
                #batch_ident {
                    caller: &self.caller,
                    request: ::rpc_runtime::client::BatchRequest::new(),
                    error: ::core::option::Option::None,
                }
            }

            #(#methods)*
        }

        #batch
    }
}

/// `{trait}_methods`: one `&str` constant per method, its name on the wire
/// (a subscription's unsubscribe method and notification have one each
/// too). Emitted for every trait (server, client or both), and by the
/// fallback.
pub(crate) fn methods_module(api: &Api) -> TokenStream {
    let trait_ident = &api.original.ident;
    let vis = &api.original.vis;
    let module = naming::methods_module(trait_ident);
    let module_doc = format!(
        " The JSON-RPC method names of [`{trait_ident}`](super::{trait_ident}), after its namespace and renames: what its router registers and its client sends. Use them for raw batches, middleware and logs instead of typing the names."
    );
    let mut seen = std::collections::HashSet::new();
    let consts = api.methods.iter().flat_map(|m| {
        let method_ident = syn::ext::IdentExt::unraw(&m.ident);
        let link =
            format!("[`{trait_ident}::{method_ident}`](super::{trait_ident}::{method_ident})");
        let full_name = api.full_name(&m.name());
        let mut consts = vec![(
            naming::method_const(&m.ident),
            full_name.clone(),
            format!(" `{full_name}`: the name of {link} on the wire."),
        )];
        if m.is_subscription() {
            consts.extend(subscription::constants(api, m, &link));
        }
        consts
            .into_iter()
            .filter(|(ident, ..)| seen.insert(ident.to_string()))
            .map(|(ident, value, doc)| {
                quote! {
                    #[doc = #doc]
                    pub const #ident: &str = #value;
                }
            })
            .collect::<Vec<_>>()
    });
    quote! {
        #[doc = #module_doc]
        #vis mod #module {
            #(#consts)*
        }
    }
}

/// What a client method and a batch entry share: the wrappers, the params
/// encoding, how the answer decodes and how its error is recognised.
pub(crate) struct Call {
    /// `{trait}_methods::NAME` (relative: the trait may be declared in a fn
    /// body, whose items `self::` does not reach).
    pub(crate) name: TokenStream,
    /// The wrapper types, declared in the method's body.
    pub(crate) wrappers: Vec<TokenStream>,
    /// An expression: `Result<EncodedParams, EncodeError>`, from the
    /// arguments (by reference).
    pub(crate) encode: TokenStream,
    /// The type the result decodes as (a wrapper, or `()`).
    pub(crate) received: TokenStream,
    /// `value` (a `received`) -> the method's success type.
    pub(crate) unwrap_ok: TokenStream,
    /// The success type.
    pub(crate) ok: Type,
    /// The application error type (`Infallible` when none).
    pub(crate) app_error: TokenStream,
    /// `error` (a `ClientError`) -> `ClientError<app_error>`.
    pub(crate) recognise: TokenStream,
}

impl Call {
    pub(crate) fn new(api: &Api, method: &Method) -> Self {
        let params = naming::local("params");
        let error = naming::local("error");
        let label = syn::Lifetime::new("'__rpc_encode", Span::mixed_site());
        let module = naming::methods_module(&api.original.ident);
        let constant = naming::method_const(&method.ident);
        let arg_idents: Vec<_> = method
            .args
            .iter()
            .filter_map(|a| a.ident.as_ref())
            .collect();
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
            quote!(#result::<_, ::rpc_runtime::params::EncodeError>::Ok(
                ::rpc_runtime::params::EncodedParams::none()
            ))
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
                #label: {
                    let mut #params = ::rpc_runtime::params::#builder::new();
                    #(
                        if let #result::Err(#error) = #params.#adds(#json_names, &#param_types(&#arg_idents)) {
                            break #label #result::Err(#error);
                        }
                    )*
                    #result::Ok(#params.finish())
                }
            }
        };
        Self {
            name: quote!(#module::#constant),
            wrappers,
            encode,
            received,
            unwrap_ok,
            ok: method.output.ok_type(),
            app_error,
            recognise,
        }
    }
}

fn method(api: &Api, method: &Method) -> TokenStream {
    let params = naming::local("params");
    let error = naming::local("error");
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
    let client_error = quote!(::rpc_runtime::client::ClientError);

    let send = if method.is_notification() {
        quote!(::rpc_runtime::client::Caller::notify(&self.caller, #name, #params).await)
    } else {
        quote!(::rpc_runtime::client::Caller::call::<#received>(&self.caller, #name, #params).await)
    };
    quote! {
        #(#docs)*
        #(#deprecated)*
        pub async fn #ident(&self, #(#arg_idents: #arg_types),*)
            -> #result<#ok, #client_error<#app_error>>
        {
            #(#wrappers)*
            let #params = match #encode {
                #result::Ok(#params) => #params,
                #result::Err(#error) => return #result::Err(#client_error::Encode(#error)),
            };
            match #send {
                #result::Ok(value) => #result::Ok(#unwrap_ok),
                #result::Err(error) => #result::Err(#recognise),
            }
        }
    }
}

//! `#[subscription]` methods: their registration in `into_router`, their
//! client method (a typed `Subscription<Item>` stream), their wire-name
//! constants and their two OpenRPC entries, and the check that `item = T`
//! is the type of the `PendingSubscription<T>` argument.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, Type};

use crate::ast::{Api, Method};
use crate::expand::client::Call;
use crate::expand::docs::schema_of;
use crate::expand::server::decoded_args;
use crate::naming;

/// The three wire names of a subscription, after the namespace.
struct Names {
    subscribe: String,
    unsubscribe: String,
    notification: String,
}

impl Names {
    fn of(api: &Api, method: &Method) -> Self {
        Self {
            subscribe: api.full_name(&method.name()),
            unsubscribe: api.full_name(&method.unsubscribe_name()),
            notification: api.full_name(&method.notification_name()),
        }
    }
}

/// Registers the subscription (its subscribe and unsubscribe methods) on
/// the router being built. The handler runs on its own task, so it owns
/// what it uses: a clone of the shared `Arc<Self>` and the connection's
/// context, lent to the method as `&Context`.
pub(crate) fn register(api: &Api, method: &Method) -> TokenStream {
    let Some(pending) = &method.pending else {
        // Validation requires one; nothing to register without it.
        return TokenStream::new();
    };
    let this = naming::local("this");
    let router = naming::local("router");
    let ctx = naming::local("ctx");
    let pending_local = naming::local("pending");
    let Names {
        subscribe,
        unsubscribe,
        notification,
    } = Names::of(api, method);
    let json_names: Vec<String> = method.args.iter().map(|a| a.json_name()).collect();
    let (wrappers, args, locals) = decoded_args(method);
    let ident = &method.ident;
    let trait_ident = &api.original.ident;
    let method_path = quote!(<Self as #trait_ident>::#ident);
    let pending_ty = &pending.original.ty;
    let (ctx_pat, ctx_arg) = match &method.context {
        Some(_) => (quote!(#ctx), quote!(&#ctx,)),
        None => (quote!(_), TokenStream::new()),
    };
    let call = quote!(#method_path(&*#this, #pending_local, #ctx_arg #(#locals),*));
    let call = if method.is_async {
        quote!(#call.await)
    } else {
        call
    };
    // The item type's bounds (`Serialize + 'static`) are the registration's:
    // a type that lacks them is reported at the `PendingSubscription<T>`'s `T`.
    let register = quote_spanned!(pending.item.span()=> register_subscription);
    quote! {
        {
            #(#wrappers)*
            let #this = ::core::clone::Clone::clone(&#this);
            let _ = ::rpc_runtime::__private::registered(#router.#register(
                #subscribe,
                #notification,
                #unsubscribe,
                &[#(#json_names),*],
                move |#args, #pending_local: #pending_ty, #ctx_pat: ::rpc_runtime::Context| {
                    let #this = ::core::clone::Clone::clone(&#this);
                    async move {
                        #call;
                    }
                },
            ));
        }
    }
}

/// The client's method: sends the subscribe call with the trait method's
/// params and returns the typed stream of its items.
pub(crate) fn client_method(api: &Api, method: &Method) -> TokenStream {
    let Some(item) = &method.attrs.item else {
        // Validation requires one.
        return TokenStream::new();
    };
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
        ..
    } = Call::new(api, method);
    let module = naming::methods_module(&api.original.ident);
    let unsubscribe_const = naming::unsubscribe_const(&method.ident);
    let notification_const = naming::notification_const(&method.ident);
    let Names {
        subscribe,
        unsubscribe,
        notification,
    } = Names::of(api, method);
    let separator = (!docs.is_empty()).then(|| quote!(#[doc = ""]));
    let note = format!(
        " Subscribes with `{subscribe}`: the stream yields each item the server sends (notifications `{notification}`); `unsubscribe().await` on it, or dropping it, ends the subscription with `{unsubscribe}`."
    );
    let result = quote!(::core::result::Result);
    let client_error = quote!(::rpc_runtime::client::ClientError);
    // The item's bounds (`DeserializeOwned + Send + 'static`) are the
    // helper's: a type that lacks them is reported once, at `item = T`.
    let subscribe_call =
        quote_spanned!(item.span()=> ::rpc_runtime::__private::subscribe::<_, #item>);
    quote! {
        #(#docs)*
        #separator
        #[doc = #note]
        #(#deprecated)*
        pub async fn #ident(&self, #(#arg_idents: #arg_types),*)
            -> #result<::rpc_runtime::client::Subscription<#item>, #client_error>
        {
            #(#wrappers)*
            let #params = match #encode {
                #result::Ok(#params) => #params,
                #result::Err(#error) => return #result::Err(#client_error::Encode(#error)),
            };
            #subscribe_call(
                &self.caller,
                #name,
                #params,
                #module::#notification_const,
                #module::#unsubscribe_const,
            )
            .await
        }
    }
}

/// The unsubscribe and notification constants (identifier, value, doc);
/// the subscribe method's is every method's.
pub(crate) fn constants(api: &Api, method: &Method, link: &str) -> Vec<(Ident, String, String)> {
    let Names {
        unsubscribe,
        notification,
        ..
    } = Names::of(api, method);
    vec![
        (
            naming::unsubscribe_const(&method.ident),
            unsubscribe.clone(),
            format!(" `{unsubscribe}`: the method that ends a subscription of {link}."),
        ),
        (
            naming::notification_const(&method.ident),
            notification.clone(),
            format!(" `{notification}`: the method of the notifications that carry the items of {link}."),
        ),
    ]
}

/// The subscription's two OpenRPC entries: `entry` (the subscribe method,
/// as `docs` builds every method) answering the subscription's id, with
/// `x-subscription`; and the unsubscribe method, with `x-unsubscribe-of`.
pub(crate) fn doc_entries(api: &Api, method: &Method, entry: TokenStream) -> Vec<TokenStream> {
    let Some(item) = &method.attrs.item else {
        return vec![entry];
    };
    let openrpc = quote!(::rpc_runtime::openrpc);
    let Names {
        subscribe,
        unsubscribe,
        notification,
    } = Names::of(api, method);
    let id: Type = syn::parse_quote!(::rpc_runtime::subscription::SubscriptionId);
    let id_schema = schema_of(&id);
    let bool_schema = schema_of(&syn::parse_quote!(bool));
    let item_schema = schema_of(item);
    let summary = format!("Ends a subscription made by `{subscribe}`.");
    let deprecated = (!method.deprecated.is_empty()).then(|| quote!(.with_deprecated(true)));
    let subscribe_entry = quote! {
        #entry
            .with_result(
                #openrpc::ContentDescriptor::new("subscription", #id_schema)
                    .with_required(true)
                    .with_description("The new subscription's id: each notification names it, the unsubscribe method takes it."),
            )
            .with_subscription(#openrpc::SubscriptionSpec::new(#notification, #unsubscribe, #item_schema))
    };
    let unsubscribe_entry = quote! {
        #openrpc::Method::new(#unsubscribe)
            .with_summary(#summary)
            .with_param(
                #openrpc::ContentDescriptor::new("subscription", #id_schema)
                    .with_required(true)
                    .with_description("The id the subscribe call answered."),
            )
            .with_result(
                #openrpc::ContentDescriptor::new("result", #bool_schema)
                    .with_required(true)
                    .with_description("`true` when the subscription is ended, `false` for an id the connection does not know."),
            )
            .with_unsubscribe_of(#subscribe)
            #deprecated
    };
    vec![subscribe_entry, unsubscribe_entry]
}

/// For each subscription, a `const` that compiles only when `item = T` and
/// the `PendingSubscription<U>` argument name the same type, reported at
/// `U`. The server uses `U` and the client and docs `T`, so nothing else
/// ties them (and nothing else is reported when they differ).
pub(crate) fn item_checks(api: &Api) -> TokenStream {
    let checks = api.methods.iter().filter_map(|method| {
        let (pending, item) = (method.pending.as_ref()?, method.attrs.item.as_ref()?);
        let pending_item = &pending.item;
        let check = quote_spanned! {pending_item.span()=>
            ::rpc_runtime::__private::same_item::<#pending_item, #item>()
        };
        Some(quote!(const _: () = #check;))
    });
    quote!(#(#checks)*)
}

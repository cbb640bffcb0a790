//! Every rule an `#[rpc]` trait must follow, checked before expanding.
//! All violations are collected, each reported once at the token at fault.

use std::collections::HashMap;

use quote::ToTokens as _;
use syn::Type;

use crate::ast::{is_context, misused_context, Api, Method, Output};
use crate::errors::Errors;
use crate::naming;
use crate::subscription::pending_item;

/// The JSON-RPC specification reserves method names starting with this.
const RESERVED_PREFIX: &str = "rpc.";

/// The most arguments a method may take (params decode into tuples of up to 16).
const MAX_ARGS: usize = 16;

pub(crate) fn check(api: &Api, errors: &mut Errors) {
    check_trait(api, errors);
    for method in &api.methods {
        check_generated_clash(api, method, errors);
        check_signature(method, errors);
        check_args(method, errors);
        check_output(method, errors);
        check_subscription(method, errors);
    }
    check_names(api, errors);
    check_constants(api, errors);
}

/// Each method's wire name is a constant named after the fn in upper case
/// (`{trait}_methods::ADD`): two fns must not give the same one.
fn check_constants(api: &Api, errors: &mut Errors) {
    let mut seen: HashMap<String, String> = HashMap::new();
    for method in &api.methods {
        let mut constants = vec![naming::method_const(&method.ident)];
        if method.is_subscription() {
            constants.push(naming::unsubscribe_const(&method.ident));
            constants.push(naming::notification_const(&method.ident));
        }
        let ident = method.ident.to_string();
        for constant in constants.iter().map(ToString::to_string) {
            match seen.get(&constant) {
                Some(first) => {
                    errors.at(
                        &method.ident,
                        format!(
                            "`{ident}` and `{first}` both name the wire-name constant `{}::{constant}`; rename one",
                            naming::methods_module(&api.original.ident)
                        ),
                    );
                    break;
                }
                None => {
                    seen.insert(constant, ident.clone());
                }
            }
        }
    }
}

fn check_trait(api: &Api, errors: &mut Errors) {
    let item = &api.original;
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        errors.at(&item.generics, "an #[rpc] trait cannot be generic");
    }
    if let (Some(_), Some(client_only)) = (api.args.server_only, api.args.client_only) {
        errors.push(syn::Error::new(
            client_only,
            "`server_only` and `client_only` exclude each other",
        ));
    }
    if let Some(ns) = &api.args.namespace {
        if ns.value().is_empty() {
            errors.at(ns, "the namespace must not be empty");
        }
    }
    if let Some(sep) = &api.args.separator {
        if api.args.namespace.is_none() {
            errors.at(sep, "`namespace_separator` needs a `namespace`");
        }
    }
}

/// The trait gains `into_router`, the client `new`, `caller`,
/// `into_inner` and `batch`, its batch builder `send`; a method of the same
/// name would collide with them.
fn check_generated_clash(api: &Api, method: &Method, errors: &mut Errors) {
    let name = syn::ext::IdentExt::unraw(&method.ident).to_string();
    let clash = if api.has_server() && name == "into_router" {
        Some("the trait's generated `into_router`")
    } else if api.has_client() && naming::CLIENT_METHODS.contains(&name.as_str()) {
        Some("a method of the generated client")
    } else if api.has_client() && naming::BATCH_METHODS.contains(&name.as_str()) {
        Some("a method of the generated batch builder")
    } else {
        None
    };
    if let Some(what) = clash {
        errors.at(
            &method.ident,
            format!("`{name}` clashes with {what}; rename the fn and keep the JSON name with `#[method(name = \"{name}\")]`"),
        );
    }
}

/// The server calls each method through `Arc<Self>` from many tasks at once,
/// so only `&self` works; generic methods cannot be registered as one handler.
fn check_signature(method: &Method, errors: &mut Errors) {
    let sig = &method.original.sig;
    match sig.receiver() {
        None => errors.at(
            &sig.ident,
            "an #[rpc] method takes `&self` as its first argument",
        ),
        Some(receiver)
            if !matches!(receiver.kind, syn::ReceiverKind::Reference(_, _, None))
                || receiver.mutability.is_some() =>
        {
            errors.at(
                receiver,
                "the receiver of an #[rpc] method must be `&self` (the server shares one value across concurrent calls)",
            );
        }
        Some(_) => {}
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.at(
            &sig.generics,
            "an #[rpc] method cannot be generic: each method needs concrete parameter and result types",
        );
    }
    if let Some(body) = &method.original.default {
        errors.push(syn::Error::new(
            body.brace_token.span.join(),
            "an #[rpc] method cannot have a default body; implement it in the impl",
        ));
    }
    if let (Some(blocking), true) = (method.attrs.blocking, method.is_async) {
        errors.push(syn::Error::new(
            blocking,
            "`blocking` applies to sync methods: remove it, or make the method a plain `fn`",
        ));
    }
}

fn check_args(method: &Method, errors: &mut Errors) {
    if let Some((index, context)) = &method.context {
        match (&method.pending, method.is_subscription()) {
            // A subscription takes its pending subscription first (or that
            // is reported), then the context.
            (Some(pending), true) if pending.index == 0 && *index != 1 => errors.at(
                context,
                "the context argument must come right after the pending subscription",
            ),
            (_, true) => {}
            _ if *index != 0 => errors.at(
                context,
                "the context argument must come first, right after `&self`",
            ),
            _ => {}
        }
    }
    // Named params are matched by JSON name, so two arguments cannot share one.
    let mut json_names = HashMap::new();
    for arg in &method.args {
        let name = arg.json_name();
        if let Some(rename) = &arg.rename {
            if name.is_empty() {
                errors.at(rename, "a parameter name must not be empty");
            }
        }
        if !name.is_empty() && json_names.insert(name.clone(), ()).is_some() {
            match &arg.rename {
                Some(rename) => errors.at(rename, format!("duplicate parameter name `{name}`")),
                None => errors.at(
                    &arg.original.pat,
                    format!("duplicate parameter name `{name}`"),
                ),
            }
        }
        if arg.ident.is_none() {
            errors.at(
                &arg.original.pat,
                "pattern arguments are not supported in an #[rpc] method; name the argument",
            );
        }
        check_arg_type(&arg.ty, errors);
    }
    // Only the last argument can take "every remaining param".
    let last = method.args.len().saturating_sub(1);
    for (index, arg) in method.args.iter().enumerate() {
        if let Some(span) = arg.variadic {
            if index != last {
                errors.push(syn::Error::new(
                    span,
                    "only the last argument can be variadic",
                ));
            }
        }
    }
    if method.args.len() > MAX_ARGS {
        errors.at(
            &method.original.sig.inputs,
            format!("an #[rpc] method takes at most {MAX_ARGS} JSON parameters"),
        );
    }
}

fn check_arg_type(ty: &Type, errors: &mut Errors) {
    if let Some(message) = misused_context(ty) {
        errors.at(ty, message);
        return;
    }
    if pending_item(ty).is_some() {
        errors.at(ty, "a method takes one `PendingSubscription` argument");
        return;
    }
    if let Type::Reference(reference) = ty {
        if pending_item(&reference.elem).is_some() {
            errors.at(
                ty,
                "take the pending subscription by value (it is accepted or rejected once): `pending: PendingSubscription<..>`",
            );
            return;
        }
    }
    match ty {
        Type::ImplTrait(_) => errors.at(
            ty,
            "`impl Trait` arguments are not supported in an #[rpc] method; use a concrete type",
        ),
        Type::Reference(reference) if is_context(ty) => {
            errors.at(reference, "a method takes at most one context argument")
        }
        Type::Reference(reference) => {
            let owned = match &*reference.elem {
                Type::Path(p) if p.path.is_ident("str") => "such as `String`".to_owned(),
                Type::Slice(s) => format!("such as `Vec<{}>`", s.elem.to_token_stream()),
                _ => "instead".to_owned(),
            };
            errors.at(
                ty,
                format!(
                    "`{}` cannot be decoded from JSON params; take an owned type {owned}",
                    ty.to_token_stream().to_string().replace("& ", "&")
                ),
            );
        }
        _ => {}
    }
}

fn check_output(method: &Method, errors: &mut Errors) {
    let syn::ReturnType::Type(_, ty) = &method.original.sig.output else {
        return;
    };
    if method.is_subscription() {
        // See `check_subscription`.
        return;
    }
    if method.is_notification() && !matches!(method.output, Output::Unit) {
        errors.at(
            ty,
            "a #[notification] gets no reply, so it cannot return a value; remove the return type",
        );
    } else if contains_impl_trait(ty) {
        errors.at(
            ty,
            "an #[rpc] method must return a concrete type, not `impl Trait`",
        );
    }
}

/// A subscription's call is answered with the new id once its producer
/// accepts the `PendingSubscription` (or with the error it rejects it
/// with): so it takes one, first, returns nothing, and names the type of
/// its items (which the client's stream and the docs use).
fn check_subscription(method: &Method, errors: &mut Errors) {
    let Some((crate::attr::Marker::Subscription, marker)) = method.attrs.marker else {
        if let Some(pending) = &method.pending {
            errors.at(
                &pending.original.ty,
                "a `PendingSubscription` argument belongs to a subscription: mark the method `#[subscription(item = ..)]`",
            );
        }
        return;
    };
    let item = method.attrs.item.as_ref();
    if item.is_none() {
        errors.push(syn::Error::new(
            marker,
            "a #[subscription] needs `item = T`, the type of the items it sends",
        ));
    }
    match &method.pending {
        None => {
            // `&PendingSubscription<T>` is reported at the argument.
            let by_reference = method.args.iter().any(
                |arg| matches!(&arg.ty, Type::Reference(r) if pending_item(&r.elem).is_some()),
            );
            if !by_reference {
                let item =
                    item.map_or_else(|| "Item".to_owned(), |t| t.to_token_stream().to_string());
                errors.at(
                    &method.ident,
                    format!("a #[subscription] method takes the pending subscription first, right after `&self`: `pending: PendingSubscription<{item}>`"),
                );
            }
        }
        Some(pending) if pending.index != 0 => errors.at(
            &pending.original,
            "the pending subscription must come first, right after `&self`",
        ),
        Some(_) => {}
    }
    if let (syn::ReturnType::Type(_, ty), false) = (
        &method.original.sig.output,
        matches!(method.output, Output::Unit),
    ) {
        errors.at(
            ty,
            "a #[subscription] returns nothing: its call is answered with the new subscription's id when it accepts the pending subscription; remove the return type",
        );
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    matches!(ty, Type::ImplTrait(_))
}

/// Every name a trait registers (method names and aliases, after the
/// namespace) must be unique and outside the reserved `rpc.` space: the
/// router refuses both at run time, so they are caught here instead.
fn check_names(api: &Api, errors: &mut Errors) {
    if let Some(ns) = &api.args.namespace {
        if api.full_name("x").starts_with(RESERVED_PREFIX) {
            errors.at(ns, "names starting with `rpc.` are reserved by JSON-RPC");
            return;
        }
    }
    // Each name, and who uses it ("method `add`").
    let mut seen: HashMap<String, String> = HashMap::new();
    for method in &api.methods {
        let ident = method.ident.to_string();
        let unsubscribe = method.is_subscription().then(|| {
            let span = method
                .attrs
                .unsubscribe
                .as_ref()
                .map_or_else(|| method.name_span(), syn::LitStr::span);
            (method.unsubscribe_name(), span, true)
        });
        if method.is_subscription() {
            check_notification_name(api, method, errors);
        }
        let names = std::iter::once((method.name(), method.name_span(), false))
            .chain(
                method
                    .attrs
                    .aliases
                    .iter()
                    .map(|a| (a.value(), a.span(), false)),
            )
            .chain(unsubscribe);
        for (name, span, is_unsubscribe) in names {
            let full = api.full_name(&name);
            if name.is_empty() {
                errors.push(syn::Error::new(span, "a method name must not be empty"));
            } else if full.starts_with(RESERVED_PREFIX) {
                errors.push(syn::Error::new(
                    span,
                    format!("`{full}`: names starting with `rpc.` are reserved by JSON-RPC"),
                ));
            } else if let Some(first) = seen.get(&full) {
                let message = if is_unsubscribe {
                    format!("duplicate method name `{full}`, the unsubscribe method of `{ident}`: {first} already uses it; name another with `unsubscribe = \"..\"`")
                } else {
                    format!("duplicate method name `{full}`: {first} already uses it")
                };
                errors.push(syn::Error::new(span, message));
            } else if is_unsubscribe {
                seen.insert(full, format!("the unsubscribe method of `{ident}`"));
            } else {
                seen.insert(full, format!("method `{ident}`"));
            }
        }
    }
}

/// A subscription's notification is a method name too (the client's): not
/// empty, not in the reserved `rpc.` space. Several subscriptions may share
/// one (their ids tell them apart).
fn check_notification_name(api: &Api, method: &Method, errors: &mut Errors) {
    let name = method.notification_name();
    let full = api.full_name(&name);
    let span = method
        .attrs
        .notification
        .as_ref()
        .map_or_else(|| method.name_span(), syn::LitStr::span);
    if name.is_empty() {
        errors.push(syn::Error::new(
            span,
            "a notification name must not be empty",
        ));
    } else if full.starts_with(RESERVED_PREFIX) {
        errors.push(syn::Error::new(
            span,
            format!("`{full}`: names starting with `rpc.` are reserved by JSON-RPC"),
        ));
    }
}

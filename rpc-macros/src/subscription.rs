//! What is particular to `#[subscription]` methods in the parsed view: the
//! pending-subscription argument, and the names the subscription goes by
//! (its subscribe and unsubscribe methods and its notification), with
//! their defaults.

use syn::{PatType, Type};

use crate::ast::Method;
use crate::attr::Marker;

/// A `PendingSubscription<T>` argument.
pub(crate) struct Pending {
    /// Its position among the arguments after the receiver.
    pub(crate) index: usize,
    pub(crate) original: PatType,
    /// The `T` of `PendingSubscription<T>`.
    pub(crate) item: Type,
}

/// The `T` of `PendingSubscription<T>` (by any path ending in
/// `PendingSubscription`); `None` for any other type.
pub(crate) fn pending_item(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "PendingSubscription" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [syn::GenericArgument::Type(item)] => Some(item),
        _ => None,
    }
}

/// The prefix a subscribe method's name usually has: `subscribe_count`.
const SUBSCRIBE_PREFIX: &str = "subscribe_";

/// `subscribe_count` -> `unsubscribe_count`; any other `name` ->
/// `{name}_unsubscribe`.
fn default_unsubscribe(name: &str) -> String {
    match name.strip_prefix(SUBSCRIBE_PREFIX) {
        Some(rest) if !rest.is_empty() => format!("un{SUBSCRIBE_PREFIX}{rest}"),
        _ => format!("{name}_unsubscribe"),
    }
}

/// `subscribe_count` -> `count`; any other `name` is its own notification.
fn default_notification(name: &str) -> String {
    match name.strip_prefix(SUBSCRIBE_PREFIX) {
        Some(rest) if !rest.is_empty() => rest.to_owned(),
        _ => name.to_owned(),
    }
}

impl Method {
    /// Whether `#[subscription]` marks the method.
    pub(crate) fn is_subscription(&self) -> bool {
        matches!(self.attrs.marker, Some((Marker::Subscription, _)))
    }

    /// The unsubscribe method's own name (before the namespace):
    /// `#[subscription(unsubscribe)]`, else derived from [`Method::name`].
    pub(crate) fn unsubscribe_name(&self) -> String {
        self.attrs
            .unsubscribe
            .as_ref()
            .map_or_else(|| default_unsubscribe(&self.name()), syn::LitStr::value)
    }

    /// The notification's own name (before the namespace):
    /// `#[subscription(notification)]`, else derived from [`Method::name`].
    pub(crate) fn notification_name(&self) -> String {
        self.attrs
            .notification
            .as_ref()
            .map_or_else(|| default_notification(&self.name()), syn::LitStr::value)
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens as _;
    use syn::parse_quote;

    use super::*;

    #[test]
    fn defaults_follow_the_subscribe_prefix() {
        assert_eq!(default_unsubscribe("subscribe_count"), "unsubscribe_count");
        assert_eq!(default_notification("subscribe_count"), "count");
        assert_eq!(default_unsubscribe("ticks"), "ticks_unsubscribe");
        assert_eq!(default_notification("ticks"), "ticks");
        assert_eq!(default_unsubscribe("subscribe_"), "subscribe__unsubscribe");
        assert_eq!(default_notification("subscribe_"), "subscribe_");
    }

    #[test]
    fn any_path_to_a_pending_subscription_has_an_item() {
        let item = |ty: Type| pending_item(&ty).map(|t| t.to_token_stream().to_string());
        assert_eq!(
            item(parse_quote!(PendingSubscription<i64>)).as_deref(),
            Some("i64")
        );
        assert_eq!(
            item(parse_quote!(
                rpc_runtime::subscription::PendingSubscription<Vec<u8>>
            ))
            .as_deref(),
            Some("Vec < u8 >")
        );
        assert_eq!(item(parse_quote!(PendingSubscription)), None);
        assert_eq!(item(parse_quote!(Option<PendingSubscription<i64>>)), None);
        assert_eq!(item(parse_quote!(i64)), None);
    }
}

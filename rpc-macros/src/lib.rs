//! Procedural macros for the JSON-RPC toolkit: `#[rpc]` turns a trait into a
//! typed server (a [`Router`] builder on the trait) and a typed client
//! (`{Trait}Client<C: Caller>`), its methods calls, notifications and
//! subscriptions; `#[derive(RpcError)]` maps an error enum to JSON-RPC error
//! objects and back.
//!
//! Use them through `rpc_runtime` (feature `macros`): `rpc_runtime::rpc` and
//! `rpc_runtime::RpcError`. The expansion names only `::rpc_runtime`,
//! `::core` and `::std` paths. Set `RPC_MACROS_DEBUG=1` to print each
//! expansion to stderr.
//!
//! [`Router`]: https://docs.rs/rpc-runtime/latest/rpc_runtime/struct.Router.html
#![deny(missing_docs)]

mod ast;
mod attr;
mod derive_error;
mod errors;
mod expand;
mod naming;
mod subscription;
mod valid;

use proc_macro::TokenStream;

/// Turns a trait into a JSON-RPC API: the trait stays the server trait (any
/// `T: Trait + Send + Sync + 'static` becomes a router with
/// `into_router()`), a `{Trait}Client<C: Caller>` calls it from the other
/// side (one call at a time, or typed batches through `client.batch()`, a
/// `{Trait}Batch`), and a `{trait}_methods` module holds each method's wire
/// name as a constant.
///
/// Trait arguments: `namespace = "math"`, `namespace_separator = "."`,
/// `client_params = "positional" | "named"`, `server_only`, `client_only`,
/// `no_docs` (no OpenRPC documentation). Method attributes, at most one of
/// the first three per method (a method with none is a call):
///
/// - `#[method(name = "..", aliases = [".."], blocking, client_params =
///   "named")]`, all optional: a call;
/// - `#[notification(..)]` (same keys): a notification, no reply;
/// - `#[subscription(item = T, name = "..", unsubscribe = "..",
///   notification = "..", client_params = "named")]` (`item` required): a
///   subscription, whose fn takes a `PendingSubscription<T>` first (see
///   [Subscriptions](#subscriptions));
/// - `#[rpc(client_params = "named")]`, on any method;
///
/// and `#[param(rename = "..", doc = "..", variadic)]` (or `///` comments)
/// on arguments.
///
#[doc = include_str!("../defining-an-api.md")]
///
/// A mistake is one compile error, at the token at fault:
///
/// ```compile_fail
/// #[rpc_runtime::rpc]
/// pub trait Greeter {
///     async fn greet(&self, name: &str) -> String; // `&str` cannot be decoded: take `String`
/// }
/// ```
#[proc_macro_attribute]
pub fn rpc(attr: TokenStream, item: TokenStream) -> TokenStream {
    let output = expand::rpc(attr.into(), item.into());
    debug_dump("rpc", &output);
    output.into()
}

/// Implements `rpc_runtime::RpcError` for an enum whose variants carry
/// `#[rpc(code = 1001)]` (and optionally `message = ".."`).
///
/// The error object's message is the attribute's message or the value's
/// `Display`; its data is the value serialized with serde, which the client
/// decodes back into the enum when the code is one of the declared codes.
///
/// ```
/// use rpc_runtime::RpcError;
///
/// #[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
/// pub enum VaultError {
///     #[error("the vault is locked")]
///     #[rpc(code = 4001)]
///     Locked,
/// }
///
/// let object = VaultError::Locked.to_error_object();
/// assert_eq!((object.code, &*object.message), (4001, "the vault is locked"));
/// assert_eq!(VaultError::from_error_object(&object), Some(VaultError::Locked));
/// ```
#[proc_macro_derive(RpcError, attributes(rpc))]
pub fn derive_rpc_error(item: TokenStream) -> TokenStream {
    let output = derive_error::derive(item.into());
    debug_dump("derive(RpcError)", &output);
    output.into()
}

fn debug_dump(what: &str, output: &proc_macro2::TokenStream) {
    if std::env::var_os("RPC_MACROS_DEBUG").is_some_and(|v| v == "1") {
        eprintln!("---- {what} expansion ----\n{output}\n----");
    }
}

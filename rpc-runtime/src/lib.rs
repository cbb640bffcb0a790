//! The transport-agnostic core of a JSON-RPC 2.0 toolkit: protocol types,
//! params decoding, error mapping, the method router, batching and
//! per-connection context. The HTTP and WebSocket servers are built on it
//! (feature `server`).
//!
//! A JSON-RPC exchange is text in, text out: [`Router::message`] (awaited:
//! [`Router::handle`]) takes one message and returns the response text, or
//! nothing. Transports only frame and move text between a socket and the
//! router; [middleware] wraps the one path every call takes.
//!
//! Where a request goes: the transport hands each message, with the
//! connection's [`Context`], to [`Router::message`]. A plain call to a
//! method registered by argument types is read there in one pass, its
//! params decoded straight into the argument types (with layers, any plain
//! call is read in one pass, its params left raw until the method runs);
//! any other message is parsed once, its responses handed to the
//! transport's [`ResponseSink`] (a bidirectional connection's waiting
//! calls), and each call, alone or in a batch (members run concurrently),
//! passes the router's [layers](Router::layer) to the method table, where
//! its handler runs guarded (a panic is that call's `-32603`, a slow one
//! meets the call timeout). The answer, or the [`Refusal`] a transport
//! asked for (busy, closing, too large...), is written here with the
//! request's id and handed back at once ([`Answer::Now`]) or as a future
//! ([`Answer::Later`]).
//!
//! On a connection that can push (WebSocket), a method may open a
//! [subscription]: the connection's [`Subscriptions`](subscription::Subscriptions)
//! in its [`Context`] hold it, and its notifications go out through the
//! transport's queue after the reply that carries its id.
//!
//! ```
//! use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
//! # futures_executor::block_on(async {
//! let mut router = Router::new();
//! // Arguments decoded by type, positional or named; `#[rpc]` writes this for you.
//! router.register_sync_args("subtract", &["minuend", "subtrahend"], |(minuend, subtrahend): (i64, i64), _ctx| {
//!     Ok::<_, ErrorObjectOwned>(minuend - subtrahend)
//! }).unwrap();
//! // Or a handler that reads its params itself (a variadic `sum`, say).
//! router.register_sync("sum", |params, _ctx| {
//!     Ok::<_, ErrorObjectOwned>(params.parse::<Vec<i64>>()?.iter().sum::<i64>())
//! }).unwrap();
//!
//! let ctx = Context::new();
//! let reply = router.handle(r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#, &ctx).await;
//! assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":19,"id":1}"#);
//! let reply = router.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":2}"#, &ctx).await;
//! assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":7,"id":2}"#);
//!
//! // Notifications get no reply, even when they fail.
//! assert_eq!(router.handle(r#"{"jsonrpc":"2.0","method":"nope"}"#, &ctx).await, None);
//! # });
//! ```
//!
//! # Features
//!
//! Each can be turned off (`default-features = false`) by those who do not
//! need it; CI builds the crate with each feature alone and with none.
//!
//! | feature | on by default | what it adds |
//! |---|---|---|
//! | `server` | yes | the HTTP + WebSocket server on one port (hyper, tower), the TCP and Unix socket servers, stdio ([`server`], [`stream`]); implies `ws` and `stream` |
//! | `macros` | yes | `#[rpc]` and `#[derive(RpcError)]`, re-exported from `rpc-macros` |
//! | `openrpc` | yes | OpenRPC documents from `#[rpc]` traits and the `rpc.discover` method (`schemars`) |
//! | `metrics` | yes | [`middleware::MetricsLayer`] and the open-connection gauges, through the `metrics` facade |
//! | `rate-limit` | yes | [`middleware::RateLimitLayer`], per peer address and per connection (`governor`) |
//! | `zmq` | yes | ZeroMQ (ZMTP 3) over TCP and `ipc://`: the wire protocol and, with `server`, REP and ROUTER servers; no extra dependency |
//! | `ws` | with `server` | the WebSocket connection driver shared by the server and `rpc-client` (`tokio-tungstenite`) |
//! | `stream` | with `server` | framed byte-stream connections (newline-delimited JSON, `Content-Length`) on the same driver |
//! | `tls` | no | HTTPS and WSS on the server's port from a `rustls::ServerConfig` (HTTP/2 by ALPN, client certificates, reload); no crypto provider forced: the config names its own (`tokio-rustls`) |
//! | `redis` | no | [`subscription::RedisBroker`]: topics across server instances, with history (`redis`) |
//!
//! Without any, the crate is the transport-agnostic core: protocol types,
//! params, errors, the router, batching, middleware, subscriptions in
//! process, and the client-side call machinery.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod client;
mod config;
mod context;
mod error;
pub mod middleware;
#[cfg(feature = "openrpc")]
pub mod openrpc;
pub mod params;
pub mod protocol;
mod router;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "stream")]
pub mod stream;
pub mod subscription;
#[cfg(feature = "ws")]
pub mod ws;
#[cfg(feature = "zmq")]
pub mod zmq;

pub use config::RouterConfig;
pub use context::{Context, ContextBuilder, RequestHead};
pub use error::{InternalError, MethodError, RpcError};
pub use router::{
    Answer, BoxFuture, Inbound, MethodInfo, MethodOutput, NotificationSink, Refusal, RegisterError,
    ResponseSink, Router, RESERVED_PREFIX,
};

#[cfg(feature = "macros")]
pub use rpc_macros::{rpc, RpcError};

/// Runs a CPU-heavy closure on Tokio's blocking pool so it does not hold up
/// the async workers; runs it in place when there is no Tokio runtime.
///
/// A panic in `f` is carried back to the caller (the router turns it into
/// `-32603` for that call).
///
/// ```
/// # futures_executor::block_on(async {
/// let n = rpc_runtime::run_blocking(|| (1..=10u64).product::<u64>()).await;
/// assert_eq!(n, 3_628_800);
/// # });
/// ```
pub async fn run_blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => match handle.spawn_blocking(f).await {
            Ok(value) => value,
            Err(error) => match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // The task was cancelled: only happens while the runtime shuts down.
                Err(error) => std::panic::panic_any(format!("blocking task cancelled: {error}")),
            },
        },
        Err(_) => f(),
    }
}

#[cfg(feature = "openrpc")]
#[doc(hidden)]
#[macro_export]
macro_rules! __rpc_with_openrpc {
    ($($code:tt)*) => { $($code)* };
}

#[cfg(not(feature = "openrpc"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __rpc_with_openrpc {
    ($($code:tt)*) => {};
}

/// Items the `#[rpc]` macro's expansion uses; not a stable API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "openrpc")]
    pub use schemars;
    pub use serde;
    pub use serde_json;

    /// Keeps the documentation code `#[rpc]` writes when the `openrpc`
    /// feature is on, drops it when it is off (a proc macro cannot see the
    /// features of this crate).
    pub use crate::__rpc_with_openrpc as with_openrpc;

    /// The declared errors of a method's error type, as document entries.
    #[cfg(feature = "openrpc")]
    #[must_use]
    pub fn error_specs(errors: Vec<ErrorObjectOwned>) -> Vec<crate::openrpc::ErrorSpec> {
        errors
            .into_iter()
            .map(crate::openrpc::ErrorSpec::from)
            .collect()
    }

    use crate::protocol::ErrorObjectOwned;
    use crate::{MethodInfo, RegisterError, RpcError};

    /// A method's return type named `Result`: `core::result::Result<T, E>`,
    /// however it is spelled (`Result<T, E>`, a crate's `Result<T>` alias,
    /// `io::Result<T>`...). The expansion finds the result and the
    /// application error through it, so an alias cannot change what goes on
    /// the wire.
    ///
    /// ```
    /// use rpc_runtime::__private::Fallible;
    /// type Result<T> = std::result::Result<T, rpc_runtime::InternalError>;
    /// let ok: <Result<u64> as Fallible>::Ok = 10;
    /// assert_eq!(Fallible::into_result(Result::Ok(ok)).ok(), Some(10));
    /// ```
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not `core::result::Result`: an #[rpc] method cannot return it",
        label = "a return type named `Result` must be `core::result::Result<T, E>` (or an alias of it)",
        note = "to send this type as a plain result, give it another name (`use .. as ..`)"
    )]
    pub trait Fallible {
        /// The success type, `T`.
        type Ok;
        /// The application error, `E`.
        type Err;
        /// The value as a `Result`.
        ///
        /// # Errors
        ///
        /// `Err` when the method failed.
        fn into_result(self) -> Result<Self::Ok, Self::Err>;
    }

    impl<T, E> Fallible for Result<T, E> {
        type Ok = T;
        type Err = E;
        fn into_result(self) -> Self {
            self
        }
    }

    /// Asks for the JSON Schema of `T` when it has one, an "any value"
    /// schema otherwise (see [`SchemaSet::any_value_for`]). The expansion calls
    /// `(&SchemaProbe::<T>::new()).schema(..)` with both [`ViaJsonSchema`] and
    /// [`ViaAnyValue`] in scope: method lookup takes the `JsonSchema` impl
    /// (on `SchemaProbe<T>`) when `T` has it, else the fallback (on
    /// `&SchemaProbe<T>`). This works because the types are concrete there.
    ///
    /// [`SchemaSet::any_value_for`]: crate::openrpc::SchemaSet::any_value_for
    ///
    /// ```
    /// use rpc_runtime::__private::{SchemaProbe, ViaAnyValue as _, ViaJsonSchema as _};
    /// use rpc_runtime::openrpc::SchemaSet;
    ///
    /// struct NoSchema;
    /// let mut set = SchemaSet::new();
    /// assert_eq!((&SchemaProbe::<i64>::new()).schema(&mut set)["type"], "integer");
    /// let any = (&SchemaProbe::<NoSchema>::new()).schema(&mut set);
    /// assert!(any["title"].as_str().unwrap().ends_with("NoSchema"));
    /// ```
    #[cfg(feature = "openrpc")]
    pub struct SchemaProbe<T: ?Sized>(core::marker::PhantomData<fn() -> Box<T>>);

    #[cfg(feature = "openrpc")]
    impl<T: ?Sized> Default for SchemaProbe<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    #[cfg(feature = "openrpc")]
    impl<T: ?Sized> SchemaProbe<T> {
        /// A probe for `T`.
        #[must_use]
        pub const fn new() -> Self {
            Self(core::marker::PhantomData)
        }
    }

    /// The probe's choice for a type with a JSON Schema.
    #[cfg(feature = "openrpc")]
    pub trait ViaJsonSchema {
        /// `T`'s own schema.
        fn schema(&self, set: &mut crate::openrpc::SchemaSet) -> serde_json::Value;
    }

    #[cfg(feature = "openrpc")]
    impl<T: crate::openrpc::JsonSchema + ?Sized> ViaJsonSchema for SchemaProbe<T> {
        fn schema(&self, set: &mut crate::openrpc::SchemaSet) -> serde_json::Value {
            set.schema_for::<T>()
        }
    }

    /// The probe's fallback, for any type.
    #[cfg(feature = "openrpc")]
    pub trait ViaAnyValue {
        /// An "any value" schema naming `T`.
        fn schema(&self, set: &mut crate::openrpc::SchemaSet) -> serde_json::Value;
    }

    #[cfg(feature = "openrpc")]
    impl<T: ?Sized> ViaAnyValue for &SchemaProbe<T> {
        fn schema(&self, set: &mut crate::openrpc::SchemaSet) -> serde_json::Value {
            set.any_value_for::<T>()
        }
    }

    /// A `#[subscription]`'s `item = Item` and its `PendingSubscription<Pending>`
    /// argument name the same type (through aliases too).
    ///
    /// ```
    /// use rpc_runtime::__private::SameItem;
    /// fn check<Pending: SameItem<Item> + ?Sized, Item: ?Sized>() {}
    /// type Count = u64;
    /// check::<Count, u64>();
    /// ```
    #[diagnostic::on_unimplemented(
        message = "the subscription's items are `{Item}` (its `item`), but it takes a `PendingSubscription<{Self}>`",
        label = "expected `PendingSubscription<{Item}>`",
        note = "`item = ..` and the `PendingSubscription<..>` argument must name the same type"
    )]
    pub trait SameItem<Item: ?Sized> {}

    impl<T: ?Sized> SameItem<T> for T {}

    /// Compiles only when `Pending` is `Item` (see [`SameItem`]).
    ///
    /// ```
    /// const _: () = rpc_runtime::__private::same_item::<i64, i64>();
    /// ```
    ///
    /// ```compile_fail
    /// const _: () = rpc_runtime::__private::same_item::<String, i64>();
    /// ```
    pub const fn same_item<Pending: SameItem<Item> + ?Sized, Item: ?Sized>() {}

    /// What a generated client's subscription method calls: the caller's
    /// [`subscribe`](crate::client::Caller::subscribe), its future boxed so
    /// that an item type the client cannot receive is reported once, here,
    /// and not again where the future is awaited.
    ///
    /// ```
    /// use rpc_runtime::client::ClientError;
    /// use rpc_runtime::params::EncodedParams;
    /// // What `#[rpc]` writes for `#[subscription(name = "subscribe_count", item = i64, ..)]`.
    /// async fn counts(peer: &rpc_runtime::ws::Peer) -> Result<(), ClientError> {
    ///     let params = EncodedParams::from_value(&[1])?;
    ///     let stream = rpc_runtime::__private::subscribe::<_, i64>(peer, "subscribe_count", params, "count", "unsubscribe_count").await?;
    ///     # drop(stream);
    ///     Ok(())
    /// }
    /// ```
    pub fn subscribe<'a, C, T>(
        caller: &'a C,
        method: &'a str,
        params: crate::params::EncodedParams,
        notification: &'a str,
        unsubscribe: &'a str,
    ) -> core::pin::Pin<
        Box<
            dyn core::future::Future<
                    Output = Result<crate::client::Subscription<T>, crate::client::ClientError>,
                > + Send
                + 'a,
        >,
    >
    where
        C: crate::client::Caller,
        T: serde::de::DeserializeOwned + Send + 'static,
    {
        Box::pin(crate::client::Caller::subscribe::<T>(
            caller,
            method,
            params,
            notification,
            unsubscribe,
        ))
    }

    /// Why a generated handler failed: its params did not decode, or the
    /// method returned its application error.
    #[derive(Debug)]
    pub enum Failure<E> {
        /// The params did not decode (`-32602`).
        Params(ErrorObjectOwned),
        /// The method's own error.
        App(E),
    }

    impl<E: RpcError> RpcError for Failure<E> {
        fn to_error_object(&self) -> ErrorObjectOwned {
            match self {
                Failure::Params(object) => object.clone(),
                Failure::App(error) => error.to_error_object(),
            }
        }

        fn internal_detail(&self) -> Option<String> {
            match self {
                Failure::Params(_) => None,
                Failure::App(error) => error.internal_detail(),
            }
        }
    }

    /// The outcome of a generated registration.
    ///
    /// The macro rejects empty, reserved and duplicate names at compile
    /// time, so registration cannot fail here; should that invariant ever
    /// break, the method is skipped and logged rather than panicking.
    pub fn registered(result: Result<&mut MethodInfo, RegisterError>) -> Option<&mut MethodInfo> {
        match result {
            Ok(info) => Some(info),
            Err(error) => {
                tracing::error!(target: "rpc_runtime::router", %error, "generated method not registered");
                None
            }
        }
    }

    /// Adds a generated batch builder's call to `batch`; `decode` reads its
    /// answer (with the builder's wrapper types) from the response.
    pub fn batch_call<T, E>(
        batch: &mut crate::client::BatchRequest,
        method: &str,
        params: crate::params::EncodedParams,
        decode: fn(
            &crate::client::BatchResponse,
            usize,
        ) -> Result<T, crate::client::ClientError<E>>,
    ) -> crate::client::BatchCall<T, E> {
        crate::client::BatchCall::push(batch, method, params, decode)
    }

    /// The `index`th call's result in a batch response, decoded as `R`.
    pub fn batch_result<R: serde::de::DeserializeOwned>(
        response: &crate::client::BatchResponse,
        index: usize,
    ) -> Result<R, crate::client::ClientError> {
        response.decode_at(index)
    }

    /// Recognises a client call's application error through the generated
    /// wrapper `W` (which implements [`RpcError`] for the user's `E`), and
    /// unwraps it.
    pub fn app_error<W: RpcError, E>(
        error: crate::client::ClientError,
        unwrap: fn(W) -> E,
    ) -> crate::client::ClientError<E> {
        use crate::client::ClientError;
        match error.with_app_error::<W>() {
            ClientError::Application(wrapped) => ClientError::Application(unwrap(wrapped)),
            ClientError::Transport(e) => ClientError::Transport(e),
            ClientError::Timeout(d) => ClientError::Timeout(d),
            ClientError::HttpStatus { status, body } => ClientError::HttpStatus { status, body },
            ClientError::Unparsable(e) => ClientError::Unparsable(e),
            ClientError::InvalidResponse(e) => ClientError::InvalidResponse(e),
            ClientError::Rpc(object) => ClientError::Rpc(object),
            ClientError::Decode(e) => ClientError::Decode(e),
            ClientError::Encode(e) => ClientError::Encode(e),
            ClientError::Closed(e) => ClientError::Closed(e),
            ClientError::Unsupported(e) => ClientError::Unsupported(e),
        }
    }
}

//! One log line per call: who called what, how it ended, how long it took.

use std::fmt;
use std::time::Instant;

use tower_layer::Layer;

use super::{Call, CallService};
use crate::MethodOutput;

/// The `tracing` target of the access log's events, to filter them with
/// (`RUST_LOG=rpc_runtime::access=info`, or `=trace` for params and results).
///
/// ```
/// assert_eq!(rpc_runtime::middleware::ACCESS_LOG_TARGET, "rpc_runtime::access");
/// ```
pub const ACCESS_LOG_TARGET: &str = "rpc_runtime::access";

/// A layer that logs every call, at `INFO` under [`ACCESS_LOG_TARGET`]:
/// one event per call when it ends, with the fields
///
/// | field | value |
/// |---|---|
/// | `transport` | `"http"`, `"ws"`, `"in-process"`... |
/// | `peer` | the peer's address (absent in process) |
/// | `request_id` | the `x-request-id` header of the HTTP request (the upgrade request on WebSocket), when sent |
/// | `method` | the method called |
/// | `id` | the request's id as JSON (absent for a notification) |
/// | `outcome` | `ok`, or the error code answered |
/// | `elapsed_us` | the call's time in microseconds |
///
/// and, only when `TRACE` is enabled for that target, a second event at
/// `TRACE` with `params` and `result` (the result's JSON, or the error's
/// message). Without it nothing is copied or formatted for it.
///
/// ```
/// use rpc_runtime::middleware::AccessLogLayer;
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new().layer(AccessLogLayer::new());
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// // With a subscriber installed (`tracing_subscriber::fmt().init()`), this logs
/// // `transport="in-process" method="ping" id=1 outcome=ok elapsed_us=..`.
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, &Context::new()).await;
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a layer does nothing until it is added to a router"]
pub struct AccessLogLayer {
    _private: (),
}

impl AccessLogLayer {
    /// The access log layer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> AccessLog<S> {
        AccessLog { inner }
    }
}

/// The service [`AccessLogLayer`] wraps around the rest of the stack; it can be
/// driven by hand, as in a test:
///
/// ```
/// use rpc_runtime::middleware::{Call, CallService, Next, AccessLogLayer};
/// use rpc_runtime::{params::Params, Context};
/// use tower_layer::Layer as _;
/// # futures_executor::block_on(async {
/// let service = AccessLogLayer::new().layer(Next::method_table());
/// let ctx = Context::new();
/// let outcome = service.call(Call::new("m", Params::none(), None, &ctx)).await;
/// assert_eq!(outcome.unwrap_err().object().code, -32601); // no such method
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct AccessLog<S> {
    inner: S,
}

/// How a call ended, as the logs and metrics print it: `ok` or the code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outcome(pub(crate) Option<i32>);

impl Outcome {
    pub(crate) fn of(output: &MethodOutput) -> Self {
        Self(output.as_ref().err().map(|error| error.object().code))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("ok"),
            Some(code) => write!(f, "{code}"),
        }
    }
}

/// Microseconds since `started`, saturated.
pub(crate) fn micros_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

impl<S: CallService> CallService for AccessLog<S> {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        if !tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::INFO) {
            return self.inner.call(call).await;
        }
        let seen = call.clone();
        let detail = tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::TRACE);
        let started = Instant::now();
        let output = self.inner.call(call).await;
        let elapsed_us = micros_since(started);
        let ctx = seen.context();
        let request_id = ctx
            .request_head()
            .and_then(|head| head.header("x-request-id"));
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            transport = ctx.transport(),
            peer = ctx.peer_addr().map(tracing::field::display),
            request_id,
            method = seen.method(),
            id = seen.id().map(|id| id.as_json()),
            outcome = %Outcome::of(&output),
            elapsed_us,
            "call"
        );
        if detail {
            let result = match &output {
                Ok(json) => json.as_str(),
                Err(error) => &error.object().message,
            };
            tracing::trace!(
                target: ACCESS_LOG_TARGET,
                method = seen.method(),
                id = seen.id().map(|id| id.as_json()),
                params = seen.params().as_json(),
                result,
                "call detail"
            );
        }
        output
    }
}

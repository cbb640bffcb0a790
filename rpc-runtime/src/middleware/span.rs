//! A `tracing` span around each call, for OpenTelemetry and other tracers.

use std::time::Instant;

use tower_layer::Layer;
use tracing::field::Empty;
use tracing::Instrument as _;

use super::access_log::{micros_since, Outcome};
use super::{Call, CallService};
use crate::MethodOutput;

/// The `tracing` target of the spans [`SpanLayer`] opens.
///
/// ```
/// assert_eq!(rpc_runtime::middleware::SPAN_TARGET, "rpc_runtime::call");
/// ```
pub const SPAN_TARGET: &str = "rpc_runtime::call";

/// A layer that runs each call inside a `DEBUG` span named `rpc.call`
/// under [`SPAN_TARGET`], so a tracer (`tracing-opentelemetry`, say) gets
/// one span per call, with the events of the method nested in it.
///
/// Fields, after the OpenTelemetry conventions for RPC: `rpc.system`
/// (`"jsonrpc"`), `rpc.method`, `rpc.jsonrpc.request_id` (the id's JSON;
/// absent for a notification), `rpc.transport`, `otel.name` (the method) and
/// `otel.kind` (`"server"`); recorded when the call ends: `outcome` (`ok` or
/// the error code), `rpc.jsonrpc.error_code` and `otel.status_code`
/// (`"ERROR"`) on an error, and `duration_us`. When the span is disabled the
/// call runs without it, at no cost.
///
/// ```
/// use rpc_runtime::middleware::SpanLayer;
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new().layer(SpanLayer::new());
/// router.register_sync("ping", |_, _| {
///     tracing::info!("inside the rpc.call span");
///     Ok::<_, ErrorObjectOwned>("pong")
/// }).unwrap();
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, &Context::new()).await;
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a layer does nothing until it is added to a router"]
pub struct SpanLayer {
    _private: (),
}

impl SpanLayer {
    /// The span layer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl<S> Layer<S> for SpanLayer {
    type Service = CallSpan<S>;

    fn layer(&self, inner: S) -> CallSpan<S> {
        CallSpan { inner }
    }
}

/// The service [`SpanLayer`] wraps around the rest of the stack; it can be
/// driven by hand, as in a test:
///
/// ```
/// use rpc_runtime::middleware::{Call, CallService, Next, SpanLayer};
/// use rpc_runtime::{params::Params, Context};
/// use tower_layer::Layer as _;
/// # futures_executor::block_on(async {
/// let service = SpanLayer::new().layer(Next::method_table());
/// let ctx = Context::new();
/// let outcome = service.call(Call::new("m", Params::none(), None, &ctx)).await;
/// assert_eq!(outcome.unwrap_err().object().code, -32601); // no such method
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct CallSpan<S> {
    inner: S,
}

impl<S: CallService> CallService for CallSpan<S> {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        let span = tracing::debug_span!(
            target: SPAN_TARGET,
            "rpc.call",
            rpc.system = "jsonrpc",
            rpc.method = call.method(),
            rpc.jsonrpc.request_id = call.id().map(|id| id.as_json()),
            rpc.transport = call.context().transport(),
            otel.name = call.method(),
            otel.kind = "server",
            outcome = Empty,
            rpc.jsonrpc.error_code = Empty,
            otel.status_code = Empty,
            duration_us = Empty,
        );
        if span.is_disabled() {
            return self.inner.call(call).await;
        }
        let started = Instant::now();
        let output = self.inner.call(call).instrument(span.clone()).await;
        let outcome = Outcome::of(&output);
        span.record("outcome", tracing::field::display(outcome));
        if let Some(code) = outcome.0 {
            span.record("rpc.jsonrpc.error_code", code);
            span.record("otel.status_code", "ERROR");
        }
        span.record("duration_us", micros_since(started));
        output
    }
}

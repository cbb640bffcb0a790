//! RPC middleware: layers around the one path every call takes.
//!
//! A layer is a [`tower_layer::Layer`] over [`Next`] (the rest of the
//! stack) whose service implements [`CallService`]: it gets each [`Call`]
//! (method, id, raw params, [`Context`](crate::Context), place in a batch)
//! before the method runs, and its outcome after. Add layers with
//! [`Router::layer`](crate::Router::layer); they run in the order added, the
//! first outermost, as with `tower::ServiceBuilder` (which may be passed as
//! one layer too).
//!
//! Every call passes them: a single call, each member of a batch, each
//! notification (its answer is dropped after the layers saw it), calls to
//! unknown methods, over HTTP, WebSocket, in-process and every other
//! transport. Invalid messages (not JSON, not a request) never reach a
//! layer: there is no call to see.
//!
//! | layer | what it does | feature |
//! |---|---|---|
//! | [`check`] | an asynchronous yes/no before each call to a registered method (auth); [`Router::before_call`](crate::Router::before_call) is its synchronous form | |
//! | [`AccessLogLayer`] | one `INFO` event per call under `rpc_runtime::access` (transport, peer, `x-request-id`, method, id, outcome, time); params and result at `TRACE` | |
//! | [`SpanLayer`] | a `DEBUG` span `rpc.call` around each call, fields after the OpenTelemetry RPC conventions | |
//! | `MetricsLayer` | call counter, duration histogram, calls in flight and batch sizes through the `metrics` facade (table below) | `metrics` |
//! | `RateLimitLayer` | calls per peer IP address and per connection; a refusal is `-32005` with `{"retry_after_ms": N}` | `rate-limit` |
//!
//! The built-in layers are generic over the service they wrap, so they
//! stack in a `tower::ServiceBuilder` as well as with `Router::layer`:
//!
//! ```
//! use rpc_runtime::middleware::{AccessLogLayer, SpanLayer};
//! use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
//! # futures_executor::block_on(async {
//! let stack = tower::ServiceBuilder::new().layer(SpanLayer::new()).layer(AccessLogLayer::new());
//! let mut router = Router::new().layer(stack);
//! router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
//! let reply = router.handle(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, &Context::new()).await;
//! assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
//! # });
//! ```
//!
//! # Metrics
//!
//! What `MetricsLayer` (feature `metrics`) records, names after the
//! OpenTelemetry semantic conventions for RPC. Every metric has the label
//! `rpc.system="jsonrpc"`; `rpc.transport` is the [`Context`]'s transport
//! (`http`, `ws`, `in-process`...). An unregistered method is labelled
//! `rpc.method="unknown"`. A Prometheus exporter writes the dots as `_`
//! (`rpc_server_calls`, `rpc_server_duration_bucket`).
//!
//! | name | type | unit | labels |
//! |---|---|---|---|
//! | `rpc.server.calls` | counter | calls | `rpc.method`, `rpc.transport`, `outcome` (`ok`/`error`), `rpc.jsonrpc.error_code` (errors only) |
//! | `rpc.server.duration` | histogram | s | `rpc.method`, `rpc.transport` |
//! | `rpc.server.active_calls` | gauge | calls | `rpc.transport` |
//! | `rpc.server.batch.size` | histogram | calls | `rpc.transport` (once per batch) |
//! | `rpc.server.open_connections` | gauge | connections | `rpc.transport` (`http`: the standalone server's connections; `ws`: WebSocket connections, however served) |
//!
//! [`Context`]: crate::Context

mod access_log;
mod check;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "rate-limit")]
mod rate_limit;
mod span;

#[cfg(all(feature = "metrics", feature = "ws"))]
pub(crate) use self::metrics::OpenConnectionGauge;
#[cfg(feature = "metrics")]
pub use self::metrics::{describe_metrics, metric_names, Metrics, MetricsLayer, DURATION_BUCKETS};
pub use access_log::{AccessLog, AccessLogLayer, ACCESS_LOG_TARGET};
pub use check::{check, Check, CheckLayer};
#[cfg(feature = "rate-limit")]
pub use rate_limit::{RateLimit, RateLimitLayer};
pub use span::{CallSpan, SpanLayer, SPAN_TARGET};

pub use crate::router::{BatchPosition, Call, CallFuture, CallService, Next};

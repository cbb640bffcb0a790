//! Call, latency, concurrency, batch and connection metrics through the
//! [`metrics`](https://docs.rs/metrics) facade.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use ::metrics::{counter, gauge, histogram, Counter, Gauge, Histogram, Label, SharedString};
use rustc_hash::FxHashMap;
use tower_layer::Layer;

use super::{Call, CallService};
use crate::MethodOutput;

/// The names of the metrics this crate records, after the OpenTelemetry
/// semantic conventions for RPC (see the table in [the module
/// docs](crate::middleware#metrics)).
///
/// ```
/// use rpc_runtime::middleware::metric_names;
/// assert_eq!(metric_names::CALLS, "rpc.server.calls");
/// assert_eq!(metric_names::DURATION, "rpc.server.duration");
/// ```
pub mod metric_names {
    /// Counter: calls ended, by method, transport and outcome.
    pub const CALLS: &str = "rpc.server.calls";
    /// Histogram, seconds: how long calls took.
    pub const DURATION: &str = "rpc.server.duration";
    /// Gauge: calls running now.
    pub const ACTIVE_CALLS: &str = "rpc.server.active_calls";
    /// Histogram, calls: the number of members of each batch.
    pub const BATCH_SIZE: &str = "rpc.server.batch.size";
    /// Gauge: connections open now, by transport (the standalone server's
    /// HTTP connections, and WebSocket connections).
    pub const OPEN_CONNECTIONS: &str = "rpc.server.open_connections";
}

/// Bucket bounds, in seconds, that suit [`metric_names::DURATION`] (from
/// 100 µs to 10 s), for exporters that need them
/// (`metrics_exporter_prometheus::PrometheusBuilder::set_buckets_for_metric`).
///
/// ```
/// let buckets = rpc_runtime::middleware::DURATION_BUCKETS;
/// assert!(buckets.windows(2).all(|pair| pair[0] < pair[1]));
/// ```
pub const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

const SYSTEM: (&str, &str) = ("rpc.system", "jsonrpc");

/// Describes every metric (type, unit, help text) to the installed
/// recorder. [`MetricsLayer::new`] calls it; call it again after installing
/// a recorder later than that.
///
/// ```
/// rpc_runtime::middleware::describe_metrics();
/// ```
pub fn describe_metrics() {
    use ::metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(metric_names::CALLS, Unit::Count, "JSON-RPC calls ended");
    describe_histogram!(
        metric_names::DURATION,
        Unit::Seconds,
        "How long JSON-RPC calls took"
    );
    describe_gauge!(
        metric_names::ACTIVE_CALLS,
        Unit::Count,
        "JSON-RPC calls running now"
    );
    describe_histogram!(
        metric_names::BATCH_SIZE,
        Unit::Count,
        "Members of each JSON-RPC batch"
    );
    describe_gauge!(
        metric_names::OPEN_CONNECTIONS,
        Unit::Count,
        "Connections open now, by transport"
    );
}

/// A layer that records every call's metrics through the `metrics` facade,
/// to whichever recorder is installed (Prometheus, StatsD, OpenTelemetry...):
/// the call counter, its duration, the calls in flight and batch sizes (see
/// the table in [the module docs](crate::middleware#metrics)).
///
/// Methods that are not registered are counted as `rpc.method="unknown"`,
/// so a caller cannot grow the label set by sending made-up names.
///
/// Each method's handles (its counter of successes, its duration histogram,
/// the in-flight gauge) are registered once, with the recorder that is
/// current the first time the method is called on a transport, and kept in
/// the layer: install the recorder before serving.
///
/// ```
/// use rpc_runtime::middleware::MetricsLayer;
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new().layer(MetricsLayer::new());
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// // Counts `rpc.server.calls{rpc.method="ping",outcome="ok",..}` in the installed recorder.
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, &Context::new()).await;
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
/// # });
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a layer does nothing until it is added to a router"]
pub struct MetricsLayer {
    _private: (),
}

impl Default for MetricsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsLayer {
    /// The metrics layer; describes the metrics to the recorder installed
    /// now ([`describe_metrics`]).
    pub fn new() -> Self {
        describe_metrics();
        Self { _private: () }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Metrics<S> {
        Metrics {
            inner,
            handles: Arc::default(),
        }
    }
}

/// The service [`MetricsLayer`] wraps around the rest of the stack; it can be
/// driven by hand, as in a test:
///
/// ```
/// use rpc_runtime::middleware::{Call, CallService, Next, MetricsLayer};
/// use rpc_runtime::{params::Params, Context};
/// use tower_layer::Layer as _;
/// # futures_executor::block_on(async {
/// let service = MetricsLayer::new().layer(Next::method_table());
/// let ctx = Context::new();
/// let outcome = service.call(Call::new("m", Params::none(), None, &ctx)).await;
/// assert_eq!(outcome.unwrap_err().object().code, -32601); // no such method
/// # });
/// ```
#[derive(Clone)]
pub struct Metrics<S> {
    inner: S,
    handles: Arc<Handles>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Metrics<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

/// The handles of one method on one transport, registered with the
/// recorder the first time the method is called there: building a metric's
/// key (its labels) and looking it up in the recorder cost more than a
/// small call, so it is done once, not per call.
struct MethodHandles {
    /// The `rpc.method` label.
    method: SharedString,
    ok: Counter,
    duration: Histogram,
    active: Gauge,
}

impl MethodHandles {
    fn register(transport: &'static str, method: &SharedString) -> Self {
        let labels = [
            Label::from_static_parts(SYSTEM.0, SYSTEM.1),
            Label::new("rpc.method", method.clone()),
            Label::from_static_parts("rpc.transport", transport),
        ];
        let mut ok = labels.to_vec();
        ok.push(Label::from_static_parts("outcome", "ok"));
        Self {
            method: method.clone(),
            ok: counter!(metric_names::CALLS, ok),
            duration: histogram!(metric_names::DURATION, labels.to_vec()),
            active: gauge!(metric_names::ACTIVE_CALLS, SYSTEM.0 => SYSTEM.1, "rpc.transport" => transport),
        }
    }
}

/// Every method's handles, by transport then method (registered methods and
/// `"unknown"` only, so the table stays as small as the API).
#[derive(Default)]
struct Handles(RwLock<FxHashMap<&'static str, FxHashMap<SharedString, Arc<MethodHandles>>>>);

impl Handles {
    /// The handles of `call`'s method on its transport. The table holds
    /// registered names and `"unknown"` only, so a name found there needs
    /// no look-up in the router; a miss asks it once.
    fn get(&self, transport: &'static str, call: &Call<'_>) -> Arc<MethodHandles> {
        let method = call.method();
        {
            let table = self.0.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(handles) = table.get(transport).and_then(|m| m.get(method)) {
                return Arc::clone(handles);
            }
        }
        let known = call.is_registered();
        if !known {
            // Made-up names are many: they share `"unknown"`'s handles
            // without taking the write lock.
            let table = self.0.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(handles) = table.get(transport).and_then(|m| m.get("unknown")) {
                return Arc::clone(handles);
            }
        }
        self.register(transport, method, known)
    }

    #[cold]
    fn register(&self, transport: &'static str, method: &str, known: bool) -> Arc<MethodHandles> {
        let name = if known {
            SharedString::from(method.to_owned())
        } else {
            SharedString::const_str("unknown")
        };
        let mut table = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let methods = table.entry(transport).or_default();
        if let Some(handles) = methods.get(&name) {
            return Arc::clone(handles);
        }
        let handles = Arc::new(MethodHandles::register(transport, &name));
        methods.insert(name, Arc::clone(&handles));
        handles
    }
}

/// Takes one off the active-calls gauge when dropped (the call ended, or
/// was cancelled).
struct Active(Arc<MethodHandles>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.decrement(1.0);
    }
}

impl<S: CallService> CallService for Metrics<S> {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        let transport = call.context().transport();
        let handles = self.handles.get(transport, &call);
        if let Some(batch) = call.batch().filter(|batch| batch.index == 0) {
            #[allow(clippy::cast_precision_loss)]
            let len = batch.len as f64;
            histogram!(metric_names::BATCH_SIZE, SYSTEM.0 => SYSTEM.1, "rpc.transport" => transport)
                .record(len);
        }
        handles.active.increment(1.0);
        // The guard owns the handles: one reference count a call.
        let active = Active(handles);
        let started = Instant::now();
        let output = self.inner.call(call).await;
        let handles = &active.0;
        handles.duration.record(started.elapsed().as_secs_f64());
        match &output {
            Ok(_) => handles.ok.increment(1),
            // Errors are rarer, and their codes many: looked up each time.
            Err(error) => {
                let labels = vec![
                    Label::from_static_parts(SYSTEM.0, SYSTEM.1),
                    Label::new("rpc.method", handles.method.clone()),
                    Label::from_static_parts("rpc.transport", transport),
                    Label::from_static_parts("outcome", "error"),
                    Label::new("rpc.jsonrpc.error_code", error.object().code.to_string()),
                ];
                counter!(metric_names::CALLS, labels).increment(1);
            }
        }
        drop(active);
        output
    }
}

/// Counts one open connection of a transport in
/// [`metric_names::OPEN_CONNECTIONS`] while it lives.
#[cfg(feature = "ws")]
#[derive(Debug)]
pub(crate) struct OpenConnectionGauge(&'static str);

#[cfg(feature = "ws")]
impl OpenConnectionGauge {
    pub(crate) fn open(transport: &'static str) -> Self {
        gauge!(metric_names::OPEN_CONNECTIONS, SYSTEM.0 => SYSTEM.1, "rpc.transport" => transport)
            .increment(1.0);
        Self(transport)
    }
}

#[cfg(feature = "ws")]
impl Drop for OpenConnectionGauge {
    fn drop(&mut self) {
        gauge!(metric_names::OPEN_CONNECTIONS, SYSTEM.0 => SYSTEM.1, "rpc.transport" => self.0)
            .decrement(1.0);
    }
}

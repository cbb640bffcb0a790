//! [`MetricsLayer`]: call counts and durations through the `metrics` facade.

use std::future::Future;
use std::time::Instant;

use metrics::Label;
use rpc_runtime::client::ClientError;
use tower_layer::Layer;

use super::outcome::{outcome_label, rpc_error_code};
use super::{ClientRequest, ClientResponse, ClientService};

/// The counter of finished calls: `rpc.client.calls`.
pub const CALLS_COUNTER: &str = "rpc.client.calls";
/// The histogram of call durations, in seconds: `rpc.client.duration`.
pub const DURATION_HISTOGRAM: &str = "rpc.client.duration";

/// The `rpc.method` label of a batch (which has no single method).
pub const BATCH_METHOD: &str = "[batch]";

/// Records each call, notification and batch in the installed `metrics`
/// recorder, with the names of the OpenTelemetry RPC semantic conventions:
///
/// - counter [`CALLS_COUNTER`] (`rpc.client.calls`), incremented once per
///   finished request;
/// - histogram [`DURATION_HISTOGRAM`] (`rpc.client.duration`), its
///   duration in seconds.
///
/// Both carry the labels `rpc.system` = `jsonrpc`, `rpc.method` (the
/// method, [`BATCH_METHOD`] for a batch), `outcome` (`ok` or the kind of
/// error, see [`outcome_label`](super::outcome_label)) and, when the server
/// sent an error object, `rpc.jsonrpc.error_code`.
///
/// ```
/// use rpc_client::middleware::MetricsLayer;
/// use rpc_client::HttpClient;
///
/// // With a recorder installed (e.g. a Prometheus exporter):
/// let client = HttpClient::builder("http://127.0.0.1:8080")
///     .layer(MetricsLayer::new())
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a layer does nothing until it is given to a client builder"]
pub struct MetricsLayer {
    _private: (),
}

impl MetricsLayer {
    /// The metrics layer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Metrics<S> {
        metrics::describe_counter!(CALLS_COUNTER, "JSON-RPC requests sent by the client");
        metrics::describe_histogram!(
            DURATION_HISTOGRAM,
            metrics::Unit::Seconds,
            "How long the client's JSON-RPC requests took"
        );
        Metrics { inner }
    }
}

/// The service of a [`MetricsLayer`].
#[derive(Clone, Debug)]
pub struct Metrics<S> {
    inner: S,
}

impl<S: ClientService> ClientService for Metrics<S> {
    fn call(
        &self,
        request: ClientRequest,
    ) -> impl Future<Output = Result<ClientResponse, ClientError>> + Send {
        let method = match request.method() {
            Some(method) => method.to_owned(),
            None => BATCH_METHOD.to_owned(),
        };
        async move {
            let started = Instant::now();
            let outcome = self.inner.call(request).await;
            let seconds = started.elapsed().as_secs_f64();
            let mut labels = vec![
                Label::new("rpc.system", "jsonrpc"),
                Label::new("rpc.method", method),
                Label::new("outcome", outcome_label(&outcome)),
            ];
            if let Some(code) = rpc_error_code(&outcome) {
                labels.push(Label::new("rpc.jsonrpc.error_code", code.to_string()));
            }
            metrics::counter!(CALLS_COUNTER, labels.clone()).increment(1);
            metrics::histogram!(DURATION_HISTOGRAM, labels).record(seconds);
            outcome
        }
    }
}

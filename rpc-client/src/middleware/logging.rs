//! [`LoggingLayer`]: one `tracing` event per call.

use std::future::Future;
use std::time::Instant;

use rpc_runtime::client::ClientError;
use tower_layer::Layer;

use super::outcome::{http_status, outcome_label, rpc_error_code};
use super::{ClientRequest, ClientResponse, ClientService};

/// The `tracing` target of [`LoggingLayer`]'s events.
pub const CALLS_TARGET: &str = "rpc_client::calls";

/// Logs one `INFO` event under the target [`CALLS_TARGET`]
/// (`rpc_client::calls`) for each call, notification and batch, once it
/// has finished, with the fields:
///
/// | field | value |
/// | --- | --- |
/// | `method` | the method, or a batch's methods joined with commas |
/// | `kind` | `call`, `notification` or `batch` |
/// | `outcome` | `ok`, or the kind of error (see [`outcome_label`](super::outcome_label)) |
/// | `error_code` | the JSON-RPC error code, when the server sent an error object |
/// | `http_status` | the HTTP status, for [`ClientError::HttpStatus`] |
/// | `error` | the error's message, for an error |
/// | `elapsed_ms` | how long it took, in milliseconds (fractional) |
///
/// ```
/// use rpc_client::middleware::LoggingLayer;
/// use rpc_client::HttpClient;
///
/// let client = HttpClient::builder("http://127.0.0.1:8080")
///     .layer(LoggingLayer::new())
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Clone, Copy, Debug, Default)]
#[must_use = "a layer does nothing until it is given to a client builder"]
pub struct LoggingLayer {
    _private: (),
}

impl LoggingLayer {
    /// The logging layer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl<S> Layer<S> for LoggingLayer {
    type Service = Logging<S>;

    fn layer(&self, inner: S) -> Logging<S> {
        Logging { inner }
    }
}

/// The service of a [`LoggingLayer`].
#[derive(Clone, Debug)]
pub struct Logging<S> {
    inner: S,
}

impl<S: ClientService> ClientService for Logging<S> {
    fn call(
        &self,
        request: ClientRequest,
    ) -> impl Future<Output = Result<ClientResponse, ClientError>> + Send {
        let method = request.method_label();
        let kind = request.kind().as_str();
        async move {
            let started = Instant::now();
            let outcome = self.inner.call(request).await;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            let label = outcome_label(&outcome);
            match &outcome {
                Ok(_) => tracing::info!(
                    target: CALLS_TARGET,
                    method,
                    kind,
                    outcome = label,
                    elapsed_ms,
                    "call finished"
                ),
                Err(error) => tracing::info!(
                    target: CALLS_TARGET,
                    method,
                    kind,
                    outcome = label,
                    error_code = rpc_error_code(&outcome),
                    http_status = http_status(&outcome),
                    error = %error,
                    elapsed_ms,
                    "call failed"
                ),
            }
            outcome
        }
    }
}

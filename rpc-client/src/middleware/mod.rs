//! Client middleware: RPC-level layers that see every outgoing call,
//! notification and batch of an [`HttpClient`](crate::HttpClient) or a
//! [`WsClient`](crate::WsClient), and can wrap it: time it, retry it,
//! fail it.
//!
//! A layer is a [`tower_layer::Layer`] whose service is a
//! [`ClientService`]: it gets a [`ClientRequest`] (the method or methods,
//! the encoded params, the [`RequestKind`]) and resolves to a
//! [`ClientResponse`] or a [`ClientError`](crate::ClientError). Layers are
//! given to the builders' `.layer(..)` and ordered as
//! `tower::ServiceBuilder` orders them: the first added is the outermost,
//! and sees the request first and the outcome last. The client's transport
//! is the innermost service. A client without layers calls its transport
//! directly, as cheaply as before; with layers the stack is built once and
//! each request costs one boxed future.
//!
//! Layers apply to the clients' inherent methods and to their [`Caller`]
//! implementations, so to generated stubs too; not to
//! [`HttpClient::send`](crate::HttpClient::send), which posts raw text.
//!
//! Built in:
//!
//! - [`LoggingLayer`][]: one `INFO` event per call, target `rpc_client::calls`;
//! - [`TimeoutLayer`][]: [`ClientError::Timeout`](crate::ClientError::Timeout)
//!   past a limit;
//! - [`MetricsLayer`][]: `rpc.client.calls` and `rpc.client.duration` through
//!   the `metrics` facade;
//! - [`RetryLayer`][]: retries idempotent calls after transient failures,
//!   with exponential backoff and full jitter.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use rpc_client::middleware::{
//!     ClientRequest, ClientResponse, ClientService, Layer, LoggingLayer, RetryLayer,
//!     RetryPolicy, TimeoutLayer,
//! };
//! use rpc_client::{ClientError, HttpClient};
//!
//! /// A layer of one's own: records the methods called.
//! #[derive(Clone, Default)]
//! struct Record(Arc<Mutex<Vec<String>>>);
//!
//! struct Recorded<S> { inner: S, seen: Arc<Mutex<Vec<String>>> }
//!
//! impl<S> Layer<S> for Record {
//!     type Service = Recorded<S>;
//!     fn layer(&self, inner: S) -> Recorded<S> {
//!         Recorded { inner, seen: self.0.clone() }
//!     }
//! }
//!
//! impl<S: ClientService> ClientService for Recorded<S> {
//!     async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
//!         if let Ok(mut seen) = self.seen.lock() {
//!             seen.push(request.method_label());
//!         }
//!         self.inner.call(request).await
//!     }
//! }
//!
//! let client = HttpClient::builder("http://127.0.0.1:8080")
//!     .layer(LoggingLayer::new()) // outermost: logs the outcome after retries
//!     .layer(Record::default())
//!     .layer(RetryLayer::new(RetryPolicy::default()).idempotent(["get_balance"]))
//!     .layer(TimeoutLayer::new(Duration::from_secs(5))) // per attempt
//!     .build()
//!     .unwrap();
//! # let _ = client;
//! ```
//!
//! [`Caller`]: crate::Caller

mod backoff;
mod logging;
mod metrics;
mod outcome;
mod request;
mod response;
mod retry;
mod service;
mod timeout;

pub use backoff::RetryPolicy;
pub use logging::{Logging, LoggingLayer, CALLS_TARGET};
pub use metrics::{Metrics, MetricsLayer, BATCH_METHOD, CALLS_COUNTER, DURATION_HISTOGRAM};
pub use outcome::outcome_label;
pub(crate) use request::Message;
pub use request::{ClientRequest, RequestKind};
pub use response::ClientResponse;
pub use retry::{is_retryable, Retry, RetryLayer};
pub use service::{BoxClientService, BoxFuture, ClientLayers, ClientService};
pub use timeout::{Timeout, TimeoutLayer};
pub use tower_layer::{Identity, Layer, Stack};

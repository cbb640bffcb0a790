//! [`TimeoutLayer`]: a time limit on each call.

use std::time::Duration;

use rpc_runtime::client::ClientError;
use tower_layer::Layer;

use super::{ClientRequest, ClientResponse, ClientService};

/// Fails a call, notification or batch with [`ClientError::Timeout`] when
/// the layers inside it and the transport take longer than the limit.
///
/// Put it inside a [`RetryLayer`](super::RetryLayer) to limit each attempt,
/// outside it to limit all attempts together.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::middleware::TimeoutLayer;
/// use rpc_client::HttpClient;
///
/// let client = HttpClient::builder("http://127.0.0.1:8080")
///     .layer(TimeoutLayer::new(Duration::from_millis(250)))
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Clone, Copy, Debug)]
#[must_use = "a layer does nothing until it is given to a client builder"]
pub struct TimeoutLayer {
    limit: Duration,
}

impl TimeoutLayer {
    /// A limit of `limit` per request.
    pub const fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            limit: self.limit,
        }
    }
}

/// The service of a [`TimeoutLayer`].
#[derive(Clone, Debug)]
pub struct Timeout<S> {
    inner: S,
    limit: Duration,
}

impl<S: ClientService> ClientService for Timeout<S> {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        tokio::time::timeout(self.limit, self.inner.call(request))
            .await
            .unwrap_or(Err(ClientError::Timeout(self.limit)))
    }
}

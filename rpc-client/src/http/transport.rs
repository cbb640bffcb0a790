//! [`HttpTransport`]: the innermost service of an [`HttpClient`]'s layers.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;
use rpc_runtime::client::ClientError;
use serde_json::value::RawValue;

use super::Shared;
use crate::middleware::{ClientRequest, ClientResponse, ClientService, Message};

#[cfg(doc)]
use super::HttpClient;

/// The innermost [`ClientService`] of an [`HttpClient`] built with
/// layers: it posts each request to the endpoint. It is made by
/// [`HttpClientBuilder::build`](super::HttpClientBuilder::build); layers
/// only need to name it in bounds such as
/// [`ClientLayers<HttpTransport>`](crate::middleware::ClientLayers).
///
/// ```
/// use rpc_client::http::HttpTransport;
/// use rpc_client::middleware::ClientService;
/// fn is_a_service<S: ClientService>() {}
/// is_a_service::<HttpTransport>();
/// ```
#[derive(Clone)]
pub struct HttpTransport {
    shared: Arc<Shared>,
}

impl HttpTransport {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("endpoint", &self.shared.endpoint)
            .finish_non_exhaustive()
    }
}

/// The headers of [`HttpClient::with_headers`], carried to the transport
/// in the request's extensions.
#[derive(Clone)]
pub(super) struct ExtraHeaders(pub(super) Arc<HeaderMap>);

impl ClientService for HttpTransport {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        let (message, extensions) = request.into_parts();
        let extra = extensions.get::<ExtraHeaders>().map(|h| &*h.0);
        let shared = &self.shared;
        match message {
            Message::Call { method, params } => shared
                .request::<Box<RawValue>>(extra, &method, params)
                .await
                .map(ClientResponse::Result),
            Message::Notification { method, params } => shared
                .notify(extra, &method, params)
                .await
                .map(|()| ClientResponse::Notified),
            Message::Batch(batch) => shared.batch(extra, batch).await.map(ClientResponse::Batch),
        }
    }
}

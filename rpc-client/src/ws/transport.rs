//! [`WsTransport`]: the innermost service of a [`WsClient`]'s layers.

use std::fmt;
use std::sync::Arc;

use rpc_runtime::client::{Caller, ClientError};
use serde_json::value::RawValue;

use super::client::Shared;
use crate::middleware::{ClientRequest, ClientResponse, ClientService, Message};

#[cfg(doc)]
use super::WsClient;

/// The innermost [`ClientService`] of a [`WsClient`] built with layers: it
/// sends each request down the current connection (waiting for one while
/// reconnecting). It is made by
/// [`WsClientBuilder::connect`](super::WsClientBuilder::connect); layers
/// only need to name it in bounds such as
/// [`ClientLayers<WsTransport>`](crate::middleware::ClientLayers).
///
/// ```
/// use rpc_client::middleware::ClientService;
/// use rpc_client::ws::WsTransport;
/// fn is_a_service<S: ClientService>() {}
/// is_a_service::<WsTransport>();
/// ```
#[derive(Clone)]
pub struct WsTransport {
    shared: Arc<Shared>,
}

impl WsTransport {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl fmt::Debug for WsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WsTransport").field(&self.shared).finish()
    }
}

impl ClientService for WsTransport {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        let peer = self.shared.peer().await?;
        match request.into_parts().0 {
            Message::Call { method, params } => peer
                .call::<Box<RawValue>>(&method, params)
                .await
                .map(ClientResponse::Result),
            Message::Notification { method, params } => peer
                .notify(&method, params)
                .await
                .map(|()| ClientResponse::Notified),
            Message::Batch(batch) => peer.batch(batch).await.map(ClientResponse::Batch),
        }
    }
}

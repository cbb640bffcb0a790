use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::{
    decode_batch_response, decode_response, write_batch_request, BatchRequest, BatchResponse,
    Caller, ClientError, InvalidResponse,
};
use crate::params::EncodedParams;
use crate::protocol::{write_notification, write_request, Id};
use crate::{Context, Router};

/// A [`Caller`] straight onto a [`Router`], in the same process: no socket,
/// but the same JSON text a transport would carry, so tests and embedded
/// uses exercise the real encoding and decoding.
///
/// ```
/// use rpc_runtime::client::{Caller, LocalCaller};
/// use rpc_runtime::{params::EncodedParams, protocol::ErrorObjectOwned, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new();
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// let caller = LocalCaller::new(router);
/// let reply: String = caller.call("ping", EncodedParams::none()).await.unwrap();
/// assert_eq!(reply, "pong");
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct LocalCaller {
    router: Arc<Router>,
    ctx: Context,
    next_id: Arc<AtomicU64>,
}

impl LocalCaller {
    /// A caller onto `router`, with one context shared by all its calls (as
    /// one connection would have).
    #[must_use]
    pub fn new(router: impl Into<Arc<Router>>) -> Self {
        Self::with_context(router, Context::new())
    }

    /// A caller onto `router` whose calls see `ctx`.
    #[must_use]
    pub fn with_context(router: impl Into<Arc<Router>>, ctx: Context) -> Self {
        Self {
            router: router.into(),
            ctx,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The context the calls run with.
    #[must_use]
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    fn next_id(&self) -> Id<'static> {
        Id::number(self.next_id.fetch_add(1, Ordering::Relaxed))
    }
}

impl Caller for LocalCaller {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        let id = self.next_id();
        let mut request = String::new();
        write_request(&mut request, method, params.as_json(), Some(&id));
        match self.router.handle(&request, &self.ctx).await {
            Some(response) => decode_response(&response, &id),
            None => Err(ClientError::InvalidResponse(InvalidResponse::new(
                "no response to a call",
            ))),
        }
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        let mut request = String::new();
        write_notification(&mut request, method, params.as_json());
        match self.router.handle(&request, &self.ctx).await {
            None => Ok(()),
            Some(response) => Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
                "a notification was answered: {response}"
            )))),
        }
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        if batch.is_empty() {
            return Ok(BatchResponse {
                results: Vec::new(),
            });
        }
        let (request, ids) = write_batch_request(&batch, || self.next_id());
        match self.router.handle(&request, &self.ctx).await {
            Some(response) => decode_batch_response(&response, &ids),
            None if ids.is_empty() => Ok(BatchResponse {
                results: Vec::new(),
            }),
            None => Err(ClientError::InvalidResponse(InvalidResponse::new(
                "no response to a batch with calls",
            ))),
        }
    }
}

//! A call, a notification and a batch, each as one POST: the transport
//! under an [`HttpClient`](super::HttpClient)'s layers, and the whole call
//! path of a client without layers.

use http::HeaderMap;
use rpc_runtime::client::{
    decode_batch_response, decode_response, write_batch_request, BatchRequest, BatchResponse,
    ClientError, InvalidResponse,
};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::{write_notification, write_request};
use serde::de::DeserializeOwned;

use super::exchange::status_error;
use super::{Shared, LOG_TARGET};

impl Shared {
    /// Calls `method` and decodes its result as `R`.
    pub(crate) async fn request<R: DeserializeOwned>(
        &self,
        extra_headers: Option<&HeaderMap>,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        let id = self.ids.next_id();
        let mut body = String::new();
        write_request(&mut body, method, params.as_json(), Some(&id));
        let reply = self.post(extra_headers, method, body).await?;
        if !reply.status.is_success() {
            return Err(status_error(reply.status, reply.body));
        }
        if reply.body.trim().is_empty() {
            return Err(ClientError::InvalidResponse(InvalidResponse::new(
                "no response to a call",
            )));
        }
        decode_response(&reply.body, &id)
    }

    /// Sends a notification; done once the server acknowledged the POST.
    pub(crate) async fn notify(
        &self,
        extra_headers: Option<&HeaderMap>,
        method: &str,
        params: EncodedParams,
    ) -> Result<(), ClientError> {
        let mut body = String::new();
        write_notification(&mut body, method, params.as_json());
        let reply = self.post(extra_headers, method, body).await?;
        if !reply.status.is_success() {
            return Err(status_error(reply.status, reply.body));
        }
        if !reply.body.trim().is_empty() {
            tracing::debug!(
                target: LOG_TARGET,
                method,
                body = reply.body,
                "ignoring a body sent in answer to a notification"
            );
        }
        Ok(())
    }

    /// Sends a batch (an empty one is not sent).
    pub(crate) async fn batch(
        &self,
        extra_headers: Option<&HeaderMap>,
        batch: BatchRequest,
    ) -> Result<BatchResponse, ClientError> {
        if batch.is_empty() {
            return decode_batch_response("[]", &[]);
        }
        let (body, ids) = write_batch_request(&batch, || self.ids.next_id());
        let what = batch.methods().collect::<Vec<_>>().join(",");
        let reply = self.post(extra_headers, &what, body).await?;
        if !reply.status.is_success() {
            return Err(status_error(reply.status, reply.body));
        }
        if ids.is_empty() {
            // Only notifications: nothing to read, whatever the body says
            // (servers send `null`, `[]`, nothing or an error list).
            if !reply.body.trim().is_empty() {
                tracing::debug!(
                    target: LOG_TARGET,
                    method = what,
                    body = reply.body,
                    "ignoring a body sent in answer to a batch of notifications"
                );
            }
            return decode_batch_response("[]", &[]);
        }
        if reply.body.trim().is_empty() {
            return Err(ClientError::InvalidResponse(InvalidResponse::new(
                "no response to a batch with calls",
            )));
        }
        decode_batch_response(&reply.body, &ids)
    }
}

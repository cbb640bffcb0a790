//! What a layer sees coming back: [`ClientResponse`].

use rpc_runtime::client::{BatchResponse, ClientError, InvalidResponse};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// The successful answer to a [`ClientRequest`](super::ClientRequest); a
/// failure is a [`ClientError`].
///
/// A call's result is kept as raw JSON: it is decoded into the caller's
/// type after the layers, so layers need not know it.
///
/// ```
/// use rpc_client::middleware::ClientResponse;
/// use serde_json::value::RawValue;
/// let response = ClientResponse::Result(RawValue::from_string("42".to_owned()).unwrap());
/// assert!(matches!(response, ClientResponse::Result(raw) if raw.get() == "42"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientResponse {
    /// A call's result, as the server sent it.
    Result(Box<RawValue>),
    /// A notification was sent (there is no answer to one).
    Notified,
    /// The answers to a batch's calls.
    Batch(BatchResponse),
}

impl ClientResponse {
    /// The call's result decoded as `R`.
    pub(crate) fn into_result<R: DeserializeOwned>(self) -> Result<R, ClientError> {
        match self {
            ClientResponse::Result(raw) => {
                serde_json::from_str(raw.get()).map_err(ClientError::Decode)
            }
            other => Err(mismatch("a call", &other)),
        }
    }

    /// `()` for a notification.
    pub(crate) fn into_notified(self) -> Result<(), ClientError> {
        match self {
            ClientResponse::Notified => Ok(()),
            other => Err(mismatch("a notification", &other)),
        }
    }

    /// The batch's answers.
    pub(crate) fn into_batch(self) -> Result<BatchResponse, ClientError> {
        match self {
            ClientResponse::Batch(batch) => Ok(batch),
            other => Err(mismatch("a batch", &other)),
        }
    }
}

/// A layer answered one kind of request with another kind's response.
fn mismatch(request: &str, response: &ClientResponse) -> ClientError {
    let got = match response {
        ClientResponse::Result(_) => "a call's result",
        ClientResponse::Notified => "a notification's acknowledgement",
        ClientResponse::Batch(_) => "a batch response",
    };
    ClientError::InvalidResponse(InvalidResponse::new(format!(
        "a client layer answered {request} with {got}"
    )))
}

use std::convert::Infallible;
use std::time::Duration;

use super::CloseReason;
use crate::params::EncodeError;
use crate::protocol::{ErrorObjectOwned, InvalidResponse, ResponseError};
use crate::RpcError;

/// A boxed error from a transport's dependency (I/O, TLS, HTTP).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a call failed, as a client sees it.
///
/// Transport failures, timeouts, HTTP statuses, unparsable and invalid
/// responses, and the server's JSON-RPC error are told apart. `E` is the
/// method's declared application error: an error object the server sent for
/// it arrives as [`ClientError::Application`], typed.
///
/// A failure's cause is its [`source`](std::error::Error::source): the
/// `serde_json` error of a response that is not JSON or a result of another
/// type, what is wrong with an invalid response, why a connection closed.
///
/// ```
/// use std::error::Error as _;
/// use rpc_runtime::client::{decode_response, ClientError, CloseReason, InvalidResponse};
/// use rpc_runtime::protocol::Id;
/// let error = decode_response::<u64>(r#"{"jsonrpc":"2.0","result":"x","id":1}"#, &Id::number(1)).unwrap_err();
/// assert!(error.to_string().starts_with("unexpected result: invalid type: string"));
/// assert!(error.source().unwrap().is::<serde_json::Error>());
/// let error = decode_response::<u64>(r#"{"jsonrpc":"2.0","result":1,"id":2}"#, &Id::number(1)).unwrap_err();
/// assert!(error.source().unwrap().is::<InvalidResponse>());
/// let error: ClientError = ClientError::Closed(CloseReason::Local);
/// assert_eq!(error.to_string(), "connection closed: closed by this side");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError<E = Infallible> {
    /// The transport failed: connecting, I/O, TLS.
    #[error("transport error: {0}")]
    Transport(#[source] BoxError),
    /// No response came in time.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The server answered with a non-success HTTP status.
    #[error("HTTP status {status}: {body}")]
    HttpStatus {
        /// The status code.
        status: u16,
        /// The response body, as text.
        body: String,
    },
    /// The response body is not JSON (or not UTF-8 text).
    #[error("unparsable response: {0}")]
    Unparsable(#[source] serde_json::Error),
    /// The response is JSON but not a valid JSON-RPC response (missing
    /// `jsonrpc`, both or neither of `result` and `error`, wrong id).
    #[error("invalid response: {0}")]
    InvalidResponse(#[source] InvalidResponse),
    /// The server answered with a JSON-RPC error object.
    #[error("server error: {0}")]
    Rpc(ErrorObjectOwned),
    /// The server answered with the method's declared application error.
    #[error("application error: {0}")]
    Application(E),
    /// The result is not of the type the caller expected.
    #[error("unexpected result: {0}")]
    Decode(#[source] serde_json::Error),
    /// The params could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The connection is closed (or was closed while the call was pending).
    #[error("connection closed: {0}")]
    Closed(#[source] CloseReason),
    /// The transport cannot do what was asked (a subscription over HTTP).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

impl ClientError {
    /// Recognises the method's application error `E` in a server error.
    #[must_use]
    pub fn with_app_error<E: RpcError>(self) -> ClientError<E> {
        match self {
            ClientError::Rpc(object) => match E::from_error_object(&object) {
                Some(app) => ClientError::Application(app),
                None => ClientError::Rpc(object),
            },
            ClientError::Transport(e) => ClientError::Transport(e),
            ClientError::Timeout(d) => ClientError::Timeout(d),
            ClientError::HttpStatus { status, body } => ClientError::HttpStatus { status, body },
            ClientError::Unparsable(e) => ClientError::Unparsable(e),
            ClientError::InvalidResponse(e) => ClientError::InvalidResponse(e),
            ClientError::Application(never) => match never {},
            ClientError::Decode(e) => ClientError::Decode(e),
            ClientError::Encode(e) => ClientError::Encode(e),
            ClientError::Closed(e) => ClientError::Closed(e),
            ClientError::Unsupported(e) => ClientError::Unsupported(e),
        }
    }
}

impl<E> ClientError<E> {
    /// The JSON-RPC error object, if the server sent one that is not `E`.
    #[must_use]
    pub fn rpc_error(&self) -> Option<&ErrorObjectOwned> {
        match self {
            ClientError::Rpc(object) => Some(object),
            _ => None,
        }
    }
}

impl From<ResponseError> for ClientError {
    fn from(error: ResponseError) -> Self {
        match error {
            ResponseError::Unparsable(e) => ClientError::Unparsable(e),
            ResponseError::Invalid(e) => ClientError::InvalidResponse(e),
        }
    }
}

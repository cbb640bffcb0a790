//! What REQ and DEALER share: the settings, opening a connection within
//! the connect timeout, and reading a reply's body.

use std::sync::Arc;
use std::time::Duration;

use rpc_runtime::client::{ClientError, InvalidResponse};
use rpc_runtime::zmq::{connect, split_envelope, SocketType, ZmqEndpoint, ZmtpConnection};

use crate::id::IdGenerator;

pub(super) const LOG_TARGET: &str = "rpc_client::zmq";

/// A client's settings, fixed when it is built.
pub(super) struct Settings {
    pub(super) endpoint: ZmqEndpoint,
    pub(super) request_timeout: Option<Duration>,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) max_message_size: usize,
    pub(super) ids: Arc<dyn IdGenerator>,
}

impl Settings {
    /// Connects and greets as `ours`, within the connect timeout.
    pub(super) async fn open(&self, ours: SocketType) -> Result<ZmtpConnection, ClientError> {
        let connecting = connect(&self.endpoint, ours, self.max_message_size);
        let outcome = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connecting)
                .await
                .map_err(|_| ClientError::Timeout(limit))?,
            None => connecting.await,
        };
        outcome.map_err(|error| {
            ClientError::Transport(format!("cannot connect to {}: {error}", self.endpoint).into())
        })
    }

    /// Runs `exchange` within the request timeout.
    pub(super) async fn timed<T>(
        &self,
        exchange: impl std::future::Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match self.request_timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or(Err(ClientError::Timeout(limit))),
            None => exchange.await,
        }
    }
}

/// The JSON text of a reply: its one body frame after the envelope (`""`
/// for the empty reply a REP or ROUTER sends to a notification).
pub(super) fn reply_body(frames: Vec<Vec<u8>>) -> Result<String, ClientError> {
    let (_, mut bodies) = split_envelope(frames);
    if bodies.len() > 1 {
        return Err(ClientError::InvalidResponse(InvalidResponse::new(format!(
            "a reply of {} body frames; expected one",
            bodies.len()
        ))));
    }
    String::from_utf8(bodies.pop().unwrap_or_default())
        // Not UTF-8 cannot be JSON: the parser's error type says so.
        .map_err(|e| {
            ClientError::Unparsable(<serde_json::Error as serde::de::Error>::custom(format!(
                "the reply is not UTF-8: {e}"
            )))
        })
}

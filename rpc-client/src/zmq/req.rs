//! A REQ connection: one exchange at a time, callers queued in turn; after
//! any failure (a timeout too) the socket is dropped and the next call
//! opens a new one (ZeroMQ's "Lazy Pirate" pattern), since a REQ socket
//! that missed a reply cannot go on.

use rpc_runtime::client::{ClientError, CloseReason, InvalidResponse};
use rpc_runtime::zmq::wire::{encode_message, encode_pong, Received};
use rpc_runtime::zmq::{SocketType, ZmtpConnection};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Mutex;

use super::link::{reply_body, Settings, LOG_TARGET};

pub(super) struct Req {
    /// `None` until the first call, and after a failure.
    link: Mutex<Option<ZmtpConnection>>,
}

impl Req {
    pub(super) fn new(link: ZmtpConnection) -> Self {
        Self {
            link: Mutex::new(Some(link)),
        }
    }

    /// Sends `body` and waits for the reply's text.
    pub(super) async fn exchange(
        &self,
        settings: &Settings,
        body: &str,
    ) -> Result<String, ClientError> {
        // Tokio's mutex is fair: concurrent callers go in the order they came.
        let mut slot = self.link.lock().await;
        // Taken out while in use: if this future is dropped mid-exchange,
        // the socket goes with it and the next call starts afresh.
        let mut link = match slot.take() {
            Some(link) => link,
            None => settings.open(SocketType::Req).await?,
        };
        let outcome = settings
            .timed(round_trip(&mut link, body, settings.max_message_size))
            .await;
        if outcome.is_ok() {
            *slot = Some(link);
        }
        outcome
    }

    /// Closes the socket; the next call opens a new one.
    pub(super) async fn close(&self) {
        self.link.lock().await.take();
    }
}

async fn round_trip(
    link: &mut ZmtpConnection,
    body: &str,
    limit: usize,
) -> Result<String, ClientError> {
    let io = |error: std::io::Error| ClientError::Transport(Box::new(error));
    let mut out = Vec::with_capacity(body.len() + 16);
    encode_message(&mut out, &[b"", body.as_bytes()]);
    tracing::trace!(target: LOG_TARGET, body, "send");
    link.writer.write_all(&out).await.map_err(io)?;
    link.writer.flush().await.map_err(io)?;
    loop {
        let received = link
            .reader
            .next()
            .await
            .map_err(|error| ClientError::Transport(Box::new(error)))?;
        match received {
            Some(Received::Message(frames)) => {
                let text = reply_body(frames)?;
                tracing::trace!(target: LOG_TARGET, body = text, "receive");
                return Ok(text);
            }
            Some(Received::Ping(context)) => {
                let mut pong = Vec::new();
                encode_pong(&mut pong, &context);
                link.writer.write_all(&pong).await.map_err(io)?;
            }
            Some(Received::TooLarge(_)) => {
                return Err(ClientError::Transport(
                    format!("the reply exceeds the limit of {limit} bytes").into(),
                ))
            }
            Some(_) => {
                return Err(ClientError::InvalidResponse(InvalidResponse::new(
                    "a reply of too many frames",
                )))
            }
            None => return Err(ClientError::Closed(CloseReason::EndOfStream)),
        }
    }
}

//! Where a connection's notifications go: the transport's queue of
//! outgoing frames.

use std::future::Future;
use std::pin::Pin;

/// A boxed future the outbox hands back.
pub type OutboxFuture<'a> = Pin<Box<dyn Future<Output = Option<OutboxPermit>> + Send + 'a>>;

/// The transport's queue of frames to send, as subscriptions see it. A
/// transport that can push (WebSocket, and any persistent stream)
/// implements it over its own bounded queue, the one its replies go
/// through, so notifications and replies leave in the order they were
/// queued.
///
/// ```
/// use rpc_runtime::subscription::{Outbox, OutboxFuture, OutboxPermit, Pushed};
/// use tokio::sync::mpsc;
///
/// struct Queue(mpsc::Sender<String>);
///
/// impl Outbox for Queue {
///     fn try_push(&self, frame: String) -> Result<(), Pushed> {
///         self.0.try_send(frame).map_err(|e| match e {
///             mpsc::error::TrySendError::Full(frame) => Pushed::Full(frame),
///             mpsc::error::TrySendError::Closed(_) => Pushed::Closed,
///         })
///     }
///     fn reserve(&self) -> OutboxFuture<'_> {
///         let queue = self.0.clone();
///         Box::pin(async move {
///             let permit = queue.reserve_owned().await.ok()?;
///             Some(OutboxPermit::new(move |frame| { permit.send(frame); }))
///         })
///     }
/// }
/// ```
pub trait Outbox: Send + Sync + 'static {
    /// Queues `frame` if there is room now.
    ///
    /// # Errors
    /// [`Pushed::Full`] (with the frame back) when the queue is full,
    /// [`Pushed::Closed`] when the connection is gone.
    fn try_push(&self, frame: String) -> Result<(), Pushed>;

    /// Waits for room for one frame; `None` when the connection is gone.
    /// The permit queues a frame without waiting, so whoever holds it can
    /// decide what to send at the last moment.
    fn reserve(&self) -> OutboxFuture<'_>;
}

/// Why [`Outbox::try_push`] did not queue a frame.
#[derive(Debug)]
pub enum Pushed {
    /// No room now; the frame is handed back.
    Full(String),
    /// The connection is gone.
    Closed,
}

/// Room for one frame in an [`Outbox`].
pub struct OutboxPermit(Box<dyn FnOnce(String) + Send>);

impl OutboxPermit {
    /// A permit that queues its frame with `send`.
    pub fn new(send: impl FnOnce(String) + Send + 'static) -> Self {
        Self(Box::new(send))
    }

    /// Queues `frame`.
    pub fn send(self, frame: String) {
        (self.0)(frame);
    }
}

impl std::fmt::Debug for OutboxPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxPermit(..)")
    }
}

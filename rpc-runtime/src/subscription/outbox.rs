//! Where a connection's notifications go: the transport's queue of
//! outgoing frames.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// One notification on its way out. An item is kept as two shared parts
/// (the subscription's prefix and the item's JSON, serialized once for all
/// of a topic's subscribers) and joined into its text only where it is
/// written, on the writer's thread, so fanning out allocates nothing per
/// subscriber on the publisher's.
///
/// ```
/// use std::sync::Arc;
/// use rpc_runtime::subscription::Frame;
/// let frame = Frame::Item { prefix: Arc::from(r#"{"params":{"subscription":1,"result":"#), item: Arc::from("7") };
/// assert_eq!(frame.into_text(), r#"{"params":{"subscription":1,"result":7}}"#);
/// ```
///
/// Non-exhaustive: another shape of frame may be added; read one with
/// [`into_text`](Frame::into_text).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Frame {
    /// A whole frame.
    Text(String),
    /// An item's notification: `prefix`, `item`, then `}}`.
    Item {
        /// Everything before the item.
        prefix: Arc<str>,
        /// The item's JSON.
        item: Arc<str>,
    },
}

impl Frame {
    /// The frame's text.
    ///
    /// ```
    /// use rpc_runtime::subscription::Frame;
    /// assert_eq!(Frame::from("{}".to_owned()).into_text(), "{}");
    /// ```
    #[must_use]
    pub fn into_text(self) -> String {
        match self {
            Frame::Text(text) => text,
            Frame::Item { prefix, item } => {
                let mut text = String::with_capacity(prefix.len() + item.len() + 2);
                text.push_str(&prefix);
                text.push_str(&item);
                text.push_str("}}");
                text
            }
        }
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame::Text(text)
    }
}

/// The boxed future [`Outbox::reserve`] hands back: room for one frame,
/// or `None` when the connection is gone.
///
/// ```
/// use rpc_runtime::subscription::{Frame, OutboxFuture, OutboxPermit};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (tx, mut rx) = tokio::sync::mpsc::channel::<Frame>(1);
/// let room: OutboxFuture<'_> = Box::pin(async move {
///     let permit = tx.reserve_owned().await.ok()?;
///     Some(OutboxPermit::new(move |frame| { permit.send(frame); }))
/// });
/// room.await.expect("the queue is open").send(Frame::Text("{}".to_owned()));
/// assert_eq!(rx.recv().await.map(Frame::into_text).as_deref(), Some("{}"));
/// # }
/// ```
pub type OutboxFuture<'a> = Pin<Box<dyn Future<Output = Option<OutboxPermit>> + Send + 'a>>;

/// The transport's queue of frames to send, as subscriptions see it. A
/// transport that can push (WebSocket, and any persistent stream)
/// implements it over its own bounded queue, the one its replies go
/// through, so notifications and replies leave in the order they were
/// queued.
///
/// ```
/// use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, OutboxPermit, Pushed};
/// use tokio::sync::mpsc;
///
/// struct Queue(mpsc::Sender<Frame>);
///
/// impl Outbox for Queue {
///     fn try_push(&self, frame: Frame) -> Result<(), Pushed> {
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
    fn try_push(&self, frame: Frame) -> Result<(), Pushed>;

    /// Waits for room for one frame; `None` when the connection is gone.
    /// The permit queues a frame without waiting, so whoever holds it can
    /// decide what to send at the last moment.
    fn reserve(&self) -> OutboxFuture<'_>;
}

/// Why [`Outbox::try_push`] did not queue a frame.
///
/// ```
/// use rpc_runtime::subscription::{Frame, Pushed};
/// let full = Pushed::Full(Frame::Text("{}".to_owned()));
/// assert!(matches!(full, Pushed::Full(Frame::Text(text)) if text == "{}"));
/// ```
///
/// Exhaustive on purpose, like a bounded channel's `try_send` error: a
/// queue that refuses a frame is either full or gone.
#[derive(Debug)]
pub enum Pushed {
    /// No room now; the frame is handed back.
    Full(Frame),
    /// The connection is gone.
    Closed,
}

/// Room for one frame in an [`Outbox`].
///
/// ```
/// use std::sync::mpsc;
/// use rpc_runtime::subscription::{Frame, OutboxPermit};
/// let (tx, rx) = mpsc::channel();
/// let permit = OutboxPermit::new(move |frame: Frame| { let _ = tx.send(frame.into_text()); });
/// permit.send(Frame::Text("{}".to_owned()));
/// assert_eq!(rx.recv().unwrap(), "{}");
/// ```
pub struct OutboxPermit(Box<dyn FnOnce(Frame) + Send>);

impl OutboxPermit {
    /// A permit that queues its frame with `send`.
    ///
    /// ```
    /// use rpc_runtime::subscription::{Frame, OutboxPermit};
    /// let permit = OutboxPermit::new(|frame: Frame| assert_eq!(frame.into_text(), "[]"));
    /// permit.send(Frame::Text("[]".to_owned()));
    /// ```
    pub fn new(send: impl FnOnce(Frame) + Send + 'static) -> Self {
        Self(Box::new(send))
    }

    /// Queues `frame`.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use rpc_runtime::subscription::{Frame, OutboxPermit};
    /// let (tx, rx) = mpsc::channel();
    /// OutboxPermit::new(move |frame: Frame| { let _ = tx.send(frame.into_text()); })
    ///     .send(Frame::Text("{}".to_owned()));
    /// assert_eq!(rx.try_recv().as_deref(), Ok("{}"));
    /// ```
    pub fn send(self, frame: Frame) {
        (self.0)(frame);
    }
}

impl std::fmt::Debug for OutboxPermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxPermit(..)")
    }
}

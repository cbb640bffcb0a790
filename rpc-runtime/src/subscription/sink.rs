//! The server's side of one subscription: the pending subscription a
//! subscribe method gets, and the sink it sends items through.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::oneshot;

use super::lane::{Kind, Lane, Offer};
use super::{Frame, SubscriptionConfig, SubscriptionId, Subscriptions};
use crate::protocol::{codes, ErrorObjectOwned};
use crate::MethodError;

/// What the subscribe call waits for: the new subscription's id, or the
/// error it is answered with.
pub(crate) type Decision = oneshot::Sender<Result<SubscriptionId, MethodError>>;

/// A subscription asked for and not yet answered: the subscribe method
/// [`accept`](Self::accept)s it (getting the sink its items go through) or
/// [`reject`](Self::reject)s it with an error. The subscribe call is
/// answered then: with the new subscription's id, or with the error.
/// Dropped undecided, the call is answered `-32603`.
///
/// ```
/// use rpc_runtime::subscription::PendingSubscription;
/// async fn ticks(pending: PendingSubscription<u64>, every_ms: u64) {
///     let Ok(sink) = pending.accept() else { return };
///     let mut n = 0;
///     loop {
///         tokio::select! {
///             () = sink.closed() => return, // unsubscribed, or the connection ended
///             () = tokio::time::sleep(std::time::Duration::from_millis(every_ms)) => {}
///         }
///         if sink.send(&n).await.is_err() { return }
///         n += 1;
///     }
/// }
/// ```
#[must_use = "accept or reject the subscription: dropped, its call is answered with an internal error"]
pub struct PendingSubscription<T> {
    decision: Option<Decision>,
    subscriptions: Subscriptions,
    kind: Arc<Kind>,
    message: usize,
    _item: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for PendingSubscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSubscription")
            .field("notification", &self.kind.notification)
            .finish_non_exhaustive()
    }
}

/// Why [`PendingSubscription::accept`] gave no sink.
///
/// ```
/// use rpc_runtime::subscription::AcceptError;
/// assert_eq!(AcceptError::Gone.to_string(), "the subscribe call is gone");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// The connection may take no more subscriptions (its limit, or it is
    /// closing); the subscribe call was answered with this error.
    #[error("subscription refused: {0}")]
    Refused(ErrorObjectOwned),
    /// The subscribe call is no longer waiting (its connection ended).
    #[error("the subscribe call is gone")]
    Gone,
}

impl<T: Serialize> PendingSubscription<T> {
    pub(crate) fn new(
        decision: Decision,
        subscriptions: Subscriptions,
        kind: Arc<Kind>,
        message: usize,
    ) -> Self {
        Self {
            decision: Some(decision),
            subscriptions,
            kind,
            message,
            _item: PhantomData,
        }
    }

    /// Accepts with the default buffer and policy
    /// ([`SubscriptionConfig::default`]: 16 items, wait).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     let Ok(sink) = pending.accept() else { return };
    ///     let _ = sink.send(&7).await;
    ///     sink.closed().await; // keeps the subscription until the client leaves
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(items.next().await.transpose()?, Some(7));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AcceptError`] when the subscription cannot be made.
    pub fn accept(self) -> Result<SubscriptionSink<T>, AcceptError> {
        self.accept_with(SubscriptionConfig::default())
    }

    /// Accepts with `config`'s buffer and slow-subscriber policy; the
    /// subscribe call is answered with the new id, and notifications sent
    /// through the sink follow that answer on the wire.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rpc_runtime::subscription::{SlowPolicy, SubscriptionConfig};
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     // Never waits for a slow client: the oldest of 4 waiting items goes.
    ///     let Ok(sink) = pending.accept_with(SubscriptionConfig::new(4, SlowPolicy::DropOldest)) else { return };
    ///     let _ = sink.try_send(&1);
    ///     sink.closed().await;
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(items.next().await.transpose()?, Some(1));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AcceptError`] when the subscription cannot be made.
    pub fn accept_with(
        mut self,
        config: SubscriptionConfig,
    ) -> Result<SubscriptionSink<T>, AcceptError> {
        let Some(decision) = self.decision.take() else {
            return Err(AcceptError::Gone);
        };
        let lane = match self.subscriptions.open(&self.kind, config, self.message) {
            Ok(lane) => lane,
            Err(error) => {
                let object = error.object().clone();
                let _ = decision.send(Err(error));
                return Err(AcceptError::Refused(object));
            }
        };
        if decision.send(Ok(lane.id.clone())).is_err() {
            self.subscriptions.discard(&lane);
            return Err(AcceptError::Gone);
        }
        Ok(SubscriptionSink {
            inner: Arc::new(Producer { lane }),
            _item: PhantomData,
        })
    }

    /// Answers the subscribe call with `error` instead.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rpc_runtime::client::ClientError;
    /// use rpc_runtime::protocol::ErrorObjectOwned;
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     pending.reject(ErrorObjectOwned::new(4001, "not today"));
    /// })?;
    /// let peer = pipe(router);
    /// let refused = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await;
    /// assert!(matches!(refused, Err(ClientError::Rpc(e)) if e.code == 4001));
    /// # Ok(()) }
    /// ```
    pub fn reject(mut self, error: impl Into<MethodError>) {
        if let Some(decision) = self.decision.take() {
            let _ = decision.send(Err(error.into()));
        }
    }
}

/// Ends the subscription when the last sink is dropped: its producer is
/// done, and the client is told (a last notification, `-32009`).
struct Producer {
    lane: Arc<Lane>,
}

impl Drop for Producer {
    fn drop(&mut self) {
        let notice = self.lane.error_frame(
            codes::SUBSCRIPTION_ENDED,
            "Subscription ended by the server",
        );
        self.lane.end(notice);
    }
}

/// Sends one subscription's items, each as a notification
/// `{"jsonrpc":"2.0","method":<notification>,"params":{"subscription":<id>,"result":<item>}}`.
///
/// Clones share the subscription; when the last one is dropped, the
/// subscription ends and the client gets a last notification with error
/// `-32009`. Items wait in a bounded buffer; what a send does when it is
/// full is the subscription's [`SlowPolicy`](super::SlowPolicy).
///
/// ```
/// use rpc_runtime::subscription::{SendError, SubscriptionSink};
/// /// Sends `0..n` in order, waiting for room; stops when the client leaves.
/// async fn count(sink: SubscriptionSink<u64>, n: u64) -> Result<(), SendError> {
///     for i in 0..n {
///         sink.send(&i).await?;
///     }
///     Ok(())
/// }
/// ```
pub struct SubscriptionSink<T> {
    inner: Arc<Producer>,
    _item: PhantomData<fn(&T)>,
}

impl<T> Clone for SubscriptionSink<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            _item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for SubscriptionSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionSink")
            .field("id", &self.inner.lane.id)
            .field("closed", &self.inner.lane.is_ended())
            .finish()
    }
}

/// Why an item was not sent.
///
/// ```
/// use rpc_runtime::subscription::SendError;
/// assert_eq!(SendError::Closed.to_string(), "the subscription has ended");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The subscription has ended: unsubscribed, its connection gone, or
    /// ended by its policy.
    #[error("the subscription has ended")]
    Closed,
    /// The item could not be serialized.
    #[error("the item could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// Why [`SubscriptionSink::try_send`] did not send an item.
///
/// ```
/// use rpc_runtime::subscription::TrySendError;
/// assert_eq!(TrySendError::Full.to_string(), "the subscription's buffer is full");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrySendError {
    /// The buffer is full (policy [`Wait`](super::SlowPolicy::Wait)).
    #[error("the subscription's buffer is full")]
    Full,
    /// The subscription has ended.
    #[error("the subscription has ended")]
    Closed,
    /// The item could not be serialized.
    #[error("the item could not be serialized: {0}")]
    Serialize(#[source] serde_json::Error),
}

impl<T: Serialize> SubscriptionSink<T> {
    /// The subscription's id.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<String>, _| async move {
    ///     let Ok(sink) = pending.accept() else { return };
    ///     let _ = sink.send(&sink.id().to_json()).await; // tells the client its own id
    ///     sink.closed().await;
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<String>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(items.next().await.transpose()?, Some(items.id().to_json()));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn id(&self) -> &SubscriptionId {
        &self.inner.lane.id
    }

    fn frame(&self, item: &T) -> Result<Frame, serde_json::Error> {
        let json = serde_json::to_string(item)?;
        Ok(self.inner.lane.item_frame(Arc::from(json)))
    }

    /// The frame of an item already serialized (a topic's).
    pub(crate) fn frame_json(&self, json: &Arc<str>) -> Frame {
        self.inner.lane.item_frame(json.clone())
    }

    /// A notification of this subscription with one member besides the id
    /// (a position marker, a gap, an interruption).
    pub(crate) fn note_frame(&self, member: &str, json: &str) -> Frame {
        self.inner.lane.note_frame(member, json)
    }

    /// Sends `item`; under policy `Wait`, waits while the buffer is full.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     let Ok(sink) = pending.accept() else { return };
    ///     for n in 0..3 {
    ///         if sink.send(&n).await.is_err() { return } // unsubscribed
    ///     }
    ///     sink.closed().await;
    /// })?;
    /// let peer = pipe(router);
    /// let items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// let got: Vec<u32> = items.take(3).map(|item| item.unwrap()).collect().await;
    /// assert_eq!(got, [0, 1, 2]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SendError::Closed`] once the subscription has ended.
    pub async fn send(&self, item: &T) -> Result<(), SendError> {
        let frame = self.frame(item).map_err(SendError::Serialize)?;
        self.inner
            .lane
            .send(frame)
            .await
            .map_err(|()| SendError::Closed)
    }

    /// Sends `item` without waiting.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rpc_runtime::subscription::{SlowPolicy, SubscriptionConfig, TrySendError};
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     let Ok(sink) = pending.accept_with(SubscriptionConfig::new(1, SlowPolicy::Wait)) else { return };
    ///     // One fits in the buffer; a second, sent at once, may not.
    ///     assert!(sink.try_send(&1).is_ok());
    ///     match sink.try_send(&2) {
    ///         Ok(()) | Err(TrySendError::Full) => {}
    ///         Err(other) => panic!("{other}"),
    ///     }
    ///     sink.closed().await;
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(items.next().await.transpose()?, Some(1));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`TrySendError::Full`] when the buffer is full under policy `Wait`,
    /// [`TrySendError::Closed`] once the subscription has ended.
    pub fn try_send(&self, item: &T) -> Result<(), TrySendError> {
        let frame = self.frame(item).map_err(TrySendError::Serialize)?;
        self.offer(frame)
    }

    pub(crate) fn offer(&self, frame: Frame) -> Result<(), TrySendError> {
        match self.inner.lane.offer(frame) {
            Offer::Queued => Ok(()),
            Offer::Full(_) => Err(TrySendError::Full),
            Offer::Ended => Err(TrySendError::Closed),
        }
    }

    pub(crate) async fn send_frame(&self, frame: Frame) -> Result<(), SendError> {
        self.inner
            .lane
            .send(frame)
            .await
            .map_err(|()| SendError::Closed)
    }

    /// Resolves when the subscription ends: the client unsubscribed, the
    /// connection ended, or the policy ended it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (tx, ended) = tokio::sync::oneshot::channel();
    /// let tx = std::sync::Mutex::new(Some(tx));
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    ///     let tx = tx.lock().unwrap().take();
    ///     async move {
    ///         let Ok(sink) = pending.accept() else { return };
    ///         sink.closed().await;
    ///         if let Some(tx) = tx { let _ = tx.send(sink.is_closed()); }
    ///     }
    /// })?;
    /// let peer = pipe(router);
    /// let items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert!(items.unsubscribe().await?);
    /// assert!(ended.await?, "the producer learns it and the sink says so");
    /// # Ok(()) }
    /// ```
    pub async fn closed(&self) {
        self.inner.lane.closed().await;
    }

    /// Whether it has ended.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (tx, ended) = tokio::sync::oneshot::channel();
    /// let tx = std::sync::Mutex::new(Some(tx));
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    ///     let tx = tx.lock().unwrap().take();
    ///     async move {
    ///         let Ok(sink) = pending.accept() else { return };
    ///         let before = sink.is_closed();
    ///         sink.closed().await;
    ///         if let Some(tx) = tx { let _ = tx.send((before, sink.is_closed())); }
    ///     }
    /// })?;
    /// let peer = pipe(router);
    /// let items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// drop(peer); // the connection ends with the last handle
    /// items.unsubscribe().await.ok();
    /// assert_eq!(ended.await?, (false, true));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.lane.is_ended()
    }

    /// Ends the subscription with `error` as its last notification, after
    /// what is buffered.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> Peer {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     peer
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use rpc_runtime::client::SubscriptionError;
    /// use rpc_runtime::protocol::ErrorObjectOwned;
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    ///     let Ok(sink) = pending.accept() else { return };
    ///     let _ = sink.send(&1).await;
    ///     sink.close_with_error(&ErrorObjectOwned::new(4002, "source gone"));
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(items.next().await.transpose()?, Some(1));
    /// assert!(matches!(items.next().await, Some(Err(SubscriptionError::Ended(e))) if e.code == 4002));
    /// assert!(items.next().await.is_none());
    /// # Ok(()) }
    /// ```
    pub fn close_with_error(&self, error: &ErrorObjectOwned) {
        let notice = self.inner.lane.error_frame(error.code, &error.message);
        self.inner.lane.end(notice);
    }
}

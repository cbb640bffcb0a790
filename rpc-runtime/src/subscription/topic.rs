//! Fan-out: one item to every subscriber of a topic.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use super::sink::{SubscriptionSink, TrySendError};

/// A topic many subscriptions follow: [`publish`](Self::publish) serializes
/// an item once and hands it to every subscriber under its own
/// [`SlowPolicy`](super::SlowPolicy). Subscriptions that have ended are
/// dropped from it as it goes.
///
/// ```
/// use rpc_runtime::subscription::{PendingSubscription, Topic};
/// use std::sync::Arc;
///
/// async fn follow(topic: Arc<Topic<String>>, pending: PendingSubscription<String>) {
///     if let Ok(sink) = pending.accept() {
///         topic.add(sink);
///     }
/// }
/// # async fn publish(topic: &Topic<String>) -> Result<(), serde_json::Error> {
/// let reached = topic.publish(&"hello".to_owned()).await?;
/// # let _ = reached; Ok(()) }
/// ```
pub struct Topic<T> {
    subscribers: Mutex<Vec<SubscriptionSink<T>>>,
}

impl<T> Default for Topic<T> {
    fn default() -> Self {
        Self {
            subscribers: Mutex::new(Vec::new()),
        }
    }
}

impl<T> std::fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topic")
            .field("subscribers", &self.lock().len())
            .finish()
    }
}

impl<T> Topic<T> {
    /// A topic no one follows yet.
    ///
    /// ```
    /// use rpc_runtime::subscription::Topic;
    /// let topic: Topic<String> = Topic::new();
    /// assert!(topic.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<SubscriptionSink<T>>> {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Serialize> Topic<T> {
    /// Adds a subscriber; it stays until its subscription ends.
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
    /// use rpc_runtime::subscription::Topic;
    /// let topic = Arc::new(Topic::<u32>::new());
    /// let follow = topic.clone();
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    ///     let topic = follow.clone();
    ///     async move {
    ///         if let Ok(sink) = pending.accept() {
    ///             topic.add(sink); // the topic keeps the sink: the subscription lives on
    ///         }
    ///     }
    /// })?;
    /// let peer = pipe(router);
    /// let _items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(topic.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn add(&self, sink: SubscriptionSink<T>) {
        self.lock().push(sink);
    }

    /// How many subscriptions follow it (ended ones dropped first).
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
    /// # use rpc_runtime::subscription::Topic;
    /// # let topic = Arc::new(Topic::<u32>::new());
    /// # let follow = topic.clone();
    /// # let mut router = Router::new();
    /// # router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    /// #     let topic = follow.clone();
    /// #     async move { if let Ok(sink) = pending.accept() { topic.add(sink) } }
    /// # })?;
    /// # let peer = pipe(router);
    /// let items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(topic.len(), 1);
    /// items.unsubscribe().await?;
    /// assert_eq!(topic.len(), 0);
    /// # Ok(()) }
    /// ```
    pub fn len(&self) -> usize {
        let mut subscribers = self.lock();
        subscribers.retain(|sink| !sink.is_closed());
        subscribers.len()
    }

    /// Whether none does.
    ///
    /// ```
    /// use rpc_runtime::subscription::Topic;
    /// let topic = Topic::<u32>::new();
    /// assert!(topic.is_empty() && topic.len() == 0);
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `item` to every subscriber and returns how many it reached.
    /// A subscriber under policy `Wait` whose buffer is full is waited for
    /// (after every other subscriber has its item), so a slow one of those
    /// slows the publisher down: that is what it chose.
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
    /// # use rpc_runtime::subscription::Topic;
    /// # let topic = Arc::new(Topic::<u32>::new());
    /// # let follow = topic.clone();
    /// # let mut router = Router::new();
    /// # router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    /// #     let topic = follow.clone();
    /// #     async move { if let Ok(sink) = pending.accept() { topic.add(sink) } }
    /// # })?;
    /// # let peer = pipe(router);
    /// let mut first = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// let mut second = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(topic.publish(&5).await?, 2);
    /// assert_eq!(first.next().await.transpose()?, Some(5));
    /// assert_eq!(second.next().await.transpose()?, Some(5));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When `item` does not serialize.
    pub async fn publish(&self, item: &T) -> Result<usize, serde_json::Error> {
        let json: std::sync::Arc<str> = serde_json::to_string(item)?.into();
        let mut reached = 0;
        let mut waiting = Vec::new();
        {
            let mut subscribers = self.lock();
            subscribers.retain(|sink| match sink.offer(sink.frame_json(&json)) {
                Ok(()) => {
                    reached += 1;
                    true
                }
                Err(TrySendError::Full) => {
                    waiting.push(sink.clone());
                    true
                }
                Err(_) => false,
            });
        }
        for sink in waiting {
            if sink.send_frame(sink.frame_json(&json)).await.is_ok() {
                reached += 1;
            }
        }
        Ok(reached)
    }

    /// Sends `item` to every subscriber without waiting; a subscriber under
    /// policy `Wait` whose buffer is full misses it. Returns how many it
    /// reached.
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
    /// # use rpc_runtime::subscription::Topic;
    /// # let topic = Arc::new(Topic::<u32>::new());
    /// # let follow = topic.clone();
    /// # let mut router = Router::new();
    /// # router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    /// #     let topic = follow.clone();
    /// #     async move { if let Ok(sink) = pending.accept() { topic.add(sink) } }
    /// # })?;
    /// # let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(topic.try_publish(&9)?, 1);
    /// assert_eq!(items.next().await.transpose()?, Some(9));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When `item` does not serialize.
    pub fn try_publish(&self, item: &T) -> Result<usize, serde_json::Error> {
        let json: std::sync::Arc<str> = serde_json::to_string(item)?.into();
        let mut reached = 0;
        self.lock()
            .retain(|sink| match sink.offer(sink.frame_json(&json)) {
                Ok(()) => {
                    reached += 1;
                    true
                }
                Err(TrySendError::Full) => true,
                Err(_) => false,
            });
        Ok(reached)
    }
}

//! Fan-out: one item to every subscriber of a topic, on this instance or,
//! through a [`Broker`], on every instance; with a bounded history that
//! reconnecting subscribers resume from.

use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::broker::{Broker, BrokerError, Feed};
use super::fan_out::{item_text, position_frame, Core, Entry, State};
use super::history::{History, Ring};
use super::position::Position;
use super::sink::SubscriptionSink;

/// Why a publish failed.
///
/// ```
/// use rpc_runtime::subscription::{BrokerError, PublishError};
/// let error = PublishError::from(BrokerError::unavailable("connection refused"));
/// assert_eq!(error.to_string(), "broker unavailable: connection refused");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The item does not serialize.
    #[error(transparent)]
    Serialize(#[from] serde_json::Error),
    /// The topic's broker could not take it (unreachable: the item was not
    /// published anywhere).
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

/// A topic many subscriptions follow: [`publish`](Self::publish) serializes
/// an item once and hands it to every subscriber under its own
/// [`SlowPolicy`](super::SlowPolicy). Subscriptions that have ended are
/// dropped from it as it goes.
///
/// Where its items travel:
/// - [`Topic::new`]: in this process only, no history (items carry no
///   position);
/// - [`Topic::with_history`]: in this process, keeping a bounded
///   [`History`]; each item's notification carries its `"position"`;
/// - [`Topic::with_broker`]: through a [`Broker`] (Redis) to the topic's
///   subscribers on every instance, with the broker's history.
///
/// A subscriber that comes back with the last position it saw
/// ([`follow`](Self::follow)) gets the items it missed first, then live
/// ones, with no gap and no duplicate; when what it missed is no longer
/// kept it gets a `"gap"` notification first (the client's stream yields
/// `SubscriptionError::Gap`).
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
/// # async fn publish(topic: &Topic<String>) -> Result<(), rpc_runtime::subscription::PublishError> {
/// let reached = topic.publish(&"hello".to_owned()).await?;
/// # let _ = reached; Ok(()) }
/// ```
pub struct Topic<T> {
    core: Arc<Core<T>>,
}

impl<T> Default for Topic<T> {
    fn default() -> Self {
        Self::from_parts(None, None)
    }
}

impl<T> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
        }
    }
}

impl<T> std::fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.core.lock();
        f.debug_struct("Topic")
            .field("subscribers", &state.entries.len())
            .field("history", &state.ring.is_some())
            .field("broker", &self.core.broker.as_ref().map(|(_, name)| name))
            .finish()
    }
}

impl<T> Topic<T> {
    /// A topic no one follows yet, in this process, without history.
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

    /// An in-process topic that keeps `history`: each item's notification
    /// carries its position, and [`follow`](Self::follow) resumes from one.
    ///
    /// ```
    /// use rpc_runtime::subscription::{History, Topic};
    /// let topic: Topic<u32> = Topic::with_history(History::last(100));
    /// assert!(topic.is_empty());
    /// ```
    #[must_use]
    pub fn with_history(history: History) -> Self {
        Self::from_parts(None, Some(Ring::new(history)))
    }

    fn from_parts(broker: Option<(Arc<dyn Broker>, Arc<str>)>, ring: Option<Ring>) -> Self {
        Self {
            core: Arc::new(Core {
                broker,
                state: Mutex::new(State {
                    entries: Vec::new(),
                    ring,
                    last: None,
                    held: None,
                }),
            }),
        }
    }
}

impl<T: Serialize + Send + Sync + 'static> Topic<T> {
    /// The topic `name` of `broker`: published on any instance, delivered
    /// to its subscribers on every instance, with the broker's history.
    ///
    /// ```no_run
    /// # #[cfg(feature = "redis")]
    /// # async fn demo() -> Result<(), rpc_runtime::subscription::BrokerError> {
    /// use std::sync::Arc;
    /// use rpc_runtime::subscription::{History, RedisBroker, RedisConfig, Topic};
    /// let broker = RedisBroker::connect("redis://127.0.0.1:6379", RedisConfig::new(History::last(1000))).await?;
    /// let news: Topic<String> = Topic::with_broker(Arc::new(broker), "news");
    /// news.publish(&"hello".to_owned()).await.ok();
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_broker(broker: Arc<dyn Broker>, name: &str) -> Self {
        let topic = Self::from_parts(Some((Arc::clone(&broker), Arc::from(name))), None);
        let feed: Arc<dyn Feed> = topic.core.clone();
        broker.follow(name, Arc::downgrade(&feed));
        topic
    }

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
        if self.core.broker.is_some() {
            // Where it starts is the broker's to say: that takes a round
            // trip, so the subscription joins on the runtime.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let core = Arc::clone(&self.core);
                runtime.spawn(async move { core.follow(sink, None).await });
            }
            return;
        }
        let mut state = self.core.lock();
        if let Some(ring) = &state.ring {
            // The client learns where it stands before any item comes.
            let _ = sink.offer(position_frame(&sink, &ring.head()));
        }
        state.entries.push(Entry {
            sink,
            backlog: None,
            after: None,
        });
    }

    /// Adds a subscriber that resumes after `since` (the last position it
    /// saw, `None` for a new one): the items it missed first, then live
    /// ones, with no gap and no duplicate. If items after `since` are no
    /// longer kept (or the topic keeps no history), it is told of the gap
    /// (a `"gap"` notification) and gets what is kept. When the broker
    /// cannot be reached the subscription ends with that error.
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
    /// use rpc_runtime::subscription::{History, Position, Topic};
    /// let topic = Arc::new(Topic::<u32>::with_history(History::last(100)));
    /// let follow = topic.clone();
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &["since"],
    ///     move |(since,): (Option<Position>,), pending: PendingSubscription<u32>, _| {
    ///         let topic = follow.clone();
    ///         async move {
    ///             if let Ok(sink) = pending.accept() {
    ///                 topic.follow(sink, since).await;
    ///             }
    ///         }
    ///     })?;
    /// let peer = pipe(router);
    /// let mut first = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// for n in 1..=3 {
    ///     topic.publish(&n).await?;
    /// }
    /// assert_eq!(first.next().await.transpose()?, Some(1));
    /// let seen = first.position().expect("items carry positions");
    /// // A second subscriber resumes after item 1: it gets 2 and 3.
    /// let params = EncodedParams::from_value(&[seen])?;
    /// let resumed = peer.subscribe::<u32>("sub", params, "note", "unsub").await?;
    /// let rest: Vec<u32> = resumed.take(2).map(|n| n.unwrap()).collect().await;
    /// assert_eq!(rest, [2, 3]);
    /// # Ok(()) }
    /// ```
    pub async fn follow(&self, sink: SubscriptionSink<T>, since: Option<Position>) {
        self.core.follow(sink, since).await;
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
    #[must_use]
    pub fn len(&self) -> usize {
        let mut state = self.core.lock();
        state.entries.retain(|entry| !entry.sink.is_closed());
        state.entries.len()
    }

    /// Whether none does.
    ///
    /// ```
    /// use rpc_runtime::subscription::Topic;
    /// let topic = Topic::<u32>::new();
    /// assert!(topic.is_empty() && topic.len() == 0);
    /// ```
    #[must_use]
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
    /// When `item` does not serialize, or the topic's broker cannot be
    /// reached (then the item went nowhere). Through a broker, the count
    /// is of the instances following the topic, not of subscribers.
    pub async fn publish(&self, item: &T) -> Result<usize, PublishError> {
        let json = serde_json::to_string(item)?;
        if let Some((broker, name)) = &self.core.broker {
            return Ok(broker.publish(name, &json).await?.instances);
        }
        let mut waiting = Vec::new();
        let (mut reached, text) = {
            let mut state = self.core.lock();
            let position = state.ring.as_mut().map(|ring| ring.push(Arc::from(&*json)));
            let text = item_text(json, position.as_ref());
            let reached =
                self.core
                    .offer_all(&mut state, &text, position.as_ref(), Some(&mut waiting));
            (reached, text)
        };
        for sink in waiting {
            if sink.send_frame(sink.frame_json(&text)).await.is_ok() {
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
    /// When `item` does not serialize; for a topic with a broker always
    /// (reaching it takes a round trip: use [`publish`](Self::publish)).
    pub fn try_publish(&self, item: &T) -> Result<usize, PublishError> {
        if self.core.broker.is_some() {
            return Err(BrokerError::Protocol(
                "try_publish cannot reach a broker; use publish".to_owned(),
            )
            .into());
        }
        let json = serde_json::to_string(item)?;
        let mut state = self.core.lock();
        let position = state.ring.as_mut().map(|ring| ring.push(Arc::from(&*json)));
        let text = item_text(json, position.as_ref());
        Ok(self
            .core
            .offer_all(&mut state, &text, position.as_ref(), None))
    }
}

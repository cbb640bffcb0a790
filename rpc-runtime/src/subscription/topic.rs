//! Fan-out: one item to every subscriber of a topic, on this instance or,
//! through a [`Broker`], on every instance; with a bounded history that
//! reconnecting subscribers resume from.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use super::broker::{Broker, BrokerError, Feed};
use super::history::{History, Replay, Ring};
use super::outbox::Frame;
use super::position::Position;
use super::sink::{SubscriptionSink, TrySendError};

/// How many frames a subscriber that is catching up (replaying history,
/// or behind the broker's live feed) may have waiting before the oldest
/// are dropped and it is told of a gap.
const BACKLOG: usize = 4096;

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

struct Core<T> {
    broker: Option<(Arc<dyn Broker>, Arc<str>)>,
    state: Mutex<State<T>>,
}

struct State<T> {
    entries: Vec<Entry<T>>,
    /// The in-process history (none for a broker's topic: it keeps its own).
    ring: Option<Ring>,
    /// A broker's topic: the newest position delivered here, so that a
    /// live item seen twice (after a recovery) is dropped.
    last: Option<Position>,
    /// A broker's topic recovering after the broker came back: live items
    /// wait here until the missed ones are delivered.
    held: Option<Vec<(Position, Arc<str>)>>,
}

struct Entry<T> {
    sink: SubscriptionSink<T>,
    /// Frames waiting for a subscriber that is catching up; `None` while
    /// it is live (items are offered to its sink directly).
    backlog: Option<Arc<Backlog>>,
    /// The position of the last item queued for it: a live item at or
    /// before it (its replay read further than the topic had delivered
    /// live) is not queued again.
    after: Option<Position>,
}

/// The frames of one subscriber that is catching up, with the position
/// each stands for.
#[derive(Default)]
struct Backlog(Mutex<VecDeque<(Option<Position>, Frame)>>);

impl Backlog {
    fn lock(&self) -> MutexGuard<'_, VecDeque<(Option<Position>, Frame)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push<T: Serialize>(
        &self,
        sink: &SubscriptionSink<T>,
        position: Option<Position>,
        frame: Frame,
    ) {
        let mut frames = self.lock();
        if frames.len() >= BACKLOG {
            // Too far behind to keep everything: say so rather than grow.
            frames.clear();
            frames.push_back((None, sink.note_frame("gap", r#"{"since":null}"#)));
        }
        frames.push_back((position, frame));
    }
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

/// An item's JSON as it follows `"result":` in its notification: with its
/// position when the topic keeps history.
fn item_text(json: String, position: Option<&Position>) -> Arc<str> {
    match position {
        None => Arc::from(json),
        Some(position) => {
            let mut text = json;
            text.push_str(r#","position":"#);
            // Serializing a string cannot fail.
            let _ = crate::router::write_json(&mut text, &position.to_string());
            Arc::from(text)
        }
    }
}

fn position_frame<T: Serialize>(sink: &SubscriptionSink<T>, position: &Position) -> Frame {
    let mut json = String::new();
    let _ = crate::router::write_json(&mut json, &position.to_string());
    sink.note_frame("position", &json)
}

fn gap_frame<T: Serialize>(sink: &SubscriptionSink<T>, since: Option<&Position>) -> Frame {
    let mut json = String::from(r#"{"since":"#);
    match since {
        Some(since) => {
            let _ = crate::router::write_json(&mut json, &since.to_string());
        }
        None => json.push_str("null"),
    }
    json.push('}');
    sink.note_frame("gap", &json)
}

impl<T> Core<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Serialize + Send + Sync + 'static> Core<T> {
    /// Hands `text` to every subscriber; returns how many took it. A full
    /// subscriber under policy `Wait` goes to `waiting` (the publisher
    /// waits for it) or, without one, catches up on its own.
    fn offer_all(
        self: &Arc<Self>,
        state: &mut State<T>,
        text: &Arc<str>,
        position: Option<&Position>,
        mut waiting: Option<&mut Vec<SubscriptionSink<T>>>,
    ) -> usize {
        let mut reached = 0;
        let mut behind = Vec::new();
        state.entries.retain_mut(|entry| {
            if let (Some(position), Some(after)) = (position, &entry.after) {
                if position.epoch() == after.epoch() && !position.follows(after) {
                    // Queued already, from its replay.
                    return !entry.sink.is_closed();
                }
            }
            if position.is_some() {
                entry.after = position.cloned();
            }
            let frame = entry.sink.frame_json(text);
            if let Some(backlog) = &entry.backlog {
                if entry.sink.is_closed() {
                    return false;
                }
                backlog.push(&entry.sink, position.cloned(), frame);
                reached += 1;
                return true;
            }
            match entry.sink.offer(frame) {
                Ok(()) => {
                    reached += 1;
                    true
                }
                Err(TrySendError::Full) => {
                    if let Some(waiting) = waiting.as_deref_mut() {
                        waiting.push(entry.sink.clone());
                    } else {
                        let backlog = Arc::new(Backlog::default());
                        backlog.push(&entry.sink, position.cloned(), entry.sink.frame_json(text));
                        entry.backlog = Some(Arc::clone(&backlog));
                        behind.push((entry.sink.clone(), backlog));
                        reached += 1;
                    }
                    true
                }
                Err(_) => false,
            }
        });
        for (sink, backlog) in behind {
            self.drain(sink, backlog);
        }
        reached
    }

    /// Sends a subscriber's backlog on the runtime, then makes it live.
    fn drain(self: &Arc<Self>, sink: SubscriptionSink<T>, backlog: Arc<Backlog>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "rpc_runtime::subscription", "no runtime to catch a subscriber up on: it is dropped");
            sink.close_with_error(&crate::protocol::ErrorObjectOwned::new(
                crate::protocol::codes::SUBSCRIPTION_ENDED,
                "the subscriber fell behind and could not catch up",
            ));
            return;
        };
        let core = Arc::clone(self);
        runtime.spawn(async move {
            loop {
                let next = backlog.lock().pop_front();
                if let Some((_, frame)) = next {
                    if sink.send_frame(frame).await.is_err() {
                        core.lock().entries.retain(|entry| !entry.sink.is_closed());
                        return;
                    }
                    continue;
                }
                let mut state = core.lock();
                if !backlog.lock().is_empty() {
                    continue;
                }
                // Caught up: from now on items go to the sink directly.
                for entry in &mut state.entries {
                    if entry
                        .backlog
                        .as_ref()
                        .is_some_and(|b| Arc::ptr_eq(b, &backlog))
                    {
                        entry.backlog = None;
                    }
                }
                return;
            }
        });
    }

    async fn follow(self: &Arc<Self>, sink: SubscriptionSink<T>, since: Option<Position>) {
        let backlog = Arc::new(Backlog::default());
        let Some((broker, name)) = &self.broker else {
            let mut state = self.lock();
            let replay = match state.ring.as_mut() {
                Some(ring) => ring.replay(since.as_ref()),
                // No history: resuming from anything misses what came since.
                None => Replay {
                    gap: since.is_some(),
                    ..Replay::default()
                },
            };
            let after = Self::queue_replay(&sink, &backlog, since.as_ref(), replay, Vec::new());
            state.entries.push(Entry {
                sink: sink.clone(),
                backlog: Some(Arc::clone(&backlog)),
                after,
            });
            drop(state);
            self.drain(sink, backlog);
            return;
        };
        // Live items that come while the history is read wait in the
        // backlog (nothing drains it yet), then join after the replay.
        self.lock().entries.push(Entry {
            sink: sink.clone(),
            backlog: Some(Arc::clone(&backlog)),
            after: None,
        });
        let replay = match broker.replay(name, since.as_ref()).await {
            Ok(replay) => replay,
            Err(error) => {
                sink.close_with_error(&crate::protocol::ErrorObjectOwned::new(
                    crate::protocol::codes::SUBSCRIPTION_ENDED,
                    error.to_string(),
                ));
                self.lock().entries.retain(|entry| !entry.sink.is_closed());
                return;
            }
        };
        let mut state = self.lock();
        if state.last.is_none() {
            state.last.clone_from(&replay.head);
        }
        let live = std::mem::take(&mut *backlog.lock());
        let after = Self::queue_replay(&sink, &backlog, since.as_ref(), replay, live.into());
        Self::set_after(&mut state, &backlog, after);
        drop(state);
        self.drain(sink, backlog);
    }

    /// Fills a new subscriber's backlog: the gap notice if any, the
    /// replayed items (or the head's position when there are none), then
    /// the live items held meanwhile that come after them.
    fn queue_replay(
        sink: &SubscriptionSink<T>,
        backlog: &Backlog,
        since: Option<&Position>,
        replay: Replay,
        live: Vec<(Option<Position>, Frame)>,
    ) -> Option<Position> {
        if replay.gap {
            backlog.push(sink, None, gap_frame(sink, since));
        }
        let mut reached = replay.head.clone();
        if replay.items.is_empty() {
            if let Some(head) = &replay.head {
                backlog.push(sink, Some(head.clone()), position_frame(sink, head));
            }
        }
        for (position, item) in replay.items {
            let text = item_text(item.to_string(), Some(&position));
            backlog.push(sink, Some(position.clone()), sink.frame_json(&text));
            reached = Some(position);
        }
        for (position, frame) in live {
            let fresh = match (&position, &reached) {
                (Some(position), Some(reached)) => {
                    position.follows(reached) || position.epoch() != reached.epoch()
                }
                _ => true,
            };
            if fresh {
                if position.is_some() {
                    reached.clone_from(&position);
                }
                backlog.push(sink, position, frame);
            }
        }
        reached
    }

    /// Sets where the entry catching up through `backlog` stands.
    fn set_after(state: &mut State<T>, backlog: &Arc<Backlog>, after: Option<Position>) {
        for entry in &mut state.entries {
            if entry
                .backlog
                .as_ref()
                .is_some_and(|b| Arc::ptr_eq(b, backlog))
            {
                entry.after = after;
                return;
            }
        }
    }

    /// A live item from the broker, in order; one already delivered (seen
    /// again after a recovery) is dropped.
    fn deliver_locked(self: &Arc<Self>, state: &mut State<T>, position: Position, item: &str) {
        if let Some(last) = &state.last {
            if position.epoch() == last.epoch() && !position.follows(last) {
                return;
            }
        }
        let text = item_text(item.to_owned(), Some(&position));
        self.offer_all(state, &text, Some(&position), None);
        state.last = Some(position);
    }
}

impl<T: Serialize + Send + Sync + 'static> Feed for Core<T> {
    fn deliver(self: Arc<Self>, position: Position, item: Arc<str>) {
        let mut state = self.lock();
        if let Some(held) = &mut state.held {
            held.push((position, item));
            return;
        }
        self.deliver_locked(&mut state, position, &item);
    }

    fn interrupted(&self, reason: &str) {
        let mut json = String::new();
        let _ = crate::router::write_json(&mut json, reason);
        let mut state = self.lock();
        state.entries.retain(|entry| {
            let frame = entry.sink.note_frame("interrupted", &json);
            match &entry.backlog {
                Some(backlog) => backlog.push(&entry.sink, None, frame),
                // A full subscriber misses the notice, not an item.
                None => {
                    let _ = entry.sink.offer(frame);
                }
            }
            !entry.sink.is_closed()
        });
    }

    fn resumed(self: Arc<Self>) {
        let Some((broker, name)) = self.broker.clone() else {
            return;
        };
        let since = {
            let mut state = self.lock();
            let Some(last) = state.last.clone() else {
                return;
            };
            state.held = Some(Vec::new());
            last
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.lock().held = None;
            return;
        };
        runtime.spawn(async move {
            let replay = broker.replay(&name, Some(&since)).await;
            let mut state = self.lock();
            let held = state.held.take().unwrap_or_default();
            match replay {
                Ok(replay) => {
                    if replay.gap {
                        tracing::warn!(target: "rpc_runtime::subscription", topic = %name, %since, "the broker no longer keeps what this instance missed");
                        for entry in &state.entries {
                            let frame = gap_frame(&entry.sink, Some(&since));
                            match &entry.backlog {
                                Some(backlog) => backlog.push(&entry.sink, None, frame),
                                None => {
                                    let _ = entry.sink.offer(frame);
                                }
                            }
                        }
                        // A new epoch: what follows is ordered within it.
                        state.last = None;
                    }
                    for (position, item) in replay.items {
                        self.deliver_locked(&mut state, position, &item);
                    }
                }
                Err(error) => {
                    tracing::warn!(target: "rpc_runtime::subscription", topic = %name, %error, "could not recover the items missed while the broker was away");
                }
            }
            for (position, item) in held {
                self.deliver_locked(&mut state, position, &item);
            }
        });
    }
}

//! The seam between topics and what carries their items between server
//! instances.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use super::history::Replay;
use super::position::Position;

/// A boxed future borrowing the broker.
pub type BrokerFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a broker could not do what was asked: it is unreachable, or it
/// answered something unexpected.
///
/// ```
/// use rpc_runtime::subscription::BrokerError;
/// let error = BrokerError::unavailable("redis://127.0.0.1:6379: connection refused");
/// assert_eq!(error.to_string(), "broker unavailable: redis://127.0.0.1:6379: connection refused");
/// assert!(error.is_unavailable());
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The broker cannot be reached (down, restarting, network); the
    /// broker keeps trying to reconnect.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker answered, but not as expected.
    #[error("broker error: {0}")]
    Protocol(String),
}

impl BrokerError {
    /// An unreachable broker, with what was seen.
    ///
    /// ```
    /// # use rpc_runtime::subscription::BrokerError;
    /// assert!(BrokerError::unavailable("down").is_unavailable());
    /// ```
    #[must_use]
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self::Unavailable(why.into())
    }

    /// Whether the broker could not be reached.
    ///
    /// ```
    /// # use rpc_runtime::subscription::BrokerError;
    /// assert!(!BrokerError::Protocol("odd reply".into()).is_unavailable());
    /// ```
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// What a broker reports after a publish: the item's position, and how
/// many instances following the topic it was handed to.
///
/// ```
/// use rpc_runtime::subscription::{Position, Published};
/// let published = Published::new(Position::new("e", 1, 0), 3);
/// assert_eq!(published.instances, 3);
/// ```
///
/// Non-exhaustive (a broker may come to report more): a [`Broker`]
/// implementation makes one with [`Published::new`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Published {
    /// Where the item stands in the topic's history.
    pub position: Position,
    /// How many instances (broker connections following the topic) it
    /// reached.
    pub instances: usize,
}

impl Published {
    /// An item published at `position`, reaching `instances` instances.
    #[must_use]
    pub fn new(position: Position, instances: usize) -> Self {
        Self {
            position,
            instances,
        }
    }
}

/// A topic's side of a broker: where the broker hands the live items of
/// the topic on this instance, and tells it when the broker is lost and
/// back. [`Topic`](super::Topic) implements it; a broker holds it weakly,
/// so a dropped topic stops being fed.
pub trait Feed: Send + Sync + 'static {
    /// A live item of the topic, in the broker's order.
    fn deliver(self: Arc<Self>, position: Position, item: Arc<str>);
    /// The broker connection is lost: live items stop until
    /// [`resumed`](Self::resumed).
    fn interrupted(&self, reason: &str);
    /// The broker connection is back (also called once after the first
    /// connect): the topic recovers from its history what it missed.
    fn resumed(self: Arc<Self>);
}

/// Carries topics' items between server instances, with their history:
/// [`Topic::with_broker`](super::Topic::with_broker) publishes through it.
/// Without one, a topic lives in its process (the default).
///
/// One broker serves every topic of an instance over one connection for
/// live items (not one per subscriber); each instance delivers to its own
/// subscribers. An implementation must deliver a topic's items to every
/// follower in one order, the order of their positions, and must make a
/// publish fail (not hang) while it cannot reach the backend.
///
/// `RedisBroker` (feature `redis`) implements it on Redis streams and
/// pub/sub.
pub trait Broker: Send + Sync + 'static {
    /// Appends `item` (JSON text) to `topic`'s history and hands it to
    /// every instance following the topic.
    fn publish<'a>(
        &'a self,
        topic: &'a str,
        item: &'a str,
    ) -> BrokerFuture<'a, Result<Published, BrokerError>>;

    /// What `topic` kept after `since`; with `since` `None` only the head
    /// (the newest position), where a new subscription starts.
    fn replay<'a>(
        &'a self,
        topic: &'a str,
        since: Option<&'a Position>,
    ) -> BrokerFuture<'a, Result<Replay, BrokerError>>;

    /// Starts handing `topic`'s live items to `feed`, until the feed is
    /// dropped.
    fn follow(&self, topic: &str, feed: Weak<dyn Feed>);
}

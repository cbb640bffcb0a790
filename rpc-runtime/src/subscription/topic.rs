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
    pub fn add(&self, sink: SubscriptionSink<T>) {
        self.lock().push(sink);
    }

    /// How many subscriptions follow it (ended ones dropped first).
    pub fn len(&self) -> usize {
        let mut subscribers = self.lock();
        subscribers.retain(|sink| !sink.is_closed());
        subscribers.len()
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends `item` to every subscriber and returns how many it reached.
    /// A subscriber under policy `Wait` whose buffer is full is waited for
    /// (after every other subscriber has its item), so a slow one of those
    /// slows the publisher down: that is what it chose.
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

//! What a subscription does when its subscriber reads slower than its
//! producer sends.

/// What happens when a subscription's buffer is full: the subscriber (or
/// the network) is slower than the producer.
///
/// Every subscription has a bounded buffer of frames waiting for the
/// connection ([`SubscriptionConfig::buffer`]); the policy decides what a
/// send does when it is full.
///
/// ```
/// use rpc_runtime::subscription::{SlowPolicy, SubscriptionConfig};
/// let config = SubscriptionConfig::default();
/// assert_eq!((config.buffer, config.policy), (16, SlowPolicy::Wait));
/// let ticks = SubscriptionConfig::new(64, SlowPolicy::DropOldest);
/// assert_eq!(ticks.buffer, 64);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlowPolicy {
    /// `send(..).await` waits for room: the producer is slowed down to the
    /// subscriber's pace (`try_send` fails with `Full`). Nothing is lost.
    #[default]
    Wait,
    /// The oldest waiting item is dropped to make room; before the next
    /// item it delivers, the subscriber gets one notification saying how
    /// many were lost (`"lagged": N`), which a client stream yields as a
    /// lag. Sends never wait: right for prices, positions, gauges.
    DropOldest,
    /// The subscription ends: the items already waiting are delivered,
    /// then a last notification with error `-32008` (subscriber too slow),
    /// and the producer's sends fail from then on.
    End,
}

/// How one subscription buffers, chosen when it is accepted.
///
/// Memory is bounded whatever the subscriber does: at most `buffer` frames
/// per subscription (and one final notice), times the connection's
/// subscription limit, on top of the connection's write queue.
///
/// ```
/// use rpc_runtime::subscription::{SlowPolicy, SubscriptionConfig};
/// // Prices: keep the 8 newest, tell the subscriber how many it missed.
/// let prices = SubscriptionConfig::new(8, SlowPolicy::DropOldest);
/// assert_eq!((prices.buffer, prices.policy), (8, SlowPolicy::DropOldest));
/// // A buffer is never empty.
/// assert_eq!(SubscriptionConfig::new(0, SlowPolicy::End).buffer, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SubscriptionConfig {
    /// How many notifications may wait for the connection (at least 1).
    /// Default 16.
    pub buffer: usize,
    /// What a send does when they are that many. Default [`SlowPolicy::Wait`].
    pub policy: SlowPolicy,
}

impl Default for SubscriptionConfig {
    fn default() -> Self {
        Self::new(16, SlowPolicy::Wait)
    }
}

impl SubscriptionConfig {
    /// A buffer of `buffer` notifications (at least 1) under `policy`.
    ///
    /// ```
    /// use rpc_runtime::subscription::{SlowPolicy, SubscriptionConfig};
    /// let config = SubscriptionConfig::new(32, SlowPolicy::Wait);
    /// assert_eq!(config.buffer, 32);
    /// ```
    #[must_use]
    pub fn new(buffer: usize, policy: SlowPolicy) -> Self {
        Self {
            buffer: buffer.max(1),
            policy,
        }
    }
}

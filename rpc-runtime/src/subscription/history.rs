//! A topic's bounded history: how much is kept, and the in-process ring
//! that keeps it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::position::Position;

/// How much history a topic keeps so that a client that reconnects can
/// resume: at most `len` items, and (when set) none older than `max_age`.
/// Resuming from a position older than what is kept is an unrecoverable
/// gap, which the subscriber is told about.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::subscription::History;
/// let history = History::last(1000).max_age(Duration::from_secs(600));
/// assert_eq!(history.len(), 1000);
/// assert_eq!(history.age(), Some(Duration::from_secs(600)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History {
    len: usize,
    max_age: Option<Duration>,
}

impl History {
    /// Keeps the last `len` items.
    ///
    /// ```
    /// use rpc_runtime::subscription::History;
    /// assert_eq!(History::last(10).age(), None);
    /// ```
    #[must_use]
    pub const fn last(len: usize) -> Self {
        Self { len, max_age: None }
    }

    /// Also drops items older than `age`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::subscription::History;
    /// assert_eq!(History::last(10).max_age(Duration::from_secs(1)).len(), 10);
    /// ```
    #[must_use]
    pub const fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// How many items it keeps at most.
    ///
    /// ```
    /// assert_eq!(rpc_runtime::subscription::History::last(3).len(), 3);
    /// ```
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether it keeps nothing (`last(0)`): every resume is a gap.
    ///
    /// ```
    /// assert!(rpc_runtime::subscription::History::last(0).is_empty());
    /// ```
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The age limit, if any.
    ///
    /// ```
    /// assert_eq!(rpc_runtime::subscription::History::last(3).age(), None);
    /// ```
    #[must_use]
    pub const fn age(&self) -> Option<Duration> {
        self.max_age
    }
}

/// What a topic's history holds after a position: the items, oldest
/// first, and whether some that followed the position are no longer kept.
///
/// ```
/// use rpc_runtime::subscription::{Position, Replay};
/// let replay = Replay::new(false, Vec::new(), Some(Position::new("e", 0, 0)));
/// assert!(replay.items.is_empty());
/// ```
///
/// Non-exhaustive (a replay may come to say more): a
/// [`Broker`](super::Broker) implementation makes one with
/// [`Replay::new`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Replay {
    /// Items after the position asked for were dropped from the history
    /// (or it is of another epoch): the subscriber missed some for good.
    pub gap: bool,
    /// The kept items after the position (all kept items after a gap), in
    /// order.
    pub items: Vec<(Position, Arc<str>)>,
    /// The newest position of the topic when the replay was read: where a
    /// subscription that replayed nothing stands.
    pub head: Option<Position>,
}

impl Replay {
    /// A replay of `items`, after a `gap` or not, with the topic's `head`.
    #[must_use]
    pub fn new(gap: bool, items: Vec<(Position, Arc<str>)>, head: Option<Position>) -> Self {
        Self { gap, items, head }
    }
}

/// The in-process history: a ring of the last items.
pub(crate) struct Ring {
    history: History,
    epoch: Arc<str>,
    items: VecDeque<(u64, Instant, Arc<str>)>,
    /// The sequence number of the last item (0: none yet).
    last: u64,
    /// The highest sequence number dropped from the ring (0: none).
    dropped: u64,
}

impl Ring {
    pub(crate) fn new(history: History) -> Self {
        Self {
            history,
            epoch: Arc::from(new_epoch()),
            items: VecDeque::new(),
            last: 0,
            dropped: 0,
        }
    }

    /// Keeps `item` and returns its position.
    pub(crate) fn push(&mut self, item: Arc<str>) -> Position {
        self.last += 1;
        let now = Instant::now();
        self.items.push_back((self.last, now, item));
        while self.items.len() > self.history.len {
            self.drop_oldest();
        }
        self.expire(now);
        self.position(self.last)
    }

    pub(crate) fn head(&self) -> Position {
        self.position(self.last)
    }

    /// The items after `since` (the newest position when `None`).
    pub(crate) fn replay(&mut self, since: Option<&Position>) -> Replay {
        self.expire(Instant::now());
        let head = Some(self.head());
        let Some(since) = since else {
            return Replay {
                gap: false,
                items: Vec::new(),
                head,
            };
        };
        let same_epoch = since.epoch() == &*self.epoch;
        let after = if same_epoch { since.offset().0 } else { 0 };
        let gap = !same_epoch || after < self.dropped || after > self.last;
        let items = self
            .items
            .iter()
            .filter(|(seq, _, _)| gap || *seq > after)
            .map(|(seq, _, item)| (self.position(*seq), item.clone()))
            .collect();
        Replay { gap, items, head }
    }

    fn expire(&mut self, now: Instant) {
        if let Some(age) = self.history.max_age {
            while self
                .items
                .front()
                .is_some_and(|(_, at, _)| now.duration_since(*at) > age)
            {
                self.drop_oldest();
            }
        }
    }

    fn drop_oldest(&mut self) {
        if let Some((seq, _, _)) = self.items.pop_front() {
            self.dropped = seq;
        }
    }

    fn position(&self, seq: u64) -> Position {
        Position::new(&self.epoch, seq, 0)
    }
}

/// A fresh epoch: 64 random bits in hex.
pub(crate) fn new_epoch() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn texts(replay: &Replay) -> Vec<&str> {
        replay.items.iter().map(|(_, item)| &**item).collect()
    }

    #[test]
    fn replays_what_followed_and_tells_a_gap_past_the_kept_items() {
        let mut ring = Ring::new(History::last(3));
        let first = ring.push(Arc::from("1"));
        let second = ring.push(Arc::from("2"));
        let replay = ring.replay(Some(&first));
        assert!(!replay.gap);
        assert_eq!(texts(&replay), ["2"]);
        for n in 3..=5 {
            ring.push(Arc::from(n.to_string()));
        }
        // 1 and 2 are gone: resuming after 1 misses 2 for good.
        let replay = ring.replay(Some(&first));
        assert!(replay.gap);
        assert_eq!(texts(&replay), ["3", "4", "5"]);
        // After 2 nothing is missing.
        let replay = ring.replay(Some(&second));
        assert!(!replay.gap);
        assert_eq!(texts(&replay), ["3", "4", "5"]);
        assert_eq!(replay.head, Some(ring.head()));
    }

    #[test]
    fn another_epoch_or_a_future_position_is_a_gap() {
        let mut ring = Ring::new(History::last(3));
        ring.push(Arc::from("1"));
        let other = Position::new("elsewhere", 1, 0);
        assert!(ring.replay(Some(&other)).gap);
        let ahead = Position::new(&ring.epoch.clone(), 9, 0);
        assert!(ring.replay(Some(&ahead)).gap);
        assert!(!ring.replay(None).gap);
        assert_ne!(new_epoch(), new_epoch());
    }

    #[test]
    fn old_items_expire() {
        let mut ring = Ring::new(History::last(10).max_age(Duration::from_millis(20)));
        let first = ring.push(Arc::from("1"));
        std::thread::sleep(Duration::from_millis(40));
        ring.push(Arc::from("2"));
        let replay = ring.replay(Some(&first));
        assert!(!replay.gap, "2 followed 1 directly and is kept");
        assert_eq!(texts(&replay), ["2"]);
        std::thread::sleep(Duration::from_millis(40));
        let replay = ring.replay(Some(&first));
        assert!(replay.gap);
        assert!(replay.items.is_empty());
    }
}

//! The inside of a [`Topic`](super::Topic): its subscribers, its
//! in-process history, and the catching up of subscribers that replay
//! history or fall behind a broker's live feed.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use super::broker::{Broker, Feed};
use super::history::{Replay, Ring};
use super::outbox::Frame;
use super::position::Position;
use super::sink::{SubscriptionSink, TrySendError};

/// How many frames a subscriber that is catching up (replaying history,
/// or behind the broker's live feed) may have waiting before the oldest
/// are dropped and it is told of a gap.
const BACKLOG: usize = 4096;

/// A topic's shared inside: where it publishes, and its state.
pub(super) struct Core<T> {
    pub(super) broker: Option<(Arc<dyn Broker>, Arc<str>)>,
    pub(super) state: Mutex<State<T>>,
}

pub(super) struct State<T> {
    pub(super) entries: Vec<Entry<T>>,
    /// The in-process history (none for a broker's topic: it keeps its own).
    pub(super) ring: Option<Ring>,
    /// A broker's topic: the newest position delivered here, so that a
    /// live item seen twice (after a recovery) is dropped.
    pub(super) last: Option<Position>,
    /// A broker's topic recovering after the broker came back: live items
    /// wait here until the missed ones are delivered.
    pub(super) held: Option<Vec<(Position, Arc<str>)>>,
}

pub(super) struct Entry<T> {
    pub(super) sink: SubscriptionSink<T>,
    /// Frames waiting for a subscriber that is catching up; `None` while
    /// it is live (items are offered to its sink directly).
    pub(super) backlog: Option<Arc<Backlog>>,
    /// The position of the last item queued for it: a live item at or
    /// before it (its replay read further than the topic had delivered
    /// live) is not queued again.
    pub(super) after: Option<Position>,
}

/// The frames of one subscriber that is catching up, with the position
/// each stands for.
#[derive(Default)]
pub(super) struct Backlog(Mutex<VecDeque<(Option<Position>, Frame)>>);

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

/// An item's JSON as it follows `"result":` in its notification: with its
/// position when the topic keeps history.
pub(super) fn item_text(json: String, position: Option<&Position>) -> Arc<str> {
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

pub(super) fn position_frame<T: Serialize>(
    sink: &SubscriptionSink<T>,
    position: &Position,
) -> Frame {
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
    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Serialize + Send + Sync + 'static> Core<T> {
    /// Hands `text` to every subscriber; returns how many took it. A full
    /// subscriber under policy `Wait` goes to `waiting` (the publisher
    /// waits for it) or, without one, catches up on its own.
    pub(super) fn offer_all(
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

    pub(super) async fn follow(
        self: &Arc<Self>,
        sink: SubscriptionSink<T>,
        since: Option<Position>,
    ) {
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

//! One subscription's bounded buffer of notifications on their way to the
//! connection's outbox, and the task that moves them when the outbox is
//! full.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::Notify;

use super::hub::Hub;
use super::outbox::{Frame, Outbox, Pushed};
use super::{SlowPolicy, SubscriptionConfig, SubscriptionId};
use crate::protocol::codes;

/// What a subscribe method and its unsubscribe method share: the
/// notification's method name, and the identity that lets only this
/// unsubscribe method end these subscriptions.
#[derive(Debug)]
pub(crate) struct Kind {
    pub(crate) notification: Arc<str>,
}

/// Whether the subscription's frames may go out yet. A subscription's
/// first notification must not overtake the reply that tells the client
/// its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    /// The message whose subscribe call made it is still being answered
    /// (the message's address identifies it).
    Held(usize),
    /// That message is answered; its reply is not queued yet.
    Answered,
    /// The reply is queued: frames follow it.
    Open,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Live,
    /// Ended: what is buffered (a final notice included) still goes out,
    /// nothing more comes in.
    Ending,
    /// Ended, with nothing more to send (unsubscribed, connection gone).
    Gone,
}

struct State {
    buffer: VecDeque<Frame>,
    /// Items dropped (policy `DropOldest`) since the last delivered one.
    lost: u64,
    gate: Gate,
    life: Life,
    /// A pump task is moving the buffer into the outbox.
    pumping: bool,
}

/// What became of a frame offered to the lane.
pub(crate) enum Offer {
    Queued,
    /// Policy `Wait` and the buffer is full: the frame is handed back.
    Full(Frame),
    Ended,
}

pub(crate) struct Lane {
    pub(crate) id: SubscriptionId,
    pub(crate) kind: Arc<Kind>,
    /// `{"jsonrpc":"2.0","method":"<notification>","params":{"subscription":<id>,`
    prefix: String,
    /// `prefix` and `"result":`: what comes before each item.
    item_prefix: Arc<str>,
    config: SubscriptionConfig,
    state: Mutex<State>,
    /// Room in the buffer again, or the end: a waiting send looks again.
    room: Notify,
    ended: Notify,
    is_ended: AtomicBool,
    outbox: Arc<dyn Outbox>,
    hub: Weak<Hub>,
}

impl Lane {
    pub(crate) fn new(
        id: SubscriptionId,
        kind: Arc<Kind>,
        config: SubscriptionConfig,
        message: usize,
        outbox: Arc<dyn Outbox>,
        hub: Weak<Hub>,
    ) -> Self {
        let mut prefix = String::with_capacity(64 + kind.notification.len());
        prefix.push_str(r#"{"jsonrpc":"2.0","method":"#);
        // Serializing a string cannot fail.
        let _ = crate::router::write_json(&mut prefix, &*kind.notification);
        prefix.push_str(r#","params":{"subscription":"#);
        prefix.push_str(&id.to_json());
        prefix.push(',');
        let item_prefix = Arc::from(format!(r#"{prefix}"result":"#));
        Self {
            id,
            kind,
            prefix,
            item_prefix,
            config,
            state: Mutex::new(State {
                buffer: VecDeque::new(),
                lost: 0,
                gate: Gate::Held(message),
                life: Life::Live,
                pumping: false,
            }),
            room: Notify::new(),
            ended: Notify::new(),
            is_ended: AtomicBool::new(false),
            outbox,
            hub,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The frame of one item, its JSON shared.
    pub(crate) fn item_frame(&self, item: Arc<str>) -> Frame {
        Frame::Item {
            prefix: self.item_prefix.clone(),
            item,
        }
    }

    /// A notification of the subscription with one member besides the id,
    /// `"member": json` (a position marker, a gap, an interruption).
    pub(crate) fn note_frame(&self, member: &str, json: &str) -> Frame {
        let mut frame = String::with_capacity(self.prefix.len() + member.len() + json.len() + 8);
        frame.push_str(&self.prefix);
        frame.push('"');
        frame.push_str(member);
        frame.push_str("\":");
        frame.push_str(json);
        frame.push_str("}}");
        Frame::Text(frame)
    }

    fn lagged_frame(&self, lost: u64) -> String {
        let mut frame = String::with_capacity(self.prefix.len() + 24);
        frame.push_str(&self.prefix);
        let _ = write!(frame, r#""lagged":{lost}}}}}"#);
        frame
    }

    /// The last notification of a subscription whose connection closes
    /// (a graceful shutdown): its error says so in `data`, so that a
    /// reconnecting client subscribes again elsewhere instead of ending.
    pub(crate) fn closing_frame(&self, code: i32, message: &str) -> String {
        let mut frame = String::with_capacity(self.prefix.len() + 96 + message.len());
        frame.push_str(&self.prefix);
        let _ = write!(frame, r#""error":{{"code":{code},"message":"#);
        let _ = crate::router::write_json(&mut frame, message);
        frame.push_str(r#","data":{"connection_closing":true}}}}"#);
        frame
    }

    /// The last notification of a subscription the server ends.
    pub(crate) fn error_frame(&self, code: i32, message: &str) -> String {
        let mut frame = String::with_capacity(self.prefix.len() + 48 + message.len());
        frame.push_str(&self.prefix);
        let _ = write!(frame, r#""error":{{"code":{code},"message":"#);
        let _ = crate::router::write_json(&mut frame, message);
        frame.push_str("}}}");
        frame
    }

    pub(crate) fn is_ended(&self) -> bool {
        self.is_ended.load(Ordering::Acquire)
    }

    /// Resolves once the subscription has ended.
    pub(crate) async fn closed(&self) {
        loop {
            let ended = self.ended.notified();
            let mut ended = std::pin::pin!(ended);
            ended.as_mut().enable();
            if self.is_ended() {
                return;
            }
            ended.await;
        }
    }

    /// Offers one item's frame, under the subscription's policy.
    pub(crate) fn offer(self: &Arc<Self>, frame: Frame) -> Offer {
        let mut state = self.lock();
        if state.life != Life::Live {
            return Offer::Ended;
        }
        if state.buffer.len() >= self.config.buffer {
            match self.config.policy {
                SlowPolicy::Wait => return Offer::Full(frame),
                SlowPolicy::DropOldest => {
                    state.buffer.pop_front();
                    state.lost += 1;
                }
                SlowPolicy::End => {
                    let notice = self.error_frame(
                        codes::SUBSCRIBER_TOO_SLOW,
                        "Subscriber too slow: its buffer of notifications is full",
                    );
                    self.end_with(&mut state, notice);
                    drop(state);
                    self.ended_now();
                    return Offer::Ended;
                }
            }
        }
        let idle = state.buffer.is_empty() && state.lost == 0 && !state.pumping;
        if idle && state.gate == Gate::Open {
            match self.outbox.try_push(frame) {
                Ok(()) => return Offer::Queued,
                Err(Pushed::Full(frame)) => state.buffer.push_back(frame),
                Err(Pushed::Closed) => {
                    self.gone(&mut state);
                    drop(state);
                    self.ended_now();
                    return Offer::Ended;
                }
            }
        } else {
            state.buffer.push_back(frame);
        }
        self.start_pump(&mut state);
        Offer::Queued
    }

    /// Offers a frame, waiting for room under policy `Wait`.
    pub(crate) async fn send(self: &Arc<Self>, mut frame: Frame) -> Result<(), ()> {
        loop {
            let room = self.room.notified();
            let mut room = std::pin::pin!(room);
            room.as_mut().enable();
            match self.offer(frame) {
                Offer::Queued => return Ok(()),
                Offer::Ended => return Err(()),
                Offer::Full(back) => frame = back,
            }
            room.await;
        }
    }

    /// Its message is answered (`message`): the lane waits only for the
    /// reply to be queued. `true` if this was its message.
    pub(crate) fn answered(&self, message: usize) -> bool {
        let mut state = self.lock();
        if state.gate == Gate::Held(message) {
            state.gate = Gate::Answered;
            true
        } else {
            false
        }
    }

    /// The reply to its subscribe call is queued, if its message was
    /// answered: frames may follow. `true` once open.
    pub(crate) fn release(self: &Arc<Self>) -> bool {
        let mut state = self.lock();
        match state.gate {
            Gate::Held(_) => false,
            Gate::Open => true,
            Gate::Answered => {
                state.gate = Gate::Open;
                self.start_pump(&mut state);
                true
            }
        }
    }

    /// Unsubscribed, or the connection is gone: nothing more for this id,
    /// not even what is buffered.
    pub(crate) fn cancel(&self) {
        let mut state = self.lock();
        self.gone(&mut state);
        drop(state);
        self.ended_now();
    }

    /// Ends the subscription from the server's side: what is buffered goes
    /// out, then `notice`. Nothing if it has ended already.
    pub(crate) fn end(self: &Arc<Self>, notice: String) {
        let mut state = self.lock();
        if state.life != Life::Live {
            return;
        }
        self.end_with(&mut state, notice);
        drop(state);
        self.ended_now();
    }

    /// Sends `notice` as the last frame now, dropping what is buffered
    /// (graceful shutdown), waiting for room in the outbox.
    pub(crate) async fn last_word(&self, notice: String) {
        let permit = self.outbox.reserve().await;
        let mut state = self.lock();
        let open = state.gate == Gate::Open && state.life == Life::Live;
        self.gone(&mut state);
        if let (true, Some(permit)) = (open, permit) {
            permit.send(Frame::Text(notice));
        }
        drop(state);
        self.ended_now();
    }

    fn end_with(self: &Arc<Self>, state: &mut State, notice: String) {
        state.buffer.push_back(Frame::Text(notice));
        state.life = Life::Ending;
        self.start_pump(state);
        if let Some(hub) = self.hub.upgrade() {
            hub.forget(&self.id);
        }
    }

    fn gone(&self, state: &mut State) {
        state.buffer = VecDeque::new();
        state.lost = 0;
        state.life = Life::Gone;
    }

    fn ended_now(&self) {
        self.is_ended.store(true, Ordering::Release);
        self.ended.notify_waiters();
        self.room.notify_waiters();
    }

    /// Asks the connection's drain to move the buffer into the outbox,
    /// unless it is asked already or the gate is shut.
    fn start_pump(self: &Arc<Self>, state: &mut State) {
        if state.pumping || state.gate != Gate::Open || (state.buffer.is_empty() && state.lost == 0)
        {
            return;
        }
        if let Some(hub) = self.hub.upgrade() {
            state.pumping = true;
            hub.schedule(self.clone());
        }
    }

    /// Moves buffered frames into the outbox while it has room, at most
    /// `most`; waits for room (once) when it is full. Frames are chosen
    /// under the lane's lock, so an unsubscribe never lets a frame of its
    /// id out after its answer.
    pub(crate) async fn drain(&self, most: usize) -> Drained {
        let mut moved = 0;
        loop {
            // Decided under the lock; the lock is never held across a wait.
            let full = {
                let mut state = self.lock();
                match self.next_frame(&mut state) {
                    None => {
                        state.pumping = false;
                        None
                    }
                    Some(frame) => match self.outbox.try_push(frame) {
                        Ok(()) => Some(false),
                        Err(Pushed::Full(frame)) => {
                            state.buffer.push_front(frame);
                            Some(true)
                        }
                        Err(Pushed::Closed) => {
                            drop(state);
                            self.cancel();
                            return Drained::Closed;
                        }
                    },
                }
            };
            match full {
                None => {
                    self.room.notify_waiters();
                    return Drained::Empty;
                }
                Some(false) => {}
                Some(true) => {
                    self.room.notify_waiters();
                    let Some(permit) = self.outbox.reserve().await else {
                        self.cancel();
                        return Drained::Closed;
                    };
                    let mut state = self.lock();
                    match self.next_frame(&mut state) {
                        Some(frame) => permit.send(frame),
                        None => {
                            state.pumping = false;
                            return Drained::Empty;
                        }
                    }
                }
            }
            moved += 1;
            if moved >= most {
                self.room.notify_waiters();
                return Drained::More;
            }
        }
    }

    /// The next frame to send: a lag notice first, if items were dropped.
    fn next_frame(&self, state: &mut State) -> Option<Frame> {
        if state.lost > 0 {
            let lost = std::mem::take(&mut state.lost);
            return Some(Frame::Text(self.lagged_frame(lost)));
        }
        state.buffer.pop_front()
    }
}

/// What a lane's turn at the drain ended with.
pub(crate) enum Drained {
    /// Its buffer is empty (or it ended): it is no longer scheduled.
    Empty,
    /// It moved its share and has more: schedule it again.
    More,
    /// The connection is gone.
    Closed,
}

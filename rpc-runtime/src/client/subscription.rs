//! The client's side of a subscription: a typed stream of the items the
//! server pushes.
// Only a transport that can push (feature `ws`) routes notifications here;
// without one, `Subscription` is a type in `Caller`'s signature only.
#![cfg_attr(not(feature = "ws"), allow(dead_code))]

use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context as TaskContext, Poll, Waker};

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::ClientError;
use crate::params::Params;
use crate::protocol::{codes, ErrorObject, ErrorObjectOwned};
use crate::subscription::SubscriptionId;
use crate::BoxFuture;

/// How many notifications a subscription keeps while its stream is not
/// read; beyond that the oldest are dropped and the stream yields
/// [`SubscriptionError::Lagged`].
///
/// ```
/// assert_eq!(rpc_runtime::client::CLIENT_BUFFER, 1024);
/// ```
pub const CLIENT_BUFFER: usize = 1024;

/// How many notifications for subscriptions not (yet) known a connection
/// keeps: one that arrives between the subscribe reply and the stream's
/// registration waits here. Past it the oldest are dropped, counted, and
/// the stream, once registered, yields [`SubscriptionError::Lagged`] for
/// them first.
const ORPHANS: usize = 256;

/// One notification of a subscription.
#[derive(Debug)]
enum Note {
    /// An item, with its position when the topic keeps history.
    Item(Box<RawValue>, Option<String>),
    /// Where the subscription stands before any item (not yielded).
    Marker(String),
    Lagged(u64),
    /// Items after this position (or, `None`, while the client was away)
    /// are missing for good.
    Gap(Option<String>),
    Interrupted(String),
    Error(ErrorObjectOwned),
}

/// What a [`Subscription`] stream yields besides items.
///
/// ```
/// use rpc_runtime::client::SubscriptionError;
/// assert_eq!(SubscriptionError::Lagged(3).to_string(), "lagged: 3 items lost");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// `n` items were lost: the server dropped them (policy drop-oldest),
    /// this stream was not read fast enough, or more than 256 items came
    /// before the stream was open (between the subscribe reply and the
    /// stream's start). The stream goes on.
    #[error("lagged: {0} items lost")]
    Lagged(u64),
    /// The server ended the subscription with this error (too slow, shut
    /// down, ended by its producer); the stream ends after it.
    #[error("subscription ended by the server: {0}")]
    Ended(ErrorObjectOwned),
    /// An item is not of the stream's type; the stream goes on.
    #[error("unexpected item: {0}")]
    Decode(String),
    /// Items are missing for good: those after position `since`, which
    /// the topic's history no longer keeps, or (`since` `None`) those
    /// published while the client reconnected to a subscription whose
    /// items carry no position. The stream goes on with what is kept.
    #[error("unrecoverable gap: {}", match since {
        Some(since) => format!("items after position {since} are no longer kept"),
        None => "items published while the client was away may be missing".to_owned(),
    })]
    Gap {
        /// The last position the client had seen, if any.
        since: Option<String>,
    },
    /// The server lost what feeds the subscription (its broker); items
    /// resume when it is back, missed ones first. The stream goes on.
    #[error("interrupted: {0}")]
    Interrupted(String),
}

#[derive(Default)]
struct InboxState {
    /// The subscription's id now (a resubscription after a reconnect
    /// gets a new one).
    id: Option<SubscriptionId>,
    /// The last position received, what a resubscription resumes after
    /// (the items after it that are not read yet stay queued).
    received: Option<String>,
    /// The position of the last item the stream yielded (or where it
    /// started): what its reader saw.
    seen: Option<String>,
    notes: VecDeque<Note>,
    /// Items dropped here because the stream was not read.
    lost: u64,
    done: bool,
    waker: Option<Waker>,
}

/// Where one subscription's notifications wait for its stream.
#[derive(Default)]
pub(crate) struct Inbox {
    state: Mutex<InboxState>,
    /// Outlives its connection (a reconnecting client subscribes again):
    /// the connection's end does not end it.
    durable: std::sync::atomic::AtomicBool,
}

impl Inbox {
    pub(crate) fn set_durable(&self) {
        self.durable
            .store(true, std::sync::atomic::Ordering::Release);
    }

    fn is_durable(&self) -> bool {
        self.durable.load(std::sync::atomic::Ordering::Acquire)
    }

    pub(crate) fn id(&self) -> Option<SubscriptionId> {
        self.lock().id.clone()
    }

    pub(crate) fn set_id(&self, id: SubscriptionId) {
        self.lock().id = Some(id);
    }

    /// The last position received (see [`InboxState::received`]).
    pub(crate) fn received(&self) -> Option<String> {
        self.lock().received.clone()
    }

    pub(crate) fn is_done(&self) -> bool {
        self.lock().done
    }

    /// Items may have been missed while the client was away.
    pub(crate) fn push_gap(&self) {
        let since = self.received();
        self.push(Note::Gap(since));
    }

    /// The server refused to subscribe again: the stream ends with it.
    pub(crate) fn push_error(&self, error: ErrorObjectOwned) {
        self.push(Note::Error(error));
    }

    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, note: Note) {
        let mut state = self.lock();
        if state.done {
            return;
        }
        let note = match note {
            // The connection closes (the server shuts down): a durable
            // subscription is made again on the next connection.
            Note::Error(error) if self.is_durable() && is_connection_closing(&error) => return,
            Note::Marker(position) => {
                state.received = Some(position.clone());
                if state.notes.is_empty() {
                    // Nothing before it to read: the reader stands there.
                    state.seen = Some(position);
                    return;
                }
                Note::Marker(position)
            }
            Note::Item(item, Some(position)) => {
                state.received = Some(position.clone());
                Note::Item(item, Some(position))
            }
            note => note,
        };
        if matches!(note, Note::Error(_)) {
            state.done = true;
        } else if state.notes.len() >= CLIENT_BUFFER {
            state.notes.pop_front();
            state.lost += 1;
        }
        state.notes.push_back(note);
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    /// The subscription is over: its stream ends after what it holds.
    pub(crate) fn end(&self) {
        let mut state = self.lock();
        state.done = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }
}

/// Whether a subscription's last notification says only that its
/// connection closes (`"data": {"connection_closing": true}`).
fn is_connection_closing(error: &ErrorObjectOwned) -> bool {
    #[derive(Deserialize)]
    struct Data {
        #[serde(default)]
        connection_closing: bool,
    }
    error
        .data
        .as_ref()
        .and_then(|data| serde_json::from_str::<Data>(data.get()).ok())
        .is_some_and(|data| data.connection_closing)
}

type Key = (Arc<str>, SubscriptionId);

#[derive(Default)]
struct Table {
    open: HashMap<Key, Arc<Inbox>>,
    orphans: VecDeque<(Key, Note)>,
    /// Items dropped from `orphans`, by subscription (at most [`ORPHANS`]
    /// subscriptions counted).
    orphans_lost: HashMap<Key, u64>,
    closed: bool,
}

/// A connection's subscriptions as the calling side sees them: which
/// stream each incoming subscription notification goes to.
#[derive(Default)]
pub(crate) struct Subscribed(Mutex<Table>);

/// The params of a subscription notification.
#[derive(Deserialize)]
struct NoteParams<'a> {
    subscription: SubscriptionId,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(default)]
    lagged: Option<u64>,
    /// Read raw, then as [`EndError`]: an untagged enum buffers its
    /// input, and an error's raw `data` cannot be read from a buffer.
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
    #[serde(default)]
    position: Option<String>,
    #[serde(default)]
    gap: Option<GapNote>,
    #[serde(default)]
    interrupted: Option<String>,
}

/// `"gap": {"since": P}`.
#[derive(Deserialize)]
struct GapNote {
    #[serde(default)]
    since: Option<String>,
}

/// How a server says why it ended a subscription: an error object (ours,
/// jsonrpsee's `ErrorObject`), or a bare string (jsonrpsee's
/// `Err("..".into())`).
#[derive(Deserialize)]
#[serde(untagged)]
enum EndError<'a> {
    #[serde(borrow)]
    Object(ErrorObject<'a>),
    Text(String),
}

impl EndError<'_> {
    fn into_object(self) -> ErrorObjectOwned {
        match self {
            EndError::Object(object) => object.into_owned(),
            EndError::Text(message) => ErrorObject::new(codes::SUBSCRIPTION_ENDED, message),
        }
    }

    /// The error of a subscription's last notification, from its raw JSON.
    fn parse(raw: &RawValue) -> Option<ErrorObjectOwned> {
        if let Ok(object) = serde_json::from_str::<ErrorObject<'_>>(raw.get()) {
            return Some(object.into_owned());
        }
        serde_json::from_str::<EndError<'_>>(raw.get())
            .ok()
            .map(EndError::into_object)
    }
}

impl Subscribed {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a notification that belongs to a subscription (its params name
    /// one); `false` leaves it to the router as an ordinary notification.
    pub(crate) fn deliver(&self, method: &str, params: Params<'_>) -> bool {
        let Some(json) = params.as_json() else {
            return false;
        };
        if !json.trim_start().starts_with('{') {
            return false;
        }
        let Ok(note) = serde_json::from_str::<NoteParams<'_>>(json) else {
            return false;
        };
        let key: Key = (method.into(), note.subscription);
        let note = match (note.result, note.lagged, note.error) {
            (Some(item), _, _) => Note::Item(item.to_owned(), note.position),
            (None, Some(lost), _) => Note::Lagged(lost),
            (None, None, Some(error)) => match EndError::parse(error) {
                Some(error) => Note::Error(error),
                None => return false,
            },
            (None, None, None) => match (note.gap, note.interrupted, note.position) {
                (Some(gap), _, _) => Note::Gap(gap.since),
                (None, Some(reason), _) => Note::Interrupted(reason),
                (None, None, Some(position)) => Note::Marker(position),
                (None, None, None) => return false,
            },
        };
        let mut table = self.lock();
        match table.open.get(&key) {
            Some(inbox) => {
                let ends = matches!(note, Note::Error(_));
                inbox.push(note);
                if ends {
                    table.open.remove(&key);
                }
            }
            None => {
                if table.orphans.len() >= ORPHANS {
                    let lost = match table.orphans.pop_front() {
                        Some((dropped, Note::Item(..))) => Some((dropped, 1)),
                        Some((dropped, Note::Lagged(n))) => Some((dropped, n)),
                        _ => None,
                    };
                    if let Some((dropped, n)) = lost {
                        let counted = table.orphans_lost.len() < ORPHANS
                            || table.orphans_lost.contains_key(&dropped);
                        if counted {
                            *table.orphans_lost.entry(dropped).or_default() += n;
                        }
                    }
                }
                table.orphans.push_back((key, note));
            }
        }
        true
    }

    /// Opens the stream of subscription `id`, whose notifications are of
    /// method `notification`; any that came already are in it.
    #[cfg(test)]
    fn register(&self, notification: &str, id: &SubscriptionId) -> Arc<Inbox> {
        let inbox = Arc::new(Inbox::default());
        self.register_into(notification, id, &inbox);
        inbox
    }

    /// Routes the notifications of subscription `id` to `inbox` (one that
    /// lived on another connection before, for a resubscription).
    pub(crate) fn register_into(
        &self,
        notification: &str,
        id: &SubscriptionId,
        inbox: &Arc<Inbox>,
    ) {
        inbox.set_id(id.clone());
        let key: Key = (notification.into(), id.clone());
        let mut table = self.lock();
        if table.closed {
            if !inbox.is_durable() {
                inbox.end();
            }
            return;
        }
        let mut ended = false;
        if let Some(lost) = table.orphans_lost.remove(&key) {
            inbox.push(Note::Lagged(lost));
        }
        let orphans = std::mem::take(&mut table.orphans);
        for (orphan, note) in orphans {
            if orphan == key {
                ended |= matches!(note, Note::Error(_));
                inbox.push(note);
            } else {
                table.orphans.push_back((orphan, note));
            }
        }
        if !ended {
            table.open.insert(key, inbox.clone());
        }
    }

    /// Stops routing notifications to the stream of `id`.
    pub(crate) fn forget(&self, notification: &str, id: &SubscriptionId) {
        let key: Key = (notification.into(), id.clone());
        if let Some(inbox) = self.lock().open.remove(&key) {
            inbox.end();
        }
    }

    /// The connection ended: every stream ends.
    pub(crate) fn close(&self) {
        let mut table = self.lock();
        table.closed = true;
        table.orphans.clear();
        table.orphans_lost.clear();
        for (_, inbox) in table.open.drain() {
            // A durable one goes on: its client subscribes again on the
            // next connection (or ends it when it gives up).
            if !inbox.is_durable() {
                inbox.end();
            }
        }
    }
}

/// Ends a subscription on the server: the transport's part of a
/// [`Subscription`].
pub(crate) trait Unsubscribe: Send + Sync + 'static {
    /// Calls the unsubscribe method with `id`.
    fn unsubscribe(&self, id: SubscriptionId) -> BoxFuture<Result<bool, ClientError>>;
    /// Stops routing its notifications to the stream.
    fn forget(&self, id: &SubscriptionId);
}

/// A subscription's items, as a stream of `Result<T, SubscriptionError>`.
///
/// The stream ends when the connection ends, after the server ends the
/// subscription (yielding [`SubscriptionError::Ended`] first), or after
/// [`unsubscribe`](Self::unsubscribe). Dropping it unsubscribes (the
/// unsubscribe call is sent on the runtime, nobody waits for its answer).
///
/// ```no_run
/// # async fn run(peer: rpc_runtime::ws::Peer) -> Result<(), Box<dyn std::error::Error>> {
/// use futures_util::StreamExt as _;
/// use rpc_runtime::params::EncodedParams;
/// let params = EncodedParams::from_value(&(1, 100))?;
/// let mut counts = peer.subscribe::<i64>("subscribe_count", params, "count", "unsubscribe_count").await?;
/// while let Some(item) = counts.next().await {
///     println!("{}", item?);
/// }
/// # Ok(()) }
/// ```
pub struct Subscription<T> {
    inbox: Arc<Inbox>,
    owner: Option<Arc<dyn Unsubscribe>>,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.inbox.id())
            .finish_non_exhaustive()
    }
}

impl<T> Subscription<T> {
    pub(crate) fn new(inbox: Arc<Inbox>, owner: Arc<dyn Unsubscribe>) -> Self {
        Self {
            inbox,
            owner: Some(owner),
            _item: PhantomData,
        }
    }

    /// The id the server gave it (after a reconnect, the one the server
    /// gave the resubscription).
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
    /// # let mut router = Router::new();
    /// # router.register_subscription("subscribe_count", "count", "unsubscribe_count", &[], |(), pending: PendingSubscription<u32>, _| async move {
    /// #     let Ok(sink) = pending.accept() else { return };
    /// #     for n in 0..3 { if sink.send(&n).await.is_err() { return } }
    /// #     sink.closed().await;
    /// # })?;
    /// # let peer = pipe(router);
    /// let counts = peer.subscribe::<u32>("subscribe_count", EncodedParams::none(), "count", "unsubscribe_count").await?;
    /// // Random by default: 24 letters and digits, as a JSON string.
    /// assert_eq!(counts.id().to_json().len(), 26);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn id(&self) -> SubscriptionId {
        self.inbox.id().unwrap_or(SubscriptionId::Num(0))
    }

    /// The position of the last item this stream yielded (or where the
    /// subscription started), when the topic keeps history: what to resume
    /// after (the `since` param, see
    /// [`Topic::follow`](crate::subscription::Topic::follow)). A
    /// reconnecting `WsClient` resumes by itself, after the last item it
    /// received (those not read yet stay in the stream).
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
    /// use rpc_runtime::subscription::{History, Topic};
    /// let topic = Arc::new(Topic::<u32>::with_history(History::last(10)));
    /// let follow = topic.clone();
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    ///     let topic = follow.clone();
    ///     async move { if let Ok(sink) = pending.accept() { topic.follow(sink, None).await } }
    /// })?;
    /// let peer = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// topic.publish(&7).await?;
    /// assert_eq!(items.next().await.transpose()?, Some(7));
    /// assert!(items.position().is_some_and(|p| p.ends_with(":1-0")));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn position(&self) -> Option<String> {
        self.inbox.lock().seen.clone()
    }

    /// Ends it: calls the unsubscribe method and returns its answer
    /// (`false` if the server no longer knew the id). The stream ends.
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
    /// # let mut router = Router::new();
    /// # router.register_subscription("subscribe_count", "count", "unsubscribe_count", &[], |(), pending: PendingSubscription<u32>, _| async move {
    /// #     let Ok(sink) = pending.accept() else { return };
    /// #     for n in 0..3 { if sink.send(&n).await.is_err() { return } }
    /// #     sink.closed().await;
    /// # })?;
    /// # let peer = pipe(router);
    /// let mut counts = peer.subscribe::<u32>("subscribe_count", EncodedParams::none(), "count", "unsubscribe_count").await?;
    /// assert_eq!(counts.next().await.transpose()?, Some(0));
    /// assert!(counts.unsubscribe().await?, "the server knew it");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the unsubscribe call fails (the connection is gone).
    pub async fn unsubscribe(mut self) -> Result<bool, ClientError> {
        let Some(owner) = self.owner.take() else {
            return Ok(false);
        };
        let id = self.id();
        owner.forget(&id);
        owner.unsubscribe(id).await
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let Some(owner) = self.owner.take() else {
            return;
        };
        let ended = self.inbox.lock().done;
        let id = self.id();
        owner.forget(&id);
        if ended {
            // Ended by the server or the connection: nothing to undo.
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = owner.unsubscribe(id).await;
            });
        }
    }
}

impl<T: DeserializeOwned> Stream for Subscription<T> {
    type Item = Result<T, SubscriptionError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let mut state = self.inbox.lock();
        if state.lost > 0 {
            let lost = std::mem::take(&mut state.lost);
            return Poll::Ready(Some(Err(SubscriptionError::Lagged(lost))));
        }
        // Markers behind unread items say where the reader stands once it
        // has read them: taken in passing, never yielded.
        while let Some(Note::Marker(_)) = state.notes.front() {
            if let Some(Note::Marker(position)) = state.notes.pop_front() {
                state.seen = Some(position);
            }
        }
        match state.notes.pop_front() {
            Some(Note::Item(item, position)) => {
                if position.is_some() {
                    state.seen = position;
                }
                Poll::Ready(Some(
                    serde_json::from_str(item.get())
                        .map_err(|e| SubscriptionError::Decode(e.to_string())),
                ))
            }
            Some(Note::Lagged(lost)) => Poll::Ready(Some(Err(SubscriptionError::Lagged(lost)))),
            Some(Note::Gap(since)) => Poll::Ready(Some(Err(SubscriptionError::Gap { since }))),
            Some(Note::Interrupted(reason)) => {
                Poll::Ready(Some(Err(SubscriptionError::Interrupted(reason))))
            }
            Some(Note::Error(error)) => Poll::Ready(Some(Err(SubscriptionError::Ended(error)))),
            // Taken by the loop above.
            Some(Note::Marker(_)) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None if state.done => Poll::Ready(None),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn item(n: usize) -> String {
        format!(r#"{{"subscription":7,"result":{n}}}"#)
    }

    #[test]
    fn items_dropped_before_the_stream_is_registered_are_reported_as_lagged_first() {
        let subscribed = Subscribed::default();
        for n in 0..ORPHANS + 44 {
            let text = item(n);
            assert!(subscribed.deliver("tick", Params::from_json(&text).unwrap()));
        }
        let inbox = subscribed.register("tick", &SubscriptionId::number(7));
        let mut notes = std::mem::take(&mut inbox.lock().notes).into_iter();
        assert!(matches!(notes.next(), Some(Note::Lagged(44))));
        match notes.next() {
            Some(Note::Item(first, _)) => assert_eq!(first.get(), "44"),
            other => panic!("expected the first item kept, got {other:?}"),
        }
        assert_eq!(notes.count(), ORPHANS - 1);
        // Counted per subscription: another one's stream has no lag.
        let other = subscribed.register("tick", &SubscriptionId::number(8));
        assert!(other.lock().notes.is_empty());
    }
}

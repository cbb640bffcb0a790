//! The handle to the other side of a connection.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::pending::{Key, Pending, Reply};
use super::writer::Outgoing;
use super::{CloseReason, ConnectionError, Side};
use crate::client::{
    write_batch_request, BatchRequest, BatchResponse, Caller, ClientError, Inbox, Subscribed,
    Subscription, Unsubscribe,
};
use crate::params::EncodedParams;
use crate::protocol::{
    parse_message, write_notification, write_request, Entry, Id, Message, ParseOptions,
};
use crate::subscription::{
    Frame, Outbox, OutboxFuture, OutboxPermit, Pushed, SubscriptionId, SubscriptionLimits,
    Subscriptions,
};
use crate::BoxFuture;

/// Makes the id of each outgoing call of a connection; see
/// [`Connection::with_ids`](super::Connection::with_ids).
pub type IdSource = Arc<dyn Fn() -> Id<'static> + Send + Sync>;

/// What the connection driver and every [`Peer`] handle share.
pub(crate) struct Shared {
    pub(crate) queue: mpsc::Sender<Outgoing>,
    pub(crate) pending: Pending,
    next_id: AtomicU64,
    /// Makes the ids of outgoing calls; `None`: `next_id` counts them.
    ids: Option<IdSource>,
    pub(crate) state: watch::Sender<Option<CloseReason>>,
    /// Set by [`Peer::close`]; the driver then closes gracefully.
    pub(crate) close_requested: Notify,
    /// Set while the driver has stopped reading (too many calls in flight);
    /// a new outgoing call then wakes it, since its response must be read.
    pub(crate) reading_paused: AtomicBool,
    pub(crate) wake_reader: Notify,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) side: Side,
    /// How many messages handles have sent; the idle timer sees activity
    /// in it.
    pub(crate) sent: AtomicU64,
    /// The subscriptions this side serves.
    pub(crate) subscriptions: Subscriptions,
    /// The subscriptions this side made on the peer: where their items go.
    pub(crate) subscribed: Subscribed,
    /// Subscriptions made or being made on the peer: while there are any,
    /// incoming notifications are offered to `subscribed` first.
    pub(crate) subscribing: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        queue: mpsc::Sender<Outgoing>,
        request_timeout: Option<Duration>,
        side: Side,
        ids: Option<IdSource>,
        limits: SubscriptionLimits,
    ) -> Self {
        let subscriptions = Subscriptions::new(
            WsOutbox {
                queue: queue.clone(),
            },
            limits,
        );
        Self {
            queue,
            pending: Pending::default(),
            next_id: AtomicU64::new(1),
            ids,
            state: watch::Sender::new(None),
            close_requested: Notify::new(),
            reading_paused: AtomicBool::new(false),
            wake_reader: Notify::new(),
            request_timeout,
            side,
            sent: AtomicU64::new(0),
            subscriptions,
            subscribed: Subscribed::default(),
            subscribing: AtomicUsize::new(0),
        }
    }

    /// Whether incoming notifications may be items of this side's
    /// subscriptions.
    pub(crate) fn expects_items(&self) -> bool {
        self.subscribing.load(Ordering::Acquire) > 0
    }

    fn next_id(&self) -> Id<'static> {
        match &self.ids {
            Some(ids) => ids(),
            None => Id::number(self.next_id.fetch_add(1, Ordering::Relaxed)),
        }
    }

    fn closed_error(&self) -> ClientError {
        ClientError::Closed(match &*self.state.borrow() {
            Some(reason) => reason.clone(),
            // The driver is still finishing: why it ends is not known yet.
            None => CloseReason::Error(ConnectionError::new("the connection is closing")),
        })
    }

    async fn send(&self, frame: Outgoing) -> Result<(), ClientError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(frame)
            .await
            .map_err(|_| self.closed_error())
    }

    /// Sends a frame no reply will answer (notifications), and returns once
    /// it is written: nothing else would tell the caller it went out.
    async fn send_written(&self, text: String) -> Result<(), ClientError> {
        let (done, written) = oneshot::channel();
        self.send(Outgoing::Notice(text, done)).await?;
        written.await.map_err(|_| self.closed_error())
    }

    fn register(
        &self,
        id: Key,
    ) -> Result<oneshot::Receiver<Result<Reply, ClientError>>, ClientError> {
        let waiter = self.pending.register(id)?;
        self.wake_paused_reader();
        Ok(waiter)
    }

    fn register_batch(
        &self,
        ids: &[Key],
        raw: bool,
        unread: usize,
    ) -> Result<Vec<oneshot::Receiver<Result<Reply, ClientError>>>, ClientError> {
        let waiters = self.pending.register_batch(ids, raw, unread)?;
        self.wake_paused_reader();
        Ok(waiters)
    }

    /// Pairs with the driver's store before it checks `pending`: either it
    /// sees the call just registered, or this sees that it paused and wakes
    /// it, since the call's response must be read.
    fn wake_paused_reader(&self) {
        if self.reading_paused.load(Ordering::SeqCst) {
            self.wake_reader.notify_one();
        }
    }

    /// Waits for every reply of a batch (or a raw message), in order, under
    /// one request timeout.
    async fn wait_all<T>(
        &self,
        replies: Vec<oneshot::Receiver<T>>,
    ) -> Result<Vec<Result<T, oneshot::error::RecvError>>, ClientError> {
        self.wait(async {
            let mut answers = Vec::with_capacity(replies.len());
            for reply in replies {
                answers.push(reply.await);
            }
            answers
        })
        .await
    }

    async fn wait<T>(&self, reply: impl std::future::Future<Output = T>) -> Result<T, ClientError> {
        match self.request_timeout {
            Some(limit) => tokio::time::timeout(limit, reply)
                .await
                .map_err(|_| ClientError::Timeout(limit)),
            None => Ok(reply.await),
        }
    }
}

/// Removes calls from the pending table when their caller stops waiting
/// (timeout, or the call's future dropped).
struct Forget<'a> {
    pending: &'a Pending,
    /// One call's id.
    one: Option<Key>,
    /// A batch's ids.
    many: Vec<Key>,
}

impl Forget<'_> {
    /// The calls were answered (or failed by the close): the table no
    /// longer holds them, though it may still list the batch.
    fn disarm(mut self) {
        self.one = None;
    }
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        if let Some(one) = &self.one {
            self.pending.forget(one);
        }
        if !self.many.is_empty() {
            self.pending.forget_batch(&self.many);
        }
    }
}

/// A cloneable handle to the other side of a WebSocket connection.
///
/// It is a [`Caller`]: a server handler gets it with
/// `ctx.ws_peer()` and calls the client's methods through it (through
/// a generated client stub, or [`Caller::call`]); code outside a handler (a
/// broadcaster, a timer) may keep a clone and learns with
/// [`closed`](Self::closed) when the connection ends. Calls still waiting
/// when it ends fail at once with [`ClientError::Closed`].
#[derive(Clone)]
pub struct Peer {
    shared: Arc<Shared>,
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("side", &self.shared.side)
            .field("closed", &*self.shared.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Peer {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Whether the connection has ended.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.shared.state.borrow().is_some()
    }

    /// Why the connection ended, once it has.
    #[must_use]
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.state.borrow().clone()
    }

    /// Resolves when the connection ends (at once if it has), with why.
    pub async fn closed(&self) -> CloseReason {
        let mut state = self.shared.state.subscribe();
        let reason = match state.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone(),
            Err(_) => None,
        };
        // `None` only if the driver vanished without saying why.
        reason.unwrap_or_else(|| {
            CloseReason::Error(ConnectionError::new("the connection driver stopped"))
        })
    }

    /// Asks the connection to close gracefully: it stops taking new calls,
    /// finishes those in flight, then sends a close frame (code 1000).
    /// Returns at once; await [`closed`](Self::closed) to see it done.
    pub fn close(&self) {
        self.shared.close_requested.notify_one();
    }

    /// Whether two handles are to the same connection.
    ///
    /// `Peer` has no `PartialEq` (two handles are equal as handles only
    /// through this), and a server that keeps the peers it serves (a chat
    /// room's members, say) needs it to find the one whose connection
    /// ended.
    ///
    /// ```
    /// use rpc_runtime::ws::{Connection, WsConfig};
    /// let one = Connection::server(WsConfig::default());
    /// let other = Connection::server(WsConfig::default());
    /// assert!(one.peer().same_connection(&one.peer()));
    /// assert!(!one.peer().same_connection(&other.peer()));
    /// ```
    #[must_use]
    pub fn same_connection(&self, other: &Peer) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Sends a hand-made message (a request, a batch, a notification, even
    /// text that is not JSON) as one text frame, and returns its answer.
    ///
    /// The answer is recognised by the ids the message holds, read as a
    /// server reads them: each request of the message (the message itself,
    /// or each member of an array) with a string or number `id` waits for
    /// the response with that id, matched as a call's is. The reply is that
    /// response for a single object, and a JSON array of the responses, in
    /// the order of their requests, for an array; each response is
    /// re-written from what was received (`jsonrpc`, then `result` or
    /// `error`, then `id`, their values as received). A message with no
    /// such id (a notification, a batch of notifications, text that is not
    /// JSON, a request with id `null`) gets `""` once it is queued; the
    /// errors with id `null` the peer answers it with are dropped, not
    /// taken for another call's. The wait is bounded by the connection's
    /// request timeout.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone,
    /// [`ClientError::Timeout`] after the request timeout,
    /// [`ClientError::Transport`] when an id of the message is already
    /// used by a call waiting for its response.
    pub async fn send_raw(&self, text: &str) -> Result<String, ClientError> {
        let shared = &*self.shared;
        let (ids, unread, array) = raw_ids(text);
        // Registered first: a refused id must not forget the call using it.
        let replies = shared.register_batch(&ids, true, unread)?;
        let forget = Forget {
            pending: &shared.pending,
            one: None,
            many: ids,
        };
        if replies.is_empty() {
            shared.send_written(text.to_owned()).await?;
            return Ok(String::new());
        }
        shared.send(Outgoing::Text(text.to_owned())).await?;
        let answers = shared.wait_all(replies).await?;
        forget.disarm();
        let mut out = String::new();
        if array {
            out.push('[');
        }
        for (i, answer) in answers.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match answer {
                Ok(Ok(reply)) => out.push_str(&reply.into_text()),
                Ok(Err(error)) => return Err(error),
                Err(_) => return Err(shared.closed_error()),
            }
        }
        if array {
            out.push(']');
        }
        Ok(out)
    }
}

/// The connection's queue, as its subscriptions push into it.
struct WsOutbox {
    queue: mpsc::Sender<Outgoing>,
}

impl Outbox for WsOutbox {
    fn try_push(&self, frame: Frame) -> Result<(), Pushed> {
        self.queue
            .try_send(Outgoing::Push(frame))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(Outgoing::Push(frame)) => Pushed::Full(frame),
                _ => Pushed::Closed,
            })
    }

    fn reserve(&self) -> OutboxFuture<'_> {
        Box::pin(async move {
            let permit = self.queue.clone().reserve_owned().await.ok()?;
            Some(OutboxPermit::new(move |frame| {
                permit.send(Outgoing::Push(frame));
            }))
        })
    }
}

/// Ends a subscription this side made on the peer.
struct PeerSubscription {
    peer: Peer,
    notification: Arc<str>,
    unsubscribe: Arc<str>,
}

impl Unsubscribe for PeerSubscription {
    fn unsubscribe(&self, id: SubscriptionId) -> BoxFuture<Result<bool, ClientError>> {
        let peer = self.peer.clone();
        let method = self.unsubscribe.clone();
        Box::pin(async move {
            let params = EncodedParams::from_value(&[id])?;
            peer.call(&method, params).await
        })
    }

    fn forget(&self, id: &SubscriptionId) {
        self.peer.shared.subscribed.forget(&self.notification, id);
        self.peer.shared.subscribing.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Counts a subscribe call in flight until it is registered (or fails).
struct Subscribing<'a>(&'a AtomicUsize);

impl Drop for Subscribing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Peer {
    /// Subscribes on the peer: calls `method` (which answers a
    /// subscription id) and returns the stream of its items, which arrive
    /// as notifications of method `notification`; `unsubscribe` ends it
    /// (dropping the stream calls it too). The stream ends with the
    /// connection.
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
    /// let mut router = Router::new();
    /// router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    ///     |(from,): (u32,), pending: PendingSubscription<u32>, _| async move {
    ///         let Ok(sink) = pending.accept() else { return };
    ///         for n in from..from + 3 {
    ///             if sink.send(&n).await.is_err() { return }
    ///         }
    ///         sink.closed().await; // until the client unsubscribes
    ///     })?;
    /// // `peer`: the client side of a connection to a server with that router.
    /// let peer = pipe(router);
    /// let counts = peer.subscribe::<u32>("subscribe_count", EncodedParams::from_value(&[10])?, "count", "unsubscribe_count").await?;
    /// let first: Vec<u32> = counts.take(3).map(|n| n.unwrap()).collect().await;
    /// assert_eq!(first, [10, 11, 12]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Caller::call`]: the subscribe call's error, or the
    /// connection's.
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        let inbox = Arc::new(Inbox::default());
        self.subscribe_into(method, params, notification, &inbox)
            .await?;
        let owner = PeerSubscription {
            peer: self.clone(),
            notification: notification.into(),
            unsubscribe: unsubscribe.into(),
        };
        Ok(Subscription::new(inbox, Arc::new(owner)))
    }
}

impl Peer {
    /// Calls subscribe `method` and routes the items of the subscription
    /// it answers to `inbox` (a new one, or one a reconnecting client
    /// keeps across connections). The subscription counts on this peer
    /// until forgotten.
    pub(crate) async fn subscribe_into(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        inbox: &Arc<Inbox>,
    ) -> Result<SubscriptionId, ClientError> {
        let shared = &*self.shared;
        shared.subscribing.fetch_add(1, Ordering::AcqRel);
        let guard = Subscribing(&shared.subscribing);
        let id: SubscriptionId = self.call(method, params).await?;
        shared.subscribed.register_into(notification, &id, inbox);
        // The subscription itself counts from now on, until forgotten.
        shared.subscribing.fetch_add(1, Ordering::AcqRel);
        drop(guard);
        Ok(id)
    }

    /// Stops routing the items of subscription `id` and stops counting it.
    pub(crate) fn forget_subscription(&self, notification: &str, id: &SubscriptionId) {
        self.shared.subscribed.forget(notification, id);
        self.shared.subscribing.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a raw message waits for: the match keys of its requests' ids, how
/// many answers with id `null` it will get, and whether it is an array.
fn raw_ids(text: &str) -> (Vec<Key>, usize, bool) {
    let options = ParseOptions {
        jsonrpc1_compat: true,
        max_batch_len: usize::MAX,
    };
    let entry_id = |entry: &Entry<'_>| match entry {
        Entry::Request(request) => request.id.as_ref().map(Id::match_key),
        Entry::Invalid(invalid) => Some(invalid.id.match_key()),
        Entry::Response(_) => None,
    };
    let mut keys = Vec::new();
    let mut unread = 0;
    let mut add = |key: Option<Key>| match key {
        Some(key) if key == Id::null().match_key() => unread += 1,
        Some(key) => keys.push(key),
        None => {}
    };
    let array = match parse_message(text, options) {
        Ok(Message::Single(entry)) => {
            add(entry_id(&entry));
            false
        }
        Ok(Message::Batch(entries)) => {
            for entry in &entries {
                add(entry_id(entry));
            }
            true
        }
        Err(_) => {
            add(Some(Id::null().match_key()));
            false
        }
    };
    (keys, unread, array)
}

impl Caller for Peer {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        let shared = &*self.shared;
        let id = shared.next_id();
        let params = params.as_json();
        let mut text = String::with_capacity(48 + method.len() + params.map_or(0, str::len));
        write_request(&mut text, method, params, Some(&id));
        let key = id.match_key();
        let reply = shared.register(key.clone())?;
        let forget = Forget {
            pending: &shared.pending,
            one: Some(key),
            many: Vec::new(),
        };
        shared.send(Outgoing::Text(text)).await?;
        let reply = shared.wait(reply).await?;
        forget.disarm();
        match reply {
            Ok(Ok(reply)) => reply.decode(),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(shared.closed_error()),
        }
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        let params = params.as_json();
        let mut text = String::with_capacity(40 + method.len() + params.map_or(0, str::len));
        write_notification(&mut text, method, params);
        self.shared.send_written(text).await
    }

    async fn subscribe<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        Peer::subscribe(self, method, params, notification, unsubscribe).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        let shared = &*self.shared;
        if batch.is_empty() {
            return Ok(BatchResponse {
                results: Vec::new(),
            });
        }
        let (text, ids) = write_batch_request(&batch, || shared.next_id());
        let keys: Vec<Key> = ids.iter().map(Id::match_key).collect();
        // Registered first: a refused id must not forget the call using it.
        let replies = shared.register_batch(&keys, false, 0)?;
        let forget = Forget {
            pending: &shared.pending,
            one: None,
            many: keys,
        };
        if replies.is_empty() {
            // Notifications only: done once they are out.
            shared.send_written(text).await?;
        } else {
            shared.send(Outgoing::Text(text)).await?;
        }
        let answers = shared.wait_all(replies).await?;
        forget.disarm();
        let mut results = Vec::with_capacity(answers.len());
        for answer in answers {
            match answer {
                Ok(Ok(reply)) => results.push(reply.into_raw()),
                Ok(Err(error)) => return Err(error),
                Err(_) => return Err(shared.closed_error()),
            }
        }
        Ok(BatchResponse { results })
    }
}

//! A connection's subscriptions: made by the transport, kept in the
//! connection's [`Context`](crate::Context).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::json;

use super::lane::{Drained, Kind, Lane};
use super::outbox::Outbox;
use super::{SubscriptionConfig, SubscriptionId, SubscriptionIds};
use crate::protocol::{codes, ErrorObject};
use crate::MethodError;

/// Serves the lanes in line, each a turn, until none waits.
async fn drain(hub: Arc<Hub>) {
    loop {
        let lane = {
            let mut ready = hub.ready.lock().unwrap_or_else(PoisonError::into_inner);
            match ready.lanes.pop_front() {
                Some(lane) => lane,
                None => {
                    ready.draining = false;
                    return;
                }
            }
        };
        match lane.drain(TURN).await {
            Drained::Empty | Drained::Closed => {}
            Drained::More => hub
                .ready
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .lanes
                .push_back(lane),
        }
    }
}

/// The subscription limits of one connection.
///
/// ```
/// use rpc_runtime::subscription::SubscriptionLimits;
/// let limits = SubscriptionLimits::default();
/// assert_eq!(limits.max_per_connection, 1024);
/// use rpc_runtime::subscription::{SubscriptionId, SubscriptionIds};
/// let numbered = SubscriptionLimits::default()
///     .with_max_per_connection(8)
///     .with_ids(SubscriptionIds::new(|| SubscriptionId::number(1)));
/// assert_eq!(numbered.max_per_connection, 8);
/// assert_eq!(numbered.ids.make(), SubscriptionId::number(1));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SubscriptionLimits {
    /// How many subscriptions one connection may hold at once; the next
    /// subscribe call is refused with `-32007` (`data` `{"limit": N}`).
    /// Default 1024.
    pub max_per_connection: usize,
    /// Makes subscription ids. Default [`SubscriptionId::random`].
    pub ids: SubscriptionIds,
}

impl Default for SubscriptionLimits {
    fn default() -> Self {
        Self {
            max_per_connection: 1024,
            ids: SubscriptionIds::default(),
        }
    }
}

impl SubscriptionLimits {
    /// At most `n` subscriptions per connection.
    #[must_use]
    pub fn with_max_per_connection(mut self, n: usize) -> Self {
        self.max_per_connection = n;
        self
    }

    /// Ids from `ids`.
    #[must_use]
    pub fn with_ids(mut self, ids: SubscriptionIds) -> Self {
        self.ids = ids;
        self
    }
}

pub(crate) struct Hub {
    outbox: Arc<dyn Outbox>,
    lanes: Mutex<HashMap<SubscriptionId, Arc<Lane>>>,
    /// Lanes whose subscribe reply is not queued yet.
    gated: Mutex<Vec<Arc<Lane>>>,
    gated_count: AtomicUsize,
    limits: SubscriptionLimits,
    closing: AtomicBool,
    /// Lanes with frames waiting for room in the outbox, in turn; one task
    /// (the drain) serves them while any waits.
    ready: Mutex<Ready>,
}

#[derive(Default)]
struct Ready {
    lanes: VecDeque<Arc<Lane>>,
    draining: bool,
}

/// How many frames a lane moves in one turn at the drain, so one busy
/// subscription does not starve the others.
const TURN: usize = 32;

impl Hub {
    /// Puts `lane` in line for the drain, starting it if it is idle.
    pub(crate) fn schedule(self: &Arc<Self>, lane: Arc<Lane>) {
        let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        ready.lanes.push_back(lane);
        if ready.draining {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no tokio runtime to send subscription notifications on");
            return;
        };
        ready.draining = true;
        runtime.spawn(drain(self.clone()));
    }

    fn lanes(&self) -> MutexGuard<'_, HashMap<SubscriptionId, Arc<Lane>>> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn gated(&self) -> MutexGuard<'_, Vec<Arc<Lane>>> {
        self.gated.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops a subscription that ended on its own.
    pub(crate) fn forget(&self, id: &SubscriptionId) {
        self.lanes().remove(id);
    }
}

/// The subscriptions of one connection: a transport that can push makes
/// one over its outgoing queue and puts it in the connection's
/// [`Context`](crate::Context) (`ContextBuilder::subscriptions`); subscribe
/// methods find it there. Cloning is cheap; clones are the same table.
///
/// The transport's part: call [`reply_queued`](Self::reply_queued) after
/// queuing each reply (a subscription's notifications wait until the reply
/// carrying its id is queued), [`shutdown`](Self::shutdown) when closing
/// gracefully and [`close`](Self::close) when the connection is gone.
///
/// ```
/// # use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, Pushed, SubscriptionLimits, Subscriptions};
/// # struct Nowhere;
/// # impl Outbox for Nowhere {
/// #     fn try_push(&self, _: Frame) -> Result<(), Pushed> { Err(Pushed::Closed) }
/// #     fn reserve(&self) -> OutboxFuture<'_> { Box::pin(async { None }) }
/// # }
/// let subscriptions = Subscriptions::new(Nowhere, SubscriptionLimits::default());
/// let ctx = rpc_runtime::Context::builder().subscriptions(subscriptions.clone()).build();
/// assert!(ctx.subscriptions().is_some());
/// assert_eq!(subscriptions.len(), 0);
/// assert!(subscriptions.is_empty());
/// subscriptions.reply_queued(); // what the transport does after each reply
/// subscriptions.close(); // the connection is gone
/// ```
#[derive(Clone)]
pub struct Subscriptions(Arc<Hub>);

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriptions")
            .field("len", &self.len())
            .field("limits", &self.0.limits)
            .finish_non_exhaustive()
    }
}

impl Subscriptions {
    /// The subscriptions of a connection whose outgoing frames go to
    /// `outbox`.
    ///
    /// ```
    /// # use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, Pushed, SubscriptionLimits, Subscriptions};
    /// # struct Nowhere;
    /// # impl Outbox for Nowhere {
    /// #     fn try_push(&self, _: Frame) -> Result<(), Pushed> { Err(Pushed::Closed) }
    /// #     fn reserve(&self) -> OutboxFuture<'_> { Box::pin(async { None }) }
    /// # }
    /// let subscriptions = Subscriptions::new(Nowhere, SubscriptionLimits::default());
    /// assert!(subscriptions.is_empty());
    /// ```
    pub fn new(outbox: impl Outbox, limits: SubscriptionLimits) -> Self {
        Self(Arc::new(Hub {
            outbox: Arc::new(outbox),
            lanes: Mutex::default(),
            gated: Mutex::default(),
            gated_count: AtomicUsize::new(0),
            limits,
            closing: AtomicBool::new(false),
            ready: Mutex::default(),
        }))
    }

    /// How many subscriptions are active.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> (Peer, rpc_runtime::subscription::Subscriptions) {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let subscriptions = ctx.subscriptions().cloned().unwrap();
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     (peer, subscriptions)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    /// #     if let Ok(sink) = pending.accept() { sink.closed().await }
    /// # })?;
    /// // `subscriptions` is the server side's, from its connection's context.
    /// let (peer, subscriptions) = pipe(router);
    /// let items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// assert_eq!(subscriptions.len(), 1);
    /// items.unsubscribe().await?;
    /// assert_eq!(subscriptions.len(), 0);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.lanes().len()
    }

    /// Whether none is.
    ///
    /// ```
    /// # use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, Pushed, SubscriptionLimits, Subscriptions};
    /// # struct Nowhere;
    /// # impl Outbox for Nowhere {
    /// #     fn try_push(&self, _: Frame) -> Result<(), Pushed> { Err(Pushed::Closed) }
    /// #     fn reserve(&self) -> OutboxFuture<'_> { Box::pin(async { None }) }
    /// # }
    /// let subscriptions = Subscriptions::new(Nowhere, SubscriptionLimits::default());
    /// assert!(subscriptions.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The transport queued a reply: subscriptions made by a message now
    /// answered may send. Costs one atomic load when none waits.
    ///
    /// ```
    /// # use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, Pushed, SubscriptionLimits, Subscriptions};
    /// # struct Nowhere;
    /// # impl Outbox for Nowhere {
    /// #     fn try_push(&self, _: Frame) -> Result<(), Pushed> { Err(Pushed::Closed) }
    /// #     fn reserve(&self) -> OutboxFuture<'_> { Box::pin(async { None }) }
    /// # }
    /// let subscriptions = Subscriptions::new(Nowhere, SubscriptionLimits::default());
    /// // A transport's writer, right after it queues a reply:
    /// subscriptions.reply_queued();
    /// ```
    pub fn reply_queued(&self) {
        if self.0.gated_count.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut gated = self.0.gated();
        gated.retain(|lane| !lane.release());
        self.0.gated_count.store(gated.len(), Ordering::Release);
    }

    /// Graceful shutdown: refuses new subscriptions and ends every one
    /// with a last notification (error `-32009`, `message`), queued before
    /// anything the transport queues after this returns (its close frame).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> (Peer, rpc_runtime::subscription::Subscriptions) {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let subscriptions = ctx.subscriptions().cloned().unwrap();
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     (peer, subscriptions)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_subscription("sub", "note", "unsub", &[], |(), pending: PendingSubscription<u32>, _| async move {
    /// #     if let Ok(sink) = pending.accept() { sink.closed().await }
    /// # })?;
    /// use rpc_runtime::client::SubscriptionError;
    /// let (peer, subscriptions) = pipe(router);
    /// let mut items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// subscriptions.shutdown("going down").await;
    /// let last = items.next().await;
    /// assert!(matches!(last, Some(Err(SubscriptionError::Ended(e))) if e.code == -32009 && e.message == "going down"));
    /// assert!(subscriptions.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(&self, message: &str) {
        self.0.closing.store(true, Ordering::Release);
        let lanes: Vec<_> = self.0.lanes().drain().map(|(_, lane)| lane).collect();
        for lane in lanes {
            let notice = lane.closing_frame(codes::SUBSCRIPTION_ENDED, message);
            lane.last_word(notice).await;
        }
    }

    /// The connection is gone: every subscription ends (its producer learns
    /// it from `closed()`), and no new one is made.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use futures_util::StreamExt as _;
    /// # use rpc_runtime::params::EncodedParams;
    /// # use rpc_runtime::subscription::PendingSubscription;
    /// # use rpc_runtime::{stream::StreamConfig, ws::{Connection, Peer}, Context, Router};
    /// # fn pipe(router: Router) -> (Peer, rpc_runtime::subscription::Subscriptions) {
    /// #     let (a, b) = tokio::io::duplex(64 * 1024);
    /// #     let config = StreamConfig::default();
    /// #     let server = Connection::stream_server(&config, "pipe");
    /// #     let ctx = server.context(Context::builder());
    /// #     let subscriptions = ctx.subscriptions().cloned().unwrap();
    /// #     let (read, write) = tokio::io::split(a);
    /// #     tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
    /// #     let client = Connection::stream_client(&config, "pipe");
    /// #     let peer = client.peer();
    /// #     let (read, write) = tokio::io::split(b);
    /// #     tokio::spawn(client.run_framed(read, write, config.framing, Arc::new(Router::new()), Context::new()));
    /// #     (peer, subscriptions)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (ended, producer_saw) = tokio::sync::oneshot::channel();
    /// let ended = std::sync::Mutex::new(Some(ended));
    /// let mut router = Router::new();
    /// router.register_subscription("sub", "note", "unsub", &[], move |(), pending: PendingSubscription<u32>, _| {
    ///     let ended = ended.lock().unwrap().take();
    ///     async move {
    ///         let Ok(sink) = pending.accept() else { return };
    ///         sink.closed().await;
    ///         if let Some(ended) = ended { let _ = ended.send(()); }
    ///     }
    /// })?;
    /// let (peer, subscriptions) = pipe(router);
    /// let _items = peer.subscribe::<u32>("sub", EncodedParams::none(), "note", "unsub").await?;
    /// subscriptions.close();
    /// producer_saw.await?;
    /// assert!(subscriptions.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn close(&self) {
        self.0.closing.store(true, Ordering::Release);
        let lanes: Vec<_> = self.0.lanes().drain().map(|(_, lane)| lane).collect();
        for lane in lanes {
            lane.cancel();
        }
        self.0.gated().clear();
        self.0.gated_count.store(0, Ordering::Release);
    }

    /// The message at `message` is answered: its subscriptions wait only
    /// for its reply to be queued.
    pub(crate) fn answered(&self, message: usize) {
        if self.0.gated_count.load(Ordering::Acquire) == 0 {
            return;
        }
        for lane in self.0.gated().iter() {
            lane.answered(message);
        }
    }

    /// Refuses a new subscription when the connection may not take one.
    pub(crate) fn check_room(&self) -> Result<(), MethodError> {
        if self.0.closing.load(Ordering::Acquire) {
            return Err(MethodError::new(&ErrorObject::new(
                codes::SUBSCRIPTION_ENDED,
                "The connection is closing: no new subscriptions",
            )));
        }
        let limit = self.0.limits.max_per_connection;
        if self.len() >= limit {
            let message =
                format!("Too many subscriptions on this connection (the limit is {limit})");
            let plain = ErrorObject::new(codes::TOO_MANY_SUBSCRIPTIONS, message);
            // Data that is a JSON object always serializes.
            let error = plain
                .clone()
                .with_data(&json!({ "limit": limit }))
                .unwrap_or(plain);
            return Err(MethodError::new(&error));
        }
        Ok(())
    }

    /// Opens a subscription of `kind` made by the message at `message`.
    pub(crate) fn open(
        &self,
        kind: &Arc<Kind>,
        config: SubscriptionConfig,
        message: usize,
    ) -> Result<Arc<Lane>, MethodError> {
        self.check_room()?;
        let mut lanes = self.0.lanes();
        let id = loop {
            let id = self.0.limits.ids.make();
            if !lanes.contains_key(&id) {
                break id;
            }
        };
        let lane = Arc::new(Lane::new(
            id.clone(),
            kind.clone(),
            config,
            message,
            self.0.outbox.clone(),
            Arc::downgrade(&self.0),
        ));
        lanes.insert(id, lane.clone());
        drop(lanes);
        let mut gated = self.0.gated();
        gated.push(lane.clone());
        self.0.gated_count.store(gated.len(), Ordering::Release);
        Ok(lane)
    }

    /// Drops a subscription whose subscribe call went away before it was
    /// answered.
    pub(crate) fn discard(&self, lane: &Lane) {
        self.0.forget(&lane.id);
        lane.cancel();
    }

    /// Ends the subscription `id` if `kind`'s unsubscribe method may end
    /// it; whether it did.
    pub(crate) fn unsubscribe(&self, id: &SubscriptionId, kind: &Arc<Kind>) -> bool {
        let mut lanes = self.0.lanes();
        match lanes.get(id) {
            Some(lane) if Arc::ptr_eq(&lane.kind, kind) => {
                let lane = lanes.remove(id);
                drop(lanes);
                if let Some(lane) = lane {
                    lane.cancel();
                }
                true
            }
            _ => false,
        }
    }
}

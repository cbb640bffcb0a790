//! The handle to the other side of a connection.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot, watch, Notify};

use super::pending::{Pending, Reply};
use super::writer::Outgoing;
use super::{CloseReason, Side};
use crate::client::{write_batch_request, BatchRequest, BatchResponse, Caller, ClientError};
use crate::params::EncodedParams;
use crate::protocol::{write_notification, write_request, Id};

/// What the connection driver and every [`Peer`] handle share.
pub(crate) struct Shared {
    pub(crate) queue: mpsc::Sender<Outgoing>,
    pub(crate) pending: Pending,
    next_id: AtomicU64,
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
}

impl Shared {
    pub(crate) fn new(
        queue: mpsc::Sender<Outgoing>,
        request_timeout: Option<Duration>,
        side: Side,
    ) -> Self {
        Self {
            queue,
            pending: Pending::default(),
            next_id: AtomicU64::new(1),
            state: watch::Sender::new(None),
            close_requested: Notify::new(),
            reading_paused: AtomicBool::new(false),
            wake_reader: Notify::new(),
            request_timeout,
            side,
            sent: AtomicU64::new(0),
        }
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn closed_error(&self) -> ClientError {
        ClientError::Closed(match &*self.state.borrow() {
            Some(reason) => reason.to_string(),
            None => "the connection is closing".to_owned(),
        })
    }

    async fn send(&self, frame: Outgoing) -> Result<(), ClientError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(frame)
            .await
            .map_err(|_| self.closed_error())
    }

    fn register(
        &self,
        id: u64,
    ) -> Result<oneshot::Receiver<Result<Reply, ClientError>>, ClientError> {
        let waiter = self.pending.register(id)?;
        self.wake_paused_reader();
        Ok(waiter)
    }

    fn register_batch(
        &self,
        ids: &[u64],
    ) -> Result<Vec<oneshot::Receiver<Result<Reply, ClientError>>>, ClientError> {
        let waiters = self.pending.register_batch(ids)?;
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
    /// One call's id; ids start at 1, so 0 is none.
    one: u64,
    /// A batch's ids.
    many: Vec<u64>,
}

impl Forget<'_> {
    /// The calls were answered (or failed by the close): the table no
    /// longer holds them, though it may still list the batch.
    fn disarm(mut self) {
        self.one = 0;
    }
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        if self.one != 0 {
            self.pending.forget(self.one);
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
        reason.unwrap_or_else(|| CloseReason::Error("the connection driver stopped".to_owned()))
    }

    /// Asks the connection to close gracefully: it stops taking new calls,
    /// finishes those in flight, then sends a close frame (code 1000).
    /// Returns at once; await [`closed`](Self::closed) to see it done.
    pub fn close(&self) {
        self.shared.close_requested.notify_one();
    }

    /// Whether two handles are to the same connection.
    #[must_use]
    pub fn same_connection(&self, other: &Peer) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
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
        write_request(&mut text, method, params, Some(&Id::number(id)));
        let reply = shared.register(id)?;
        let forget = Forget {
            pending: &shared.pending,
            one: id,
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
        self.shared.send(Outgoing::Text(text)).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        let shared = &*self.shared;
        if batch.is_empty() {
            return Ok(BatchResponse {
                results: Vec::new(),
            });
        }
        let mut numbers = Vec::with_capacity(batch.call_count());
        let (text, _) = write_batch_request(&batch, || {
            let id = shared.next_id();
            numbers.push(id);
            Id::number(id)
        });
        let forget = Forget {
            pending: &shared.pending,
            one: 0,
            many: numbers,
        };
        let replies = shared.register_batch(&forget.many)?;
        shared.send(Outgoing::Text(text)).await?;
        let answers = shared
            .wait(async {
                let mut answers = Vec::with_capacity(replies.len());
                for reply in replies {
                    answers.push(reply.await);
                }
                answers
            })
            .await?;
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

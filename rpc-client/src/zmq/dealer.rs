//! A DEALER connection: many exchanges in flight at once, each reply
//! matched to its call by id. One task reads, one writes; a connection
//! that ends fails every call waiting on it, and the next call opens a
//! new one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rpc_runtime::client::ClientError;
use rpc_runtime::protocol::{parse_response, parse_responses};
use rpc_runtime::zmq::wire::{encode_message, encode_pong, FrameReader, Received};
use rpc_runtime::zmq::{BoxRead, BoxWrite, SocketType, ZmtpConnection};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::{mpsc, oneshot};

use super::link::{reply_body, Settings, LOG_TARGET};

type Reply = Result<String, ClientError>;

/// The DEALER side of a client: its live connection, if any.
pub(super) struct Dealer {
    link: tokio::sync::Mutex<Option<Arc<Link>>>,
}

impl Dealer {
    pub(super) fn new(connection: ZmtpConnection) -> Self {
        Self {
            link: tokio::sync::Mutex::new(Some(Link::start(connection))),
        }
    }

    /// The live connection, opening one if there is none.
    async fn link(&self, settings: &Settings) -> Result<Arc<Link>, ClientError> {
        let mut slot = self.link.lock().await;
        if let Some(link) = slot.as_ref().filter(|link| link.shared.alive()) {
            return Ok(link.clone());
        }
        let link = Link::start(settings.open(SocketType::Dealer).await?);
        *slot = Some(link.clone());
        Ok(link)
    }

    /// Sends `body`; with `keys` (the match keys of its calls' ids) waits
    /// for the reply that answers them, with none returns once queued.
    pub(super) async fn exchange(
        &self,
        settings: &Settings,
        body: &str,
        keys: Vec<String>,
    ) -> Result<String, ClientError> {
        let link = self.link(settings).await?;
        if keys.is_empty() {
            link.send(body).await?;
            return Ok(String::new());
        }
        let (registration, reply) = link.shared.register(keys)?;
        let exchange = async {
            link.send(body).await?;
            reply
                .await
                .unwrap_or_else(|_| Err(ClientError::Closed("the connection ended".to_owned())))
        };
        let outcome = settings.timed(exchange).await;
        drop(registration);
        outcome
    }

    /// Closes the connection; calls waiting fail, the next call reconnects.
    pub(super) async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            link.shared.fail_all("the client closed the connection");
        }
    }
}

/// One connection: the queue to its writer, and its waiting calls.
struct Link {
    out: mpsc::Sender<Vec<u8>>,
    /// A REP peer takes only messages with a delimiter (as from REQ).
    delimiter: bool,
    shared: Arc<Shared>,
    _reader: AbortOnDrop,
}

impl Link {
    fn start(connection: ZmtpConnection) -> Arc<Self> {
        let ZmtpConnection {
            reader,
            writer,
            peer,
            ..
        } = connection;
        let shared = Arc::new(Shared::default());
        let (out, queue) = mpsc::channel(256);
        tokio::spawn(write_loop(writer, queue, shared.clone()));
        let reading = tokio::spawn(read_loop(reader, out.clone(), shared.clone()));
        Arc::new(Self {
            out,
            delimiter: peer.peer_type == SocketType::Rep,
            shared,
            _reader: AbortOnDrop(reading),
        })
    }

    async fn send(&self, body: &str) -> Result<(), ClientError> {
        let mut message = Vec::with_capacity(body.len() + 16);
        if self.delimiter {
            encode_message(&mut message, &[b"", body.as_bytes()]);
        } else {
            encode_message(&mut message, &[body.as_bytes()]);
        }
        tracing::trace!(target: LOG_TARGET, body, "send");
        self.out
            .send(message)
            .await
            .map_err(|_| ClientError::Closed("the connection ended".to_owned()))
    }
}

/// The calls waiting for replies, in the order they were sent.
#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    dead: AtomicBool,
}

#[derive(Default)]
struct Pending {
    next: u64,
    /// Each id's match key, to the exchange it belongs to.
    keys: HashMap<String, u64>,
    waiters: BTreeMap<u64, Waiter>,
}

struct Waiter {
    keys: Vec<String>,
    reply: oneshot::Sender<Reply>,
}

/// Takes a waiting exchange off the table when its call is done or
/// dropped.
struct Registration<'a> {
    shared: &'a Shared,
    seq: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.shared.remove(self.seq);
    }
}

impl Shared {
    fn alive(&self) -> bool {
        !self.dead.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(
        &self,
        keys: Vec<String>,
    ) -> Result<(Registration<'_>, oneshot::Receiver<Reply>), ClientError> {
        let (tx, rx) = oneshot::channel();
        let mut pending = self.lock();
        // Checked under the lock, so `fail_all` cannot miss this one.
        if !self.alive() {
            return Err(ClientError::Closed("the connection ended".to_owned()));
        }
        let seq = pending.next;
        pending.next += 1;
        for key in &keys {
            pending.keys.insert(key.clone(), seq);
        }
        pending.waiters.insert(seq, Waiter { keys, reply: tx });
        Ok((Registration { shared: self, seq }, rx))
    }

    fn remove(&self, seq: u64) -> Option<Waiter> {
        let mut pending = self.lock();
        let waiter = pending.waiters.remove(&seq)?;
        for key in &waiter.keys {
            pending.keys.remove(key);
        }
        Some(waiter)
    }

    /// Hands a reply to the exchange it answers: the one holding any of
    /// its ids; an error with id `null` (a message the server could not
    /// read) to the oldest waiting exchange.
    fn deliver(&self, text: String) {
        let ids = if text.trim_start().starts_with('[') {
            parse_responses(&text).map(|responses| {
                responses
                    .iter()
                    .map(|r| (r.id.match_key(), r.id.is_null()))
                    .collect::<Vec<_>>()
            })
        } else {
            parse_response(&text).map(|r| vec![(r.id.match_key(), r.id.is_null())])
        };
        let ids = match ids {
            Ok(ids) => ids,
            Err(error) => {
                tracing::debug!(target: LOG_TARGET, %error, body = text, "unreadable reply dropped");
                return;
            }
        };
        let seq = {
            let pending = self.lock();
            ids.iter()
                .find_map(|(key, _)| pending.keys.get(key).copied())
                .or_else(|| {
                    let all_null = !ids.is_empty() && ids.iter().all(|(_, null)| *null);
                    all_null
                        .then(|| pending.waiters.keys().next().copied())
                        .flatten()
                })
        };
        match seq.and_then(|seq| self.remove(seq)) {
            Some(waiter) => {
                let _ = waiter.reply.send(Ok(text));
            }
            None => {
                tracing::debug!(target: LOG_TARGET, body = text, "a reply that answers no waiting call dropped");
            }
        }
    }

    /// Marks the connection dead and fails every waiting exchange.
    fn fail_all(&self, reason: &str) {
        let waiters = {
            let mut pending = self.lock();
            self.dead.store(true, Ordering::Release);
            pending.keys.clear();
            std::mem::take(&mut pending.waiters)
        };
        for waiter in waiters.into_values() {
            let _ = waiter
                .reply
                .send(Err(ClientError::Closed(reason.to_owned())));
        }
    }
}

async fn read_loop(
    mut reader: FrameReader<BoxRead>,
    out: mpsc::Sender<Vec<u8>>,
    shared: Arc<Shared>,
) {
    let why = loop {
        match reader.next().await {
            Ok(Some(Received::Message(frames))) => match reply_body(frames) {
                // The empty reply a REP sends to a notification.
                Ok(text) if text.is_empty() => {}
                Ok(text) => {
                    tracing::trace!(target: LOG_TARGET, body = text, "receive");
                    shared.deliver(text);
                }
                Err(error) => tracing::debug!(target: LOG_TARGET, %error, "reply dropped"),
            },
            Ok(Some(Received::Ping(context))) => {
                let mut pong = Vec::new();
                encode_pong(&mut pong, &context);
                let _ = out.send(pong).await;
            }
            Ok(Some(Received::TooLarge(_))) => {
                // It cannot be told which call it answers: end the connection.
                break "a reply exceeded the size limit".to_owned();
            }
            Ok(Some(_)) => {
                tracing::debug!(target: LOG_TARGET, "a reply of too many frames dropped")
            }
            Ok(None) => break "the server closed the connection".to_owned(),
            Err(error) => break error.to_string(),
        }
    };
    tracing::debug!(target: LOG_TARGET, reason = why, "connection ended");
    shared.fail_all(&why);
}

async fn write_loop(mut writer: BoxWrite, mut queue: mpsc::Receiver<Vec<u8>>, shared: Arc<Shared>) {
    while let Some(mut batch) = queue.recv().await {
        while batch.len() < 64 * 1024 {
            match queue.try_recv() {
                Ok(more) => batch.extend_from_slice(&more),
                Err(_) => break,
            }
        }
        let wrote = async {
            writer.write_all(&batch).await?;
            writer.flush().await
        };
        if let Err(error) = wrote.await {
            shared.fail_all(&format!("write failed: {error}"));
            return;
        }
    }
    let _ = writer.shutdown().await;
}

/// Stops the reading task with its connection.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

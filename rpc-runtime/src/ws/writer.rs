//! The writer: the only place frames are written to the socket, in
//! the connection's framing.

use std::future::poll_fn;
use std::sync::{Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use futures_util::{Sink, SinkExt as _};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};

use super::{ConnectionError, Side};
use crate::subscription::Frame;

/// A frame waiting to be written.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A text frame.
    Text(String),
    /// A text frame whose sender waits until it is written and flushed (a
    /// notification: nothing else tells the sender it went out).
    Notice(String, oneshot::Sender<()>),
    /// A binary frame carrying JSON text (the answer to a binary frame).
    Binary(String),
    /// A subscription's notification, joined into its text here, on the
    /// writer's thread (see [`Frame`]).
    Push(Frame),
    /// A keepalive ping.
    Ping,
    /// The close frame; the writer stops after it.
    Close(u16, &'static str),
}

/// Replies the reader answered at once, handed to the writer, which runs
/// in the same task, without the queue's wake.
#[derive(Default)]
pub(crate) struct Replies(Mutex<Vec<Outgoing>>);

impl Replies {
    /// Hands `frame` over, unless `limit` are waiting already.
    pub(crate) fn push(&self, frame: Outgoing, limit: usize) -> Result<(), Outgoing> {
        let mut waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if waiting.len() >= limit {
            return Err(frame);
        }
        waiting.push(frame);
        Ok(())
    }

    /// Moves what is waiting into `burst`; `false` when nothing was.
    fn take(&self, burst: &mut Vec<Outgoing>) -> bool {
        let mut waiting = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if waiting.is_empty() {
            return false;
        }
        burst.append(&mut waiting);
        true
    }
}

/// How many queued frames are written before one flush.
const BURST: usize = 256;

/// Below this many frames at hand, the writer waits one scheduler turn
/// for more before writing.
const GATHER: usize = 8;

/// Whether waiting a turn for more frames pays: it does under many calls
/// in flight, and costs a scheduler turn per message when there is one
/// call at a time. After a wait that gathered nothing, the writer does
/// not wait for the next [`GATHER_BACKOFF`] bursts.
#[derive(Default)]
struct Gather {
    skip: usize,
}

/// How many bursts go without waiting after a wait that gathered nothing.
const GATHER_BACKOFF: usize = 64;

impl Gather {
    fn wanted(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }

    fn gathered(&mut self, more: bool) {
        if !more {
            self.skip = GATHER_BACKOFF;
        }
    }
}

/// How a framing writes the frames of the queue: what each becomes on the
/// wire (`None`: nothing), and whether the close ends with shutting the
/// sink down (a byte stream) rather than with a close frame (WebSocket).
pub(crate) struct Encoding<M> {
    pub(crate) encode: fn(Outgoing) -> Option<M>,
    pub(crate) shutdown_on_close: bool,
}

/// WebSocket frames.
pub(crate) fn ws_encoding() -> Encoding<Message> {
    Encoding {
        encode: ws_frame,
        shutdown_on_close: false,
    }
}

fn ws_frame(frame: Outgoing) -> Option<Message> {
    Some(match frame {
        Outgoing::Text(text) | Outgoing::Notice(text, _) => Message::Text(Utf8Bytes::from(text)),
        Outgoing::Push(frame) => Message::Text(Utf8Bytes::from(frame.into_text())),
        Outgoing::Binary(text) => Message::Binary(Bytes::from(text.into_bytes())),
        Outgoing::Ping => Message::Ping(Bytes::new()),
        Outgoing::Close(code, reason) => Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: Utf8Bytes::from_static(reason),
        })),
    })
}

/// Drains the queue into the sink, feeding every frame that is already
/// waiting and flushing once per burst. Ends after a close frame, when
/// every sender is gone, or with the error that stopped it (a write that
/// takes longer than `write_timeout` means the peer stopped reading).
pub(crate) async fn write_loop<K, M>(
    mut sink: K,
    (mut queue, replies): (mpsc::Receiver<Outgoing>, &Replies),
    write_timeout: Duration,
    side: Side,
    encoding: Encoding<M>,
) -> Result<(), ConnectionError>
where
    K: Sink<M> + Unpin,
    K::Error: std::error::Error + Send + Sync + 'static,
{
    // Grown by the first frames, not allocated up front: an idle
    // connection would otherwise hold `BURST` empty slots (10 KiB) for
    // its whole life. Under load it reaches its size once and keeps it.
    let mut burst = Vec::new();
    let mut written = Vec::new();
    let mut gather = Gather::default();
    loop {
        // The reader's replies first: a subscription's first notification
        // is queued only once the reply that carries its id is handed over.
        let got = poll_fn(|cx| {
            if replies.take(&mut burst) {
                return Poll::Ready(burst.len());
            }
            queue.poll_recv_many(cx, &mut burst, BURST)
        })
        .await;
        if got == 0 {
            return Ok(());
        }
        if burst.len() < GATHER && gather.wanted() {
            // Callers woken by one read enqueue one after another, and the
            // first wakes this task at once (tokio runs a task woken by the
            // running one next): one turn of the scheduler lets the others
            // join this write instead of each costing a write of its own.
            let before = burst.len();
            tokio::task::yield_now().await;
            while burst.len() < BURST {
                match queue.try_recv() {
                    Ok(frame) => burst.push(frame),
                    Err(_) => break,
                }
            }
            gather.gathered(burst.len() > before);
        }
        let write = async {
            let mut closing = false;
            for frame in burst.drain(..) {
                let frame = match frame {
                    Outgoing::Text(text) => {
                        super::wire!(side, direction = "send", %text);
                        Outgoing::Text(text)
                    }
                    Outgoing::Push(frame) => {
                        let text = frame.into_text();
                        super::wire!(side, direction = "send", %text);
                        Outgoing::Text(text)
                    }
                    Outgoing::Notice(text, done) => {
                        super::wire!(side, direction = "send", %text);
                        written.push(done);
                        Outgoing::Text(text)
                    }
                    Outgoing::Binary(text) => {
                        super::wire!(side, direction = "send", binary = true, %text);
                        Outgoing::Binary(text)
                    }
                    Outgoing::Close(code, reason) => {
                        closing = true;
                        Outgoing::Close(code, reason)
                    }
                    Outgoing::Ping => Outgoing::Ping,
                };
                if let Some(message) = (encoding.encode)(frame) {
                    sink.feed(message).await?;
                }
                if closing {
                    break;
                }
            }
            if closing && encoding.shutdown_on_close {
                sink.close().await?;
            } else {
                sink.flush().await?;
            }
            Ok::<_, K::Error>(closing)
        };
        let outcome = tokio::time::timeout(write_timeout, write).await;
        if matches!(outcome, Ok(Ok(_))) {
            for done in written.drain(..) {
                // The sender may have stopped waiting; the frame is out anyway.
                let _ = done.send(());
            }
        }
        match outcome {
            Ok(Ok(false)) => {}
            Ok(Ok(true)) => return Ok(()),
            Ok(Err(error)) => return Err(ConnectionError::with_source("a write failed", error)),
            Err(_) => {
                return Err(ConnectionError::new(format!(
                    "a write took longer than {write_timeout:?}"
                )))
            }
        }
    }
}

//! A client's ZeroMQ connection (DEALER to ROUTER or REP) on the connection
//! driver the WebSocket and byte-stream clients use: calls matched to
//! their replies by id, batches, notifications, request timeouts, every
//! waiting call failed when the connection ends.
//!
//! Only the framing is ZeroMQ's: each reply's one body frame is a message
//! for the driver, and each message this side sends is one ZeroMQ message
//! (after the empty delimiter frame a REP server needs).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context as TaskContext, Poll};

use futures_util::stream::{self, Stream};
use futures_util::Sink;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::wire::{encode_message, encode_pong, FrameReader, Received};
use super::{split_envelope, BoxRead, BoxWrite, SocketType, ZmtpConnection};
use crate::stream::StreamConfig;
use crate::ws::{CloseReason, Connection, ConnectionError, Encoding, Event, Outgoing, Side};
use crate::{Context, Router};

const LOG_TARGET: &str = "rpc_client::zmq";

/// How many bytes a burst gathers before they are written.
const WRITE_BURST: usize = 64 * 1024;

impl Connection {
    /// A connection a client opened over ZeroMQ, to run with
    /// [`run_zmq`](Self::run_zmq). The limits of `config` apply as on a
    /// byte stream (request timeout, write queue and timeout, idle
    /// timeout); its framing does not, and the size limit of replies is
    /// the one the connection was opened with
    /// ([`connect`](super::connect)). The transport is `"zmq"`, and
    /// messages are logged under target `rpc_client::zmq`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::stream::StreamConfig;
    /// use rpc_runtime::ws::Connection;
    /// let config = StreamConfig::default().with_request_timeout(Some(Duration::from_secs(5)));
    /// let connection = Connection::zmq_client(&config);
    /// assert_eq!(connection.context(rpc_runtime::Context::builder()).transport(), "zmq");
    /// ```
    pub fn zmq_client(config: &StreamConfig) -> Self {
        Self::new(config.connection_config(), Side::ZmqClient)
    }

    /// Runs the connection over `zmtp`, a connection greeted as DEALER
    /// (to a ROUTER or a REP server), until it ends; returns why. Calls
    /// made through its [`Peer`](crate::ws::Peer) may be many in flight at
    /// once, each reply matched to its call by id.
    ///
    /// What the server sends is never answered (it would take an answer
    /// for a request): an empty body (a REP's reply to a notification), a
    /// body that is not UTF-8 and a message of several body frames are
    /// dropped, a `PING` gets its `PONG`; a reply over the size limit ends
    /// the connection, since it cannot be told which call it answers.
    /// `router` serves what the server might call (nothing, from the
    /// usual ZeroMQ servers), and every such call runs with `ctx`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use rpc_runtime::client::Caller;
    /// use rpc_runtime::params::EncodedParams;
    /// use rpc_runtime::stream::StreamConfig;
    /// use rpc_runtime::ws::Connection;
    /// use rpc_runtime::zmq::{connect, SocketType, ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("world"))?;
    /// let server = ZmqServer::new(router, ZmqConfig::default());
    /// let handle = server.bind_router("tcp://127.0.0.1:0").await?;
    ///
    /// let zmtp = connect(handle.local_endpoint(), SocketType::Dealer, 1 << 20).await?;
    /// let connection = Connection::zmq_client(&StreamConfig::default());
    /// let peer = connection.peer();
    /// tokio::spawn(connection.run_zmq(zmtp, Arc::new(Router::new()), Context::new()));
    /// let (a, b) = tokio::join!(
    ///     peer.call::<String>("hello", EncodedParams::none()),
    ///     peer.call::<String>("hello", EncodedParams::none()),
    /// );
    /// assert_eq!((a?, b?), ("world".to_owned(), "world".to_owned()));
    /// peer.close();
    /// peer.closed().await;
    /// handle.shutdown(Duration::from_secs(1)).await;
    /// # Ok(()) }
    /// ```
    pub async fn run_zmq(
        self,
        zmtp: ZmtpConnection,
        router: Arc<Router>,
        ctx: Context,
    ) -> CloseReason {
        let ZmtpConnection {
            reader,
            writer,
            peer,
            ..
        } = zmtp;
        // The write half is shared: the driver's writer writes the
        // messages, the reader the PONGs it answers PINGs with.
        let writer = Arc::new(Mutex::new(writer));
        let sink = ZmqSink {
            writer: writer.clone(),
            buffer: Vec::new(),
            writing: None,
        };
        let encoding = Encoding {
            // A REP server takes only messages with a delimiter (as from REQ).
            encode: if peer.peer_type == SocketType::Rep {
                delimited
            } else {
                bare
            },
            shutdown_on_close: true,
        };
        let events = Box::pin(events(reader, writer));
        self.run_parts(
            events,
            sink,
            encoding,
            &router,
            &ctx,
            std::future::pending(),
        )
        .await
    }
}

/// What the server sends, as the driver's events; ends after the end of
/// the stream, a failure, or a reply over the size limit.
fn events(reader: FrameReader<BoxRead>, writer: SharedWriter) -> impl Stream<Item = Event> {
    stream::unfold(Some((reader, writer)), |state| async move {
        let (mut reader, writer) = state?;
        let event = match reader.next().await {
            Ok(Some(Received::Message(frames))) => body_event(frames),
            Ok(Some(Received::Ping(context))) => {
                let mut pong = Vec::with_capacity(8 + context.len());
                encode_pong(&mut pong, &context);
                let wrote = async {
                    let mut writer = writer.lock().await;
                    writer.write_all(&pong).await?;
                    writer.flush().await
                };
                // A socket that fails fails the driver's next write too.
                if let Err(error) = wrote.await {
                    tracing::debug!(target: LOG_TARGET, %error, "writing a PONG failed");
                }
                Event::Other
            }
            Ok(Some(Received::TooLarge(_))) => {
                return Some((too_large(), None));
            }
            Ok(Some(Received::TooManyFrames(_))) => {
                tracing::debug!(target: LOG_TARGET, "a reply of too many frames dropped");
                Event::Other
            }
            Ok(None) => return Some((Event::Finished, None)),
            Err(error) => {
                let lost = ConnectionError::with_source("reading the socket failed", error);
                return Some((Event::Lost(lost), None));
            }
        };
        Some((event, Some((reader, writer))))
    })
}

/// A reply's one body frame as a message for the driver.
fn body_event(frames: Vec<Vec<u8>>) -> Event {
    let (_, mut bodies) = split_envelope(frames);
    if bodies.len() > 1 {
        tracing::debug!(target: LOG_TARGET, frames = bodies.len(), "a reply of several body frames dropped");
        return Event::Other;
    }
    let body = bodies.pop().unwrap_or_default();
    if body.is_empty() {
        // The empty reply a REP or ROUTER sends to a notification.
        return Event::Other;
    }
    match String::from_utf8(body) {
        // Marked binary so that whatever the core would answer it with
        // comes to `body` below as `Outgoing::Binary`, and is not sent.
        Ok(text) => Event::Message {
            text: Utf8Bytes::from(text),
            binary: true,
        },
        Err(_) => {
            tracing::debug!(target: LOG_TARGET, "a reply that is not UTF-8 dropped");
            Event::Other
        }
    }
}

fn too_large() -> Event {
    Event::Fatal {
        reason: CloseReason::Error(ConnectionError::new("a reply exceeded the size limit")),
        reply: None,
        code: 1009,
        text: "message too big",
        ends: true,
        what: "reply over the size limit",
        detail: "it cannot be told which call it answers: the connection ends".to_owned(),
    }
}

/// The text of what the driver sends. Answers to what the server sent (the
/// core's, to a message marked binary in `body_event`) are dropped: a REP
/// server would take one for a request, and nothing a server sends asks
/// for an answer. Pings and the close are nothing on ZeroMQ.
fn body(frame: Outgoing) -> Option<String> {
    match frame {
        Outgoing::Text(text) | Outgoing::Notice(text, _) => Some(text),
        Outgoing::Push(frame) => Some(frame.into_text()),
        Outgoing::Binary(text) => {
            tracing::debug!(target: LOG_TARGET, body = text, "not answering what the server sent");
            None
        }
        Outgoing::Ping | Outgoing::Close(..) => None,
    }
}

/// One message of one frame (to a ROUTER).
fn bare(frame: Outgoing) -> Option<Vec<u8>> {
    body(frame).map(|text| {
        let mut out = Vec::with_capacity(text.len() + 9);
        encode_message(&mut out, &[text.as_bytes()]);
        out
    })
}

/// One message of the empty delimiter, then the body (to a REP).
fn delimited(frame: Outgoing) -> Option<Vec<u8>> {
    body(frame).map(|text| {
        let mut out = Vec::with_capacity(text.len() + 11);
        encode_message(&mut out, &[b"", text.as_bytes()]);
        out
    })
}

type SharedWriter = Arc<Mutex<BoxWrite>>;

type Writing = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

/// The driver's sink: the messages of a burst are gathered, and written
/// in one go when the driver flushes (or the burst grows large).
struct ZmqSink {
    writer: SharedWriter,
    buffer: Vec<u8>,
    /// The write (or the shutdown) under way.
    writing: Option<Writing>,
}

impl ZmqSink {
    /// Drives the write under way to its end.
    fn poll_writing(&mut self, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        if let Some(writing) = self.writing.as_mut() {
            let outcome = ready!(writing.as_mut().poll(cx));
            self.writing = None;
            outcome?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Sink<Vec<u8>> for ZmqSink {
    type Error = io::Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.buffer.len() >= WRITE_BURST {
            return Pin::new(this).poll_flush(cx);
        }
        this.poll_writing(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Vec<u8>) -> io::Result<()> {
        let this = self.get_mut();
        if this.buffer.is_empty() {
            // A burst of one message is written as it is, uncopied.
            this.buffer = message;
        } else {
            this.buffer.extend_from_slice(&message);
        }
        Ok(())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_writing(cx))?;
        if this.buffer.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let bytes = std::mem::take(&mut this.buffer);
        let writer = this.writer.clone();
        this.writing = Some(Box::pin(async move {
            let mut writer = writer.lock().await;
            writer.write_all(&bytes).await?;
            writer.flush().await
        }));
        this.poll_writing(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut *this).poll_flush(cx))?;
        let writer = this.writer.clone();
        // Ends this side of the stream: the server sees the client go.
        this.writing = Some(Box::pin(
            async move { writer.lock().await.shutdown().await },
        ));
        this.poll_writing(cx)
    }
}

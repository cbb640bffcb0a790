//! The connection driver, the same on both sides: a reader loop that runs
//! incoming calls concurrently, and the writer, polled in the same task.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use super::inbound::{dispatch, outgoing, reply_later, send_reply};
use super::incoming::{ws_event, Event};
use super::peer::{IdSource, Shared};
use super::writer::{write_loop, ws_encoding, Encoding, Outgoing, Replies};
use super::{CloseReason, ConnectionError, Peer, Side, WsConfig};
use crate::{Answer, Context, ContextBuilder, Refusal, Router};
use futures_util::future::Either;
use tokio::sync::mpsc::error::TrySendError;

/// One WebSocket connection, driven the same way on the server and the
/// client: either side may call the other.
///
/// Make it, take its [`Peer`] handle into the [`Context`] the connection's
/// calls will see, then [`run`](Self::run) it on the socket (the byte
/// stream after the HTTP upgrade; the WebSocket framing is this driver's):
///
/// ```
/// use std::sync::Arc;
/// use rpc_runtime::client::Caller;
/// use rpc_runtime::params::EncodedParams;
/// use rpc_runtime::ws::{Connection, Peer, WsConfig};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (a, b) = tokio::io::duplex(64 * 1024);
/// let config = WsConfig::default();
///
/// // The serving side: one method.
/// let mut router = Router::new();
/// router.register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("world")).unwrap();
/// let server = Connection::server(config.clone());
/// let ctx = Context::builder().transport("ws").peer(server.peer()).build();
/// tokio::spawn(server.run(a, Arc::new(router), ctx));
///
/// // The calling side serves nothing, and calls through its `Peer`.
/// let client = Connection::client(config.clone());
/// let peer: Peer = client.peer();
/// tokio::spawn(client.run(b, Arc::new(Router::new()), Context::new()));
///
/// let reply: String = peer.call("hello", EncodedParams::none()).await.unwrap();
/// assert_eq!(reply, "world");
/// # }
/// ```
#[must_use = "a connection does nothing until it is run"]
pub struct Connection {
    shared: Arc<Shared>,
    queue: Option<mpsc::Receiver<Outgoing>>,
    config: WsConfig,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("side", &self.shared.side)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection accepted by a server.
    pub fn server(config: WsConfig) -> Self {
        Self::new(config, Side::Server)
    }

    /// A connection opened by a client.
    pub fn client(config: WsConfig) -> Self {
        Self::new(config, Side::Client)
    }

    pub(crate) fn new(config: WsConfig, side: Side) -> Self {
        Self::build(config, side, None)
    }

    fn build(config: WsConfig, side: Side, ids: Option<IdSource>) -> Self {
        let (tx, rx) = mpsc::channel(config.write_queue.max(1));
        Self {
            shared: Arc::new(Shared::new(
                tx,
                config.request_timeout,
                side,
                ids,
                config.subscriptions.clone(),
            )),
            queue: Some(rx),
            config,
        }
    }

    /// Gives the calls this side makes (through any [`Peer`] of the
    /// connection) the ids `ids` makes, instead of `1`, `2`, `3`, …
    /// Responses are matched to calls by id, so the ids must differ among
    /// the calls waiting: a call whose id is in use fails.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rpc_runtime::protocol::Id;
    /// use rpc_runtime::ws::{Connection, WsConfig};
    /// let connection = Connection::client(WsConfig::default())
    ///     .with_ids(Arc::new(|| Id::string("one")));
    /// # let _ = connection;
    /// ```
    pub fn with_ids(self, ids: IdSource) -> Self {
        Self::build(self.config.clone(), self.shared.side, Some(ids))
    }

    /// The connection's [`Context`]: what `builder` holds (peer address,
    /// upgrade request head), the transport's name (`"ws"`, or the one a
    /// stream connection was made with) and this connection's [`Peer`].
    pub fn context(&self, builder: ContextBuilder) -> Context {
        builder
            .transport(self.shared.side.transport())
            .peer(self.peer())
            .subscriptions(self.shared.subscriptions.clone())
            .build()
    }

    #[cfg(feature = "stream")]
    pub(crate) fn config(&self) -> &WsConfig {
        &self.config
    }

    /// A handle to the other side, to put in the connection's [`Context`]
    /// (`Context::builder().peer(connection.peer())`) or keep elsewhere.
    #[must_use]
    pub fn peer(&self) -> Peer {
        Peer::new(self.shared.clone())
    }

    /// Runs the connection until it ends; returns why.
    ///
    /// `io` is the connection once the HTTP upgrade handshake is done (a
    /// `hyper::upgrade::Upgraded` through `TokioIo`, say): this driver
    /// speaks the WebSocket framing on it, with this connection's
    /// [`WsConfig`] limits, as the server or the client end it was made
    /// for. `router` holds the methods this side serves (it may be empty),
    /// and every call runs with `ctx`.
    pub async fn run<S>(self, io: S, router: Arc<Router>, ctx: Context) -> CloseReason
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        self.run_until(io, router, ctx, std::future::pending())
            .await
    }

    /// Like [`run`](Self::run), and when `shutdown` resolves the connection
    /// closes gracefully: it stops taking calls, finishes those in flight,
    /// and sends a close frame with code 1001 (going away).
    pub async fn run_until<S, F>(
        self,
        io: S,
        router: Arc<Router>,
        ctx: Context,
        shutdown: F,
    ) -> CloseReason
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        F: Future<Output = ()>,
    {
        let role = match self.shared.side {
            Side::Server | Side::StreamServer(_) => Role::Server,
            Side::Client | Side::StreamClient(_) | Side::ZmqClient => Role::Client,
        };
        let config = self.config.tungstenite_config();
        let socket = WebSocketStream::from_raw_socket(io, role, Some(config)).await;
        self.run_socket_until(socket, router, ctx, shutdown).await
    }

    /// [`run_until`](Self::run_until) on a socket whose handshake was
    /// tungstenite's (the server's upgrade, `rpc-client`'s connect).
    pub(crate) async fn run_socket_until<S, F>(
        self,
        socket: WebSocketStream<S>,
        router: Arc<Router>,
        ctx: Context,
        shutdown: F,
    ) -> CloseReason
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        F: Future<Output = ()>,
    {
        let (sink, stream) = socket.split();
        self.run_parts(
            stream.map(ws_event),
            sink,
            ws_encoding(),
            &router,
            &ctx,
            shutdown,
        )
        .await
    }

    /// Runs the connection on any framing: `events` are what the peer
    /// sends, `sink` takes what this side sends, encoded by `encoding`.
    pub(crate) async fn run_parts<E, K, M, F>(
        mut self,
        events: E,
        sink: K,
        encoding: Encoding<M>,
        router: &Router,
        ctx: &Context,
        shutdown: F,
    ) -> CloseReason
    where
        E: Stream<Item = Event> + Unpin,
        K: Sink<M> + Unpin + Send + 'static,
        K::Error: std::error::Error + Send + Sync + 'static,
        M: Send + 'static,
        F: Future<Output = ()>,
    {
        let Some(queue) = self.queue.take() else {
            return CloseReason::Error(ConnectionError::new("the connection was already run"));
        };
        #[cfg(feature = "metrics")]
        let _gauge =
            self.shared.side.is_server().then(|| {
                crate::middleware::OpenConnectionGauge::open(self.shared.side.transport())
            });
        // A byte stream is closed once this side has ended it: unlike a
        // WebSocket, there is no closing handshake to wait for.
        let ends_with_writer = encoding.shutdown_on_close;
        // The writer runs in this task, beside the reader: as a task of its
        // own, every message made two tasks runnable and tokio woke the other
        // worker thread for it. Replies answered at once reach the writer
        // through `replies`, not the queue, whose wake of this running task
        // would reschedule it behind the others, with the same cost.
        let replies = Replies::default();
        let writer = pin!(write_loop(
            sink,
            (queue, &replies),
            self.config.write_timeout,
            self.shared.side,
            encoding,
        ));
        let writer = Writer {
            future: writer,
            done: false,
            ended: None,
        };
        let reason = drive(
            &self.shared,
            &self.config,
            events,
            (writer, ends_with_writer, &replies),
            router,
            ctx,
            shutdown,
        )
        .await;
        finish(&self.shared, reason.clone());
        reason
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Never run, or its run was cancelled: calls must not wait forever.
        if self.shared.state.borrow().is_none() {
            finish(
                &self.shared,
                CloseReason::Error(ConnectionError::new("the connection was dropped")),
            );
        }
    }
}

fn finish(shared: &Shared, reason: CloseReason) {
    shared.pending.close(&reason);
    shared.subscriptions.close();
    shared.subscribed.close();
    super::event!(shared.side, %reason, "connection closed");
    shared.state.send_replace(Some(reason));
}

/// Where the connection is in its life.
enum Phase {
    Open,
    /// Refusing new calls, waiting for those in flight; then a close frame.
    Draining {
        reason: CloseReason,
        code: u16,
        text: &'static str,
    },
    /// The close frame is out (or came in): reading until the peer's close
    /// or the socket's end, for at most the write timeout.
    Closing {
        reason: CloseReason,
        until: Instant,
    },
}

/// The writer's future, polled in the connection's task, and what became
/// of it.
struct Writer<'w, W> {
    future: Pin<&'w mut W>,
    /// It has ended.
    done: bool,
    /// How it ended while the reader awaited something else (see
    /// [`Writer::beside`]), for the reader's loop to act on.
    ended: Option<Result<(), ConnectionError>>,
}

impl<W: Future<Output = Result<(), ConnectionError>>> Writer<'_, W> {
    /// Awaits `work` while the writer goes on writing: `work` may wait for
    /// room in the queue, or for a frame to be written.
    async fn beside<T>(&mut self, work: impl Future<Output = T>) -> T {
        let mut work = pin!(work);
        loop {
            tokio::select! {
                biased;
                out = &mut work => return out,
                result = self.future.as_mut(), if !self.done => {
                    self.done = true;
                    self.ended = Some(result);
                }
            }
        }
    }

    /// Lets the writer send what is queued (a close frame) before the
    /// socket is dropped, for at most the write timeout.
    async fn finish(&mut self, config: &WsConfig, reason: CloseReason) -> CloseReason {
        if !self.done {
            let _ = tokio::time::timeout(config.write_timeout, self.future.as_mut()).await;
            self.done = true;
        }
        reason
    }
}

/// What the reader's loop does once the writer has ended: stop (with the
/// reason), or wait on for the peer's close frame.
fn writer_ended(
    phase: &Phase,
    result: Result<(), ConnectionError>,
    ends_with_writer: bool,
) -> Option<CloseReason> {
    match (phase, result) {
        // The stream is ended: nothing to wait for.
        (Phase::Closing { reason, .. }, _) if ends_with_writer => Some(reason.clone()),
        // The close frame is out; wait for the peer's.
        (Phase::Closing { .. }, _) => None,
        (_, Err(error)) => Some(CloseReason::Error(error)),
        (_, Ok(())) => Some(CloseReason::Error(ConnectionError::new(
            "the writer stopped",
        ))),
    }
}

async fn drive<E, F, W>(
    shared: &Shared,
    config: &WsConfig,
    mut stream: E,
    (mut writer, ends_with_writer, replies): (Writer<'_, W>, bool, &Replies),
    router: &Router,
    ctx: &Context,
    shutdown: F,
) -> CloseReason
where
    E: Stream<Item = Event> + Unpin,
    F: Future<Output = ()>,
    W: Future<Output = Result<(), ConnectionError>>,
{
    let mut shutdown = pin!(shutdown);
    // The peer ended its side of the stream: nothing more to read.
    let mut finished = false;
    let mut running = FuturesUnordered::new();
    let mut phase = Phase::Open;
    let tick_every = tick_period(config);
    let mut ticker = tokio::time::interval_at(Instant::now() + tick_every, tick_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut last_active = Instant::now();
    let mut sent_before = 0;
    let mut last_ping = Instant::now();

    // A frame the core answers at once has its reply queued at once; only
    // frames whose calls wait become futures (and a reply that finds the
    // queue full waits in one).
    macro_rules! dispatch {
        ($text:expr, $binary:expr, $refusal:expr) => {{
            let binary = $binary;
            match dispatch($text, binary, $refusal, router, ctx, shared) {
                Answer::Now(None) => {}
                Answer::Now(Some(reply)) => {
                    // As many wait here as the queue holds; past that a
                    // reply waits for room in the queue, as a future.
                    match replies.push(outgoing(reply, binary), shared.queue.max_capacity()) {
                        Ok(()) => shared.subscriptions.reply_queued(),
                        Err(reply) => running.push(Either::Right(send_reply(shared, reply))),
                    }
                }
                Answer::Later(answer) => {
                    running.push(Either::Left(reply_later(answer, binary, shared)));
                }
            }
        }};
    }

    let reason = loop {
        if let Some(result) = writer.ended.take() {
            if let Some(reason) = writer_ended(&phase, result, ends_with_writer) {
                break reason;
            }
        }
        if finished && matches!(phase, Phase::Closing { .. }) {
            // Nothing more will come: let the writer end, then stop.
            break writer.finish(config, phase_reason(phase)).await;
        }
        if let Phase::Draining { reason, code, text } = &phase {
            if running.is_empty() {
                // Subscriptions end with a last notice, before the close frame.
                let notice = match reason {
                    CloseReason::Shutdown => "Server shutting down",
                    _ => "Connection closing",
                };
                let _ = writer
                    .beside(tokio::time::timeout(
                        config.write_timeout,
                        shared.subscriptions.shutdown(notice),
                    ))
                    .await;
                phase = writer
                    .beside(closing_now(shared, config, reason.clone(), *code, text))
                    .await;
                continue;
            }
        }
        let open = matches!(phase, Phase::Open);
        let mut reading = !finished;
        if open && running.len() >= config.max_in_flight {
            // Back-pressure: stop reading until a call finishes, unless this
            // side waits for responses (which must be read, or a handler that
            // calls the peer would wait forever).
            shared.reading_paused.store(true, Ordering::SeqCst);
            reading = !finished && !shared.pending.is_empty();
            // Alive as far as we know: we are not looking.
            last_heard = Instant::now();
        } else {
            shared.reading_paused.store(false, Ordering::Relaxed);
        }
        let closing_until = match &phase {
            Phase::Closing { until, .. } => Some(*until),
            _ => None,
        };

        tokio::select! {
            biased;
            Some(()) = running.next(), if !running.is_empty() => {
                last_active = Instant::now();
            }
            frame = stream.next(), if reading => {
                // Past the limit this reads only because responses are awaited;
                // calls read meanwhile still run, up to twice the limit, and
                // beyond that are refused rather than buffered.
                let refusal = match phase {
                    Phase::Open if running.len() < config.max_in_flight.saturating_mul(2) => None,
                    Phase::Open => Some(Refusal::Busy),
                    _ => Some(Refusal::Closing),
                };
                let now = Instant::now();
                last_heard = now;
                match frame {
                    Some(Event::Message { text, binary }) => {
                        last_active = now;
                        dispatch!(text, binary, refusal);
                    }
                    Some(Event::Refused(refused)) => {
                        last_active = now;
                        match shared.queue.try_send(Outgoing::Text(refused.response())) {
                            Ok(()) => {}
                            Err(TrySendError::Full(reply)) => {
                                running.push(Either::Right(send_reply(shared, reply)));
                            }
                            Err(TrySendError::Closed(_)) => {}
                        }
                    }
                    Some(Event::Closed(reason)) => {
                        // Replies can no longer be sent; tungstenite answers the
                        // close frame on the next read.
                        running = FuturesUnordered::new();
                        phase = match phase {
                            Phase::Closing { reason, until } => Phase::Closing { reason, until },
                            _ => Phase::Closing { reason, until: now + config.write_timeout },
                        };
                    }
                    Some(Event::Finished) => {
                        finished = true;
                        if open {
                            // The peer still reads: answer what it sent, then close.
                            phase = Phase::Draining { reason: CloseReason::EndOfStream, code: 1000, text: "" };
                        }
                    }
                    Some(Event::Other) => {}
                    Some(Event::Fatal { reason, reply, code, text, ends, what, detail }) => {
                        super::event!(shared.side, error = %detail, "{what}");
                        if let Some(reply) = reply {
                            let until = Instant::now() + config.write_timeout;
                            let _ = writer.beside(tokio::time::timeout_at(until, shared.queue.send(Outgoing::Text(reply)))).await;
                        }
                        phase = writer.beside(closing_now(shared, config, reason, code, text)).await;
                        if ends {
                            break writer.finish(config, phase_reason(phase)).await;
                        }
                    }
                    Some(Event::Lost(error)) => {
                        break match phase {
                            Phase::Closing { reason, .. } => reason,
                            _ => CloseReason::Error(error),
                        };
                    }
                    None => {
                        break match phase {
                            Phase::Closing { reason, .. } => reason,
                            _ => CloseReason::Error(ConnectionError::new("the peer went away without a close frame")),
                        };
                    }
                }
            }
            () = shared.wake_reader.notified(), if !reading => {}
            () = &mut shutdown, if open => {
                phase = Phase::Draining { reason: CloseReason::Shutdown, code: 1001, text: "server shutting down" };
            }
            () = shared.close_requested.notified(), if open => {
                phase = Phase::Draining { reason: CloseReason::Local, code: 1000, text: "" };
            }
            result = writer.future.as_mut(), if !writer.done => {
                writer.done = true;
                if let Some(reason) = writer_ended(&phase, result, ends_with_writer) {
                    break reason;
                }
            }
            _ = ticker.tick() => {
                let now = Instant::now();
                if let Some(until) = closing_until {
                    if now >= until {
                        break phase_reason(phase);
                    }
                    continue;
                }
                if let Some(interval) = config.ping_interval {
                    if now.duration_since(last_heard) > interval + config.pong_timeout {
                        super::event!(shared.side, "no pong in time");
                        let _ = shared.queue.try_send(Outgoing::Close(1011, "ping timeout"));
                        break writer.finish(config, CloseReason::PingTimeout).await;
                    }
                    if now.duration_since(last_ping) >= interval {
                        last_ping = now;
                        // A full queue means frames are going out anyway.
                        let _ = shared.queue.try_send(Outgoing::Ping);
                    }
                }
                if let Some(idle) = config.idle_timeout {
                    let sent = shared.sent.load(Ordering::Relaxed);
                    if sent != sent_before {
                        sent_before = sent;
                        last_active = now;
                    }
                    if open && running.is_empty() && shared.pending.is_empty()
                        && shared.subscriptions.is_empty() && !shared.expects_items()
                        && now.duration_since(last_active) >= idle
                    {
                        phase = Phase::Draining { reason: CloseReason::IdleTimeout, code: 1000, text: "idle timeout" };
                    }
                }
            }
        }
    };
    shared.reading_paused.store(false, Ordering::Relaxed);
    drop(running);
    // Any close frame is out by now (the peer answered it, or
    // `Writer::finish` waited for it); frames still queued have no reader
    // and go with the writer's future.
    reason
}

/// Queues a close frame and moves to waiting for the peer's.
async fn closing_now(
    shared: &Shared,
    config: &WsConfig,
    reason: CloseReason,
    code: u16,
    text: &'static str,
) -> Phase {
    let until = Instant::now() + config.write_timeout;
    let _ = tokio::time::timeout_at(until, shared.queue.send(Outgoing::Close(code, text))).await;
    Phase::Closing { reason, until }
}

fn phase_reason(phase: Phase) -> CloseReason {
    match phase {
        Phase::Open => CloseReason::Error(ConnectionError::new("closed")),
        Phase::Draining { reason, .. } | Phase::Closing { reason, .. } => reason,
    }
}

/// How often timers are checked: often enough for the shortest of them.
fn tick_period(config: &WsConfig) -> Duration {
    let mut period = Duration::from_secs(1);
    if let Some(ping) = config.ping_interval {
        period = period.min(ping).min(config.pong_timeout);
    }
    if let Some(idle) = config.idle_timeout {
        period = period.min(idle / 2);
    }
    period.max(Duration::from_millis(10))
}

//! The accept loop: takes TCP connections, serves each on a task of its own
//! with HTTP/1.1 (keep-alive) or HTTP/2 (prior knowledge) on the same port,
//! bounds how many are open, and runs the graceful shutdown.

use std::convert::Infallible;
use std::future::pending;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::first_bytes::FirstBytesDeadline;
use super::http::{self as endpoint, HttpState};
use super::Shutdown;

const TARGET: &str = "rpc_runtime::http";

/// Connection counters, shared with the handles.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicUsize,
    pub(crate) active: AtomicUsize,
    pub(crate) refused: AtomicUsize,
}

/// Lives as long as a connection: holds its slot under the limit.
struct Slot {
    _permit: OwnedSemaphorePermit,
    counters: Arc<Counters>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counters.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The signals between the handles and the accept loop.
pub(crate) struct Control {
    /// Set once, to the shutdown deadline, by the first `shutdown` call.
    pub(crate) stop: watch::Receiver<Option<Duration>>,
    /// Set once the server has stopped, to how it went.
    pub(crate) done: watch::Sender<Option<Shutdown>>,
}

/// What the accept loop tells every open connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Finish the request in flight, then close (HTTP/2: `GOAWAY`).
    Draining,
    /// Close now: the shutdown deadline has passed.
    Closing,
}

/// Accepts and serves connections until a shutdown is asked for, then shuts
/// down: no new connections (the listener is closed), in-flight requests
/// finish within the deadline, then whatever is left is closed.
///
/// Each connection task holds a receiver of the phase channel and drops it
/// last, after its slot, so the sender's `closed()` resolving means every
/// connection is gone and counted out. (hyper-util's `GracefulShutdown`
/// works the same way but has no forced close and drops its receiver first.)
pub(crate) async fn run(
    listener: TcpListener,
    state: Arc<HttpState>,
    counters: Arc<Counters>,
    mut control: Control,
) {
    let builder = Arc::new(connection_builder(&state));
    let limit = state
        .config
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(limit));
    let (phase, _) = watch::channel(Phase::Serving);

    let deadline = loop {
        tokio::select! {
            biased;
            deadline = stop_requested(&mut control.stop) => break deadline,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                    let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                        counters.refused.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(target: TARGET, %peer, limit, "connection refused: too many connections");
                        drop(stream);
                        continue;
                    };
                    counters.active.fetch_add(1, Ordering::Relaxed);
                    let connection = Connection {
                        stream,
                        peer,
                        state: Arc::clone(&state),
                        builder: Arc::clone(&builder),
                        slot: Slot { _permit: permit, counters: Arc::clone(&counters) },
                    };
                    tokio::spawn(connection.serve(phase.subscribe()));
                }
                Err(error) => accept_failed(error).await,
            },
        }
    };

    drop(listener);
    tracing::info!(target: TARGET, open = phase.receiver_count(),
        deadline_ms = deadline.as_millis(), "shutting down");
    let _ = phase.send(Phase::Draining);
    let outcome = match tokio::time::timeout(deadline, phase.closed()).await {
        Ok(()) => Shutdown::Graceful,
        Err(_) => {
            let connections = phase.receiver_count();
            tracing::warn!(target: TARGET, connections, "shutdown deadline passed: closing connections");
            let _ = phase.send(Phase::Closing);
            phase.closed().await;
            Shutdown::Forced { connections }
        }
    };
    tracing::info!(target: TARGET, ?outcome, "server stopped");
    let _ = control.done.send(Some(outcome));
}

/// Waits for a shutdown request; never returns if every handle is gone
/// without asking for one (the server then runs as long as the runtime).
async fn stop_requested(stop: &mut watch::Receiver<Option<Duration>>) -> Duration {
    loop {
        let requested = *stop.borrow_and_update();
        if let Some(deadline) = requested {
            return deadline;
        }
        if stop.changed().await.is_err() {
            return pending().await;
        }
    }
}

/// A failed `accept`: a connection that died in the backlog is skipped; a
/// resource error (out of file descriptors) backs off briefly instead of
/// spinning.
#[cold]
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        tracing::debug!(target: TARGET, %error, "accept: connection lost before it was accepted");
        return;
    }
    tracing::error!(target: TARGET, %error, "accept failed; retrying in 50 ms");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

fn connection_builder(state: &HttpState) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(state.config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<HttpState>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    slot: Slot,
}

impl Connection {
    /// Serves the connection to its end, following the shutdown phases.
    /// `phase` is declared first so it is dropped last.
    async fn serve(self, mut phase: watch::Receiver<Phase>) {
        let Self {
            stream,
            peer,
            state,
            builder,
            slot,
        } = self;
        // Small replies must not wait for Nagle's algorithm.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(target: TARGET, %peer, %error, "could not set TCP_NODELAY");
        }
        let io = FirstBytesDeadline::new(stream, state.config.header_read_timeout);
        let service = service_fn(move |request| {
            let state = Arc::clone(&state);
            async move { Ok::<_, Infallible>(endpoint::handle(&state, request, Some(peer)).await) }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        drive(connection, &mut phase, peer).await;
        // The connection is closed; its slot goes before `phase`, so a
        // shutdown that sees every receiver gone sees the counters settled.
        drop(slot);
    }
}

/// Runs `connection` until it ends, starting its graceful shutdown when the
/// phase turns to draining and dropping it (closing the socket) at closing.
async fn drive<C>(connection: C, phase: &mut watch::Receiver<Phase>, peer: SocketAddr)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut connection = std::pin::pin!(connection);
    let mut listening = true;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(target: TARGET, %peer, %error, "connection ended with an error");
                }
                return;
            }
            changed = phase.changed(), if listening => {
                if changed.is_err() {
                    // The accept loop is gone (the runtime is going down).
                    listening = false;
                    continue;
                }
                let now = *phase.borrow_and_update();
                match now {
                    Phase::Serving => {}
                    Phase::Draining => connection.as_mut().graceful_shutdown(),
                    Phase::Closing => {
                        tracing::debug!(target: TARGET, %peer, "connection closed at the shutdown deadline");
                        return;
                    }
                }
            }
        }
    }
}

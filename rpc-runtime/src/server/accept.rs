//! The accept loop: takes TCP connections, bounds how many are open, hands
//! each to a task of its own, and runs the graceful shutdown (after a
//! drain's delay, when the shutdown came from a drain).

use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;

use super::connection::{self, OpenConnection, Phase};
use super::health::Readiness;
use super::http::HttpState;
use super::layer::Layered;
use super::Shutdown;

const TARGET: &str = "rpc_runtime::http";

/// Connection counters, shared with the handles.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicUsize,
    pub(crate) active: AtomicUsize,
    pub(crate) refused: AtomicUsize,
    /// TLS handshakes that failed or timed out.
    #[cfg(feature = "tls")]
    pub(crate) tls_failed: AtomicUsize,
}

/// What the handles asked of the accept loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Nothing yet: serve.
    Serve,
    /// A drain: keep serving (and accepting) until `until` (`None`: a delay
    /// too long to add to the clock, so until a shutdown), then shut down
    /// with `deadline`.
    Drain {
        until: Option<Instant>,
        deadline: Duration,
    },
    /// Shut down now with `deadline`.
    Now { deadline: Duration },
}

/// The signals between the handles and the accept loop.
pub(crate) struct Control {
    /// Moves on from `Serve` once: to `Drain` by a `drain`, to `Now` by a
    /// `shutdown` (a drain's delay included).
    pub(crate) stop: watch::Receiver<Stop>,
    /// Set once the server has stopped, to how it went.
    pub(crate) done: watch::Sender<Option<Shutdown>>,
}

/// Accepts and serves connections until a shutdown is asked for, then shuts
/// down: no new connections (the listener is closed), in-flight requests
/// finish within the deadline, then whatever is left is closed.
///
/// Each [`OpenConnection`] holds a receiver of the phase channel, so the
/// sender's `closed()` resolving means every connection is gone and counted
/// out. (hyper-util's `GracefulShutdown` works the same way, but has no
/// forced close and lets go of its receiver before the connection's slot.)
pub(crate) async fn run(
    listener: TcpListener,
    state: Arc<HttpState>,
    counters: Arc<Counters>,
    readiness: Arc<Readiness>,
    mut control: Control,
    layered: Option<Layered>,
) {
    let builder = Arc::new(connection::builder(&state.config));
    let limit = state
        .config
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(limit));
    let (phase, _) = watch::channel(Phase::Serving);
    let mut at_limit = false;

    let deadline = loop {
        tokio::select! {
            biased;
            deadline = stop_requested(&mut control.stop) => break deadline,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                    let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                        counters.refused.fetch_add(1, Ordering::Relaxed);
                        // One warning per stretch at the limit, not one per
                        // connection of a flood.
                        if !at_limit {
                            at_limit = true;
                            tracing::warn!(target: TARGET, limit, "connection limit reached: refusing new connections");
                        }
                        tracing::debug!(target: TARGET, %peer, "connection refused: too many connections");
                        drop(stream);
                        continue;
                    };
                    at_limit = false;
                    counters.active.fetch_add(1, Ordering::Relaxed);
                    let open = OpenConnection {
                        state: Arc::clone(&state),
                        peer,
                        phase: phase.subscribe(),
                        counters: Arc::clone(&counters),
                        readiness: Arc::clone(&readiness),
                        #[cfg(feature = "tls")]
                        tls: None,
                        _permit: permit,
                    };
                    tokio::spawn(connection::serve(
                        stream,
                        open,
                        Arc::clone(&builder),
                        layered.clone(),
                    ));
                }
                Err(error) => accept_failed(error).await,
            },
        }
    };

    drop(listener);
    tracing::info!(target: TARGET, open = counters.active.load(Ordering::Relaxed),
        deadline_ms = deadline.as_millis(), "shutting down");
    let _ = phase.send(Phase::Draining);
    let outcome = match tokio::time::timeout(deadline, phase.closed()).await {
        Ok(()) => Shutdown::Graceful,
        Err(_) => {
            let connections = counters.active.load(Ordering::Relaxed);
            tracing::warn!(target: TARGET, connections, "shutdown deadline passed: closing connections");
            let _ = phase.send(Phase::Closing);
            phase.closed().await;
            Shutdown::Forced { connections }
        }
    };
    tracing::info!(target: TARGET, ?outcome, "server stopped");
    let _ = control.done.send(Some(outcome));
}

/// Waits until the shutdown is due: at once for a shutdown, at the end of
/// the delay for a drain (sooner if a shutdown comes during the delay).
/// Returns the shutdown's deadline. Never returns if every handle is gone
/// without asking for either (the server then runs as long as the runtime).
async fn stop_requested(stop: &mut watch::Receiver<Stop>) -> Duration {
    loop {
        let requested = *stop.borrow_and_update();
        match requested {
            Stop::Now { deadline } => return deadline,
            Stop::Drain { until, deadline } => tokio::select! {
                () = delay_over(until) => return deadline,
                changed = stop.changed() => {
                    if changed.is_err() {
                        // No handle is left to cut the delay short.
                        delay_over(until).await;
                        return deadline;
                    }
                }
            },
            Stop::Serve => {
                if stop.changed().await.is_err() {
                    return pending().await;
                }
            }
        }
    }
}

/// Resolves when a drain's delay is over; never for `None`.
async fn delay_over(until: Option<Instant>) {
    match until {
        Some(until) => tokio::time::sleep_until(until).await,
        None => pending().await,
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

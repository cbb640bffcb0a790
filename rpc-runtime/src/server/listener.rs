//! The accept loop the TCP/Unix stream server and the ZeroMQ server share:
//! accept until stopped, refuse over the connection limit, serve each
//! connection on a task of its own, then drain within a deadline. Only
//! what one connection does differs, and that is the caller's closure.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};

use super::Shutdown;
use crate::{Context, ContextBuilder};

/// The signals and counters between a listener's handles and its accept
/// loop.
#[derive(Debug)]
pub(crate) struct ListenerControl {
    /// Set once, to the shutdown deadline, by the first `shutdown` call.
    stop: watch::Sender<Option<Duration>>,
    /// Set once the loop has stopped, to how it went.
    done: watch::Sender<Option<Shutdown>>,
    active: AtomicUsize,
    refused: AtomicUsize,
}

impl ListenerControl {
    /// A listener not yet stopped, with no connections.
    pub(crate) fn new() -> Self {
        Self {
            stop: watch::Sender::new(None),
            done: watch::Sender::new(None),
            active: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
        }
    }

    /// How many connections are open.
    pub(crate) fn connections_active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }

    /// How many connections were refused over the limit.
    pub(crate) fn connections_refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    /// Asks the loop to stop (the first call's deadline counts), then
    /// waits until it has.
    pub(crate) async fn shutdown(&self, deadline: Duration) -> Shutdown {
        self.stop.send_if_modified(|stop| {
            let first = stop.is_none();
            if first {
                *stop = Some(deadline);
            }
            first
        });
        self.stopped().await
    }

    /// Resolves when the loop has stopped.
    pub(crate) async fn stopped(&self) -> Shutdown {
        let mut done = self.done.subscribe();
        let outcome = match done.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.unwrap_or(Shutdown::Graceful),
            Err(_) => Shutdown::Forced { connections: 0 },
        };
        outcome
    }

    /// Whether the loop has stopped.
    pub(crate) fn is_stopped(&self) -> bool {
        self.done.borrow().is_some()
    }
}

/// A listener whose connections are split into halves.
pub(crate) trait Accept: Send + 'static {
    type Read: AsyncRead + Unpin + Send + 'static;
    type Write: AsyncWrite + Unpin + Send + 'static;
    /// The transport's name in contexts.
    const NAME: &'static str;

    fn accept(
        &self,
    ) -> impl Future<Output = io::Result<(Self::Read, Self::Write, ContextBuilder)>> + Send;
}

impl Accept for TcpListener {
    type Read = tokio::net::tcp::OwnedReadHalf;
    type Write = tokio::net::tcp::OwnedWriteHalf;
    const NAME: &'static str = "tcp";

    async fn accept(&self) -> io::Result<(Self::Read, Self::Write, ContextBuilder)> {
        let (socket, addr) = TcpListener::accept(self).await?;
        // Replies are written in bursts and flushed once: send each at once.
        let _ = socket.set_nodelay(true);
        let (read, write) = socket.into_split();
        Ok((read, write, Context::builder().peer_addr(addr)))
    }
}

#[cfg(unix)]
impl Accept for tokio::net::UnixListener {
    type Read = tokio::net::unix::OwnedReadHalf;
    type Write = tokio::net::unix::OwnedWriteHalf;
    const NAME: &'static str = "unix";

    async fn accept(&self) -> io::Result<(Self::Read, Self::Write, ContextBuilder)> {
        let (socket, _addr) = tokio::net::UnixListener::accept(self).await?;
        let (read, write) = socket.into_split();
        Ok((read, write, Context::builder()))
    }
}

/// Whose log target the loop's events go to. A `tracing` target must be a
/// constant, so each transport is a variant, not a string passed in.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LogTarget {
    /// `rpc_runtime::stream`, with the transport (`tcp`, `unix`) as a field.
    Stream,
    /// `rpc_runtime::zmq`.
    #[cfg(feature = "zmq")]
    Zmq,
}

impl LogTarget {
    fn refused(self, transport: &'static str) {
        match self {
            Self::Stream => {
                tracing::debug!(target: "rpc_runtime::stream", transport, "connection refused over the limit")
            }
            #[cfg(feature = "zmq")]
            Self::Zmq => {
                tracing::debug!(target: "rpc_runtime::zmq", "connection refused over the limit")
            }
        }
    }

    fn accept_failed(self, error: &io::Error) {
        match self {
            Self::Stream => tracing::warn!(target: "rpc_runtime::stream", %error, "accept failed"),
            #[cfg(feature = "zmq")]
            Self::Zmq => tracing::warn!(target: "rpc_runtime::zmq", %error, "accept failed"),
        }
    }

    fn task_failed(self, error: &JoinError) {
        match self {
            Self::Stream => {
                tracing::error!(target: "rpc_runtime::stream", %error, "a connection task failed")
            }
            #[cfg(feature = "zmq")]
            Self::Zmq => {
                tracing::error!(target: "rpc_runtime::zmq", %error, "a connection task failed")
            }
        }
    }
}

/// How one listener's loop runs.
#[derive(Debug)]
pub(crate) struct LoopSettings {
    /// Connections open at once; one more is closed on arrival.
    pub(crate) max_connections: usize,
    /// The socket file to remove once the listener is closed.
    pub(crate) remove: Option<PathBuf>,
    /// Where the loop's events are logged.
    pub(crate) log: LogTarget,
}

/// Accepts connections until the stop signal, then drains them. Each
/// connection runs on a task of its own, the future `serve` makes of its
/// halves, its context builder and the drain signal (`true` once the
/// listener stops): whatever happens on one (a malformed peer, a panic)
/// cannot reach the others or this loop.
pub(crate) async fn accept_loop<L, S, F>(
    listener: L,
    control: Arc<ListenerControl>,
    settings: LoopSettings,
    mut serve: S,
) where
    L: Accept,
    S: FnMut(L::Read, L::Write, ContextBuilder, watch::Receiver<bool>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let (drain, draining) = watch::channel(false);
    let mut stop = control.stop.subscribe();
    let mut connections = JoinSet::new();
    let deadline = loop {
        tokio::select! {
            stopped = async { stop.wait_for(Option::is_some).await.ok().and_then(|deadline| *deadline) } => {
                break stopped.unwrap_or_default();
            }
            accepted = listener.accept() => match accepted {
                Ok((read, write, _)) if control.active.load(Ordering::Relaxed) >= settings.max_connections => {
                    // Over the limit: closed before any of it is read.
                    drop((read, write));
                    control.refused.fetch_add(1, Ordering::Relaxed);
                    settings.log.refused(L::NAME);
                }
                Ok((read, write, builder)) => {
                    let connection = serve(read, write, builder, draining.clone());
                    let control = control.clone();
                    control.active.fetch_add(1, Ordering::Relaxed);
                    connections.spawn(async move {
                        connection.await;
                        control.active.fetch_sub(1, Ordering::Relaxed);
                    });
                }
                Err(error) => {
                    // Out of file descriptors, say: wait a moment, go on.
                    settings.log.accept_failed(&error);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                if let Err(error) = joined {
                    // Never expected: the core catches handler panics. The
                    // count is put right, the other peers go on.
                    control.active.fetch_sub(1, Ordering::Relaxed);
                    settings.log.task_failed(&error);
                }
            }
        }
    };
    drop(listener);
    if let Some(path) = settings.remove {
        let _ = std::fs::remove_file(path);
    }
    drain.send_replace(true);
    let drained = tokio::time::timeout(deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    let outcome = match drained {
        Ok(()) => Shutdown::Graceful,
        Err(_) => {
            let left = connections.len();
            connections.abort_all();
            while connections.join_next().await.is_some() {}
            control.active.store(0, Ordering::Relaxed);
            Shutdown::Forced { connections: left }
        }
    };
    control.done.send_replace(Some(outcome));
}

//! One accepted TCP connection: HTTP/1.1 (keep-alive) or HTTP/2 (prior
//! knowledge, or by ALPN over TLS), sniffed on the same port, served until
//! it ends or the shutdown phases close it. With TLS on, the handshake runs
//! first, on the connection's own task and in its slot.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::Instant;

use super::accept::Counters;
use super::config::ServerConfig;
use super::first_bytes::FirstBytesDeadline;
use super::health::Readiness;
use super::http::{self as endpoint, HttpState, Origin};
use super::layer::{Layered, LayeredConnection};

const TARGET: &str = "rpc_runtime::http";

/// What the accept loop tells every open connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Normal service.
    Serving,
    /// Finish the request in flight, then close (HTTP/2: `GOAWAY`).
    Draining,
    /// Close now: the shutdown deadline has passed.
    Closing,
}

/// A connection's hold on the server: its slot under `max_connections`, its
/// place in the shutdown, and what every request on it shares.
///
/// Whoever keeps the connection's socket alive keeps an `Arc` of this: the
/// HTTP task, and after a WebSocket upgrade the WebSocket driver (which
/// should follow [`phase`](Self::phase) to close on shutdown). The slot is
/// freed, and the shutdown stops waiting, when the last one is dropped.
pub(crate) struct OpenConnection {
    pub(crate) state: Arc<HttpState>,
    pub(crate) peer: SocketAddr,
    pub(crate) phase: watch::Receiver<Phase>,
    pub(crate) counters: Arc<Counters>,
    /// What the readiness endpoint answers: the handle's, shared.
    pub(crate) readiness: Arc<Readiness>,
    /// What the TLS handshake settled; `None` on a plain connection.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Arc<super::TlsInfo>>,
    pub(crate) _permit: OwnedSemaphorePermit,
}

impl OpenConnection {
    /// The shutdown phases, to follow with `changed()`.
    pub(crate) fn phase(&self) -> watch::Receiver<Phase> {
        self.phase.clone()
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        // Runs before the fields (the phase receiver among them) are
        // dropped, so the count is settled when the shutdown sees it.
        self.counters.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The HTTP/1.1 + HTTP/2 connection builder for `config`.
pub(crate) fn builder(config: &ServerConfig) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

/// Serves `stream` to its end, following the shutdown phases; through the
/// server's layers when it has some; over TLS when the server has a TLS
/// configuration.
pub(crate) async fn serve(
    stream: TcpStream,
    open: OpenConnection,
    builder: Arc<auto::Builder<TokioExecutor>>,
    layered: Option<Layered>,
) {
    // The header timeout counts from here: a slow handshake eats into it.
    let accepted = Instant::now();
    let peer = open.peer;
    #[cfg(feature = "metrics")]
    let _gauge = crate::middleware::OpenConnectionGauge::open("http");
    // Small replies must not wait for Nagle's algorithm.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(target: TARGET, %peer, %error, "could not set TCP_NODELAY");
    }
    let header_deadline = open
        .state
        .config
        .header_read_timeout
        .and_then(|timeout| accepted.checked_add(timeout));
    #[cfg(feature = "tls")]
    if let Some(tls) = open.state.config.tls.clone() {
        let mut open = open;
        let deadline = super::tls::handshake::deadline(
            accepted,
            open.state.config.tls_handshake_timeout,
            open.state.config.header_read_timeout,
        );
        let mut phase = open.phase.clone();
        let counters = Arc::clone(&open.counters);
        let Some((stream, info)) =
            super::tls::handshake::accept(stream, &tls, deadline, &mut phase, peer, &counters)
                .await
        else {
            return;
        };
        open.tls = Some(Arc::new(info));
        let io = FirstBytesDeadline::until(stream, header_deadline);
        return serve_io(io, Arc::new(open), builder, layered).await;
    }
    let io = FirstBytesDeadline::until(stream, header_deadline);
    serve_io(io, Arc::new(open), builder, layered).await;
}

/// Serves HTTP on `io` (plain or decrypted) to its end.
async fn serve_io<I>(
    io: I,
    open: Arc<OpenConnection>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    layered: Option<Layered>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let peer = open.peer;
    let mut phase = open.phase.clone();
    if let Some(service) = layered {
        let service = LayeredConnection { service, open };
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
        drive(connection, &mut phase, peer).await;
        return;
    }
    let service = service_fn(move |request| {
        let open = Arc::clone(&open);
        async move {
            let origin = Origin {
                peer: Some(open.peer),
                connection: Some(&open),
            };
            Ok::<_, Infallible>(endpoint::handle(&open.state, request, origin).await)
        }
    });
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    drive(connection, &mut phase, peer).await;
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

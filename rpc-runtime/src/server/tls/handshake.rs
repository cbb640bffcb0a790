//! One connection's TLS handshake: bounded in time, given up when the
//! server shuts down, and never an error beyond this connection.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{TlsConfig, TlsInfo};
use crate::server::accept::Counters;
use crate::server::connection::Phase;

const TARGET: &str = "rpc_runtime::tls";

/// Runs the handshake on `stream` with the configuration current now,
/// until `deadline` (`None`: no limit). `None` when it failed, timed out,
/// or the server started to shut down meanwhile (the client never sent a
/// request, so there is nothing to finish): each is logged at debug and
/// counted, and the connection is closed.
pub(crate) async fn accept(
    stream: TcpStream,
    config: &TlsConfig,
    deadline: Option<Instant>,
    phase: &mut watch::Receiver<Phase>,
    peer: SocketAddr,
    counters: &Counters,
) -> Option<(TlsStream<TcpStream>, TlsInfo)> {
    let handshake = TlsAcceptor::from(config.current()).accept(stream);
    let outcome = tokio::select! {
        outcome = until(deadline, handshake) => outcome,
        () = stopping(phase) => {
            tracing::debug!(target: TARGET, %peer, "TLS handshake abandoned: shutting down");
            return None;
        }
    };
    match outcome {
        Some(Ok(stream)) => {
            let info = session_info(&stream);
            tracing::trace!(target: TARGET, %peer, alpn = ?info.alpn_protocol().map(String::from_utf8_lossy),
                client_certificate = !info.peer_certificates().is_empty(), "TLS handshake done");
            Some((stream, info))
        }
        Some(Err(error)) => {
            counters.tls_failed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(target: TARGET, %peer, %error, "TLS handshake failed");
            None
        }
        None => {
            counters.tls_failed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(target: TARGET, %peer, "TLS handshake timed out");
            None
        }
    }
}

/// The handshake's end, the earliest of its own limit and the header
/// timeout, both counted from the accept.
pub(crate) fn deadline(
    accepted: Instant,
    handshake: Duration,
    header: Option<Duration>,
) -> Option<Instant> {
    let limit = match header {
        Some(header) => handshake.min(header),
        None => handshake,
    };
    accepted.checked_add(limit)
}

/// `future`'s output, or `None` once `deadline` has passed.
async fn until<F: std::future::Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, future).await.ok(),
        None => Some(future.await),
    }
}

/// Resolves once the server leaves normal service; never when the accept
/// loop is gone without a word (the runtime is going down).
async fn stopping(phase: &mut watch::Receiver<Phase>) {
    if phase.wait_for(|now| *now != Phase::Serving).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// What handlers may know of the session.
fn session_info(stream: &TlsStream<TcpStream>) -> TlsInfo {
    let (_, session) = stream.get_ref();
    let mut info = TlsInfo::new();
    if let Some(chain) = session.peer_certificates() {
        info = info.with_peer_certificates(chain.iter().map(|cert| cert.to_vec()).collect());
    }
    if let Some(protocol) = session.alpn_protocol() {
        info = info.with_alpn_protocol(protocol.to_vec());
    }
    if let Some(name) = session.server_name() {
        info = info.with_server_name(name);
    }
    let version = session.protocol_version().map(|version| match version {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
        other => other.as_str().unwrap_or("unknown"),
    });
    let suite = session
        .negotiated_cipher_suite()
        .map(|suite| suite.suite().as_str().unwrap_or("unknown"));
    if let (Some(version), Some(suite)) = (version, suite) {
        info = info.with_session(version, suite);
    }
    info
}

//! The seam for code that does tungstenite's handshake itself and then
//! hands the socket to the driver: `rpc-client`'s `WsClient` (its connect is
//! `tokio_tungstenite::connect_async_tls_with_config`, TLS and all), and the
//! workspace's tests. Not a stable API: hidden from the docs, and tied to
//! the exact `tokio-tungstenite` this crate is built with, which is why it
//! is not on [`Connection`]. Everyone else hands
//! [`Connection::run`] the upgraded byte stream.

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

use super::{CloseReason, Connection, WsConfig};
use crate::{Context, Router};

/// The tungstenite settings that enforce `config`'s limits, for the
/// handshake.
#[must_use]
pub fn tungstenite_config(config: &WsConfig) -> WebSocketConfig {
    config.tungstenite_config()
}

/// [`Connection::run`] on a socket tungstenite's handshake made.
pub async fn run<S>(
    connection: Connection,
    socket: WebSocketStream<S>,
    router: Arc<Router>,
    ctx: Context,
) -> CloseReason
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    connection
        .run_socket_until(socket, router, ctx, std::future::pending())
        .await
}

/// [`Connection::run_until`] on a socket tungstenite's handshake made.
pub async fn run_until<S, F>(
    connection: Connection,
    socket: WebSocketStream<S>,
    router: Arc<Router>,
    ctx: Context,
    shutdown: F,
) -> CloseReason
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: Future<Output = ()>,
{
    connection
        .run_socket_until(socket, router, ctx, shutdown)
        .await
}

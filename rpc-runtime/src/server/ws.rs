//! Where WebSocket joins the HTTP server: a `GET` with `Upgrade: websocket`
//! on the endpoint is answered `101 Switching Protocols`, and the upgraded
//! socket is handed to the shared connection driver ([`crate::ws`]).
//!
//! The upgraded connection keeps its slot under `max_connections` for as
//! long as it lives, and follows the server's shutdown: on draining it stops
//! taking calls, finishes those in flight and sends a close frame (1001); at
//! the shutdown deadline it is dropped. A socket upgraded through a mounted
//! [`RpcService`](super::RpcService) follows that service's
//! [`shutdown`](super::RpcService::shutdown) the same way.
//!
//! The upgrade request's head and extensions (hyper's upgrade handle taken
//! out) stay in the connection's context for its whole life.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::header::HeaderName;
use http::header::{
    HeaderValue, CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION,
    UPGRADE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use super::body::RpcBody;
use super::connection::{OpenConnection, Phase};
use super::http::{reject, HttpState, Origin};
use crate::ws::{CloseReason, Connection};
use crate::{Context, ContextBuilder, Refusal, RequestHead};

const TARGET: &str = "rpc_runtime::ws";

/// Whether `request` asks to become a WebSocket (an HTTP/1.1 `GET` with
/// `Connection: upgrade` and `Upgrade: websocket`).
pub(crate) fn is_upgrade<B>(request: &Request<B>) -> bool {
    request.method() == Method::GET
        && has_token(request.headers(), UPGRADE, "websocket")
        && has_token(request.headers(), CONNECTION, "upgrade")
}

/// Answers an upgrade request with `101` and serves the WebSocket on the
/// upgraded connection; a malformed handshake is `400` (`426` for a version
/// other than 13).
pub(crate) async fn upgrade<B>(
    state: &Arc<HttpState>,
    mut request: Request<B>,
    origin: Origin<'_>,
) -> Response<RpcBody> {
    let headers = request.headers();
    if !has_token(headers, SEC_WEBSOCKET_VERSION, "13") {
        tracing::debug!(target: TARGET, peer = ?origin.peer, "upgrade refused: unsupported WebSocket version");
        let mut response = reject(
            StatusCode::UPGRADE_REQUIRED,
            &Refusal::BadUpgrade("WebSocket version 13 is required"),
        );
        response
            .headers_mut()
            .insert(SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return response;
    }
    let Some(accept) = headers
        .get(SEC_WEBSOCKET_KEY)
        .map(|key| derive_accept_key(key.as_bytes()))
    else {
        tracing::debug!(target: TARGET, peer = ?origin.peer, "upgrade refused: no Sec-WebSocket-Key");
        return reject(
            StatusCode::BAD_REQUEST,
            &Refusal::BadUpgrade("a WebSocket upgrade needs a Sec-WebSocket-Key header"),
        );
    };
    let Ok(accept) = HeaderValue::from_str(&accept) else {
        // A base64 digest is always a valid header value.
        return reject(
            StatusCode::BAD_REQUEST,
            &Refusal::BadUpgrade("bad Sec-WebSocket-Key"),
        );
    };
    let (phase, hold) = match origin.connection {
        Some(connection) => (
            connection.phase(),
            Hold::Connection {
                _slot: Arc::clone(connection),
            },
        ),
        None => {
            let phase = state.sockets.subscribe();
            if *phase.borrow() != Phase::Serving {
                tracing::debug!(target: TARGET, peer = ?origin.peer, "upgrade refused: shutting down");
                return reject(StatusCode::SERVICE_UNAVAILABLE, &Refusal::ShuttingDown);
            }
            (
                phase,
                Hold::Mounted {
                    _count: MountedSocket::open(state),
                },
            )
        }
    };
    // Takes hyper's upgrade handle out of the extensions, which the head
    // then keeps.
    let on_upgrade = hyper::upgrade::on(&mut request);
    let head = detached_head(request);
    let state = Arc::clone(state);
    let peer = origin.peer;
    let mut context = Context::builder().request_head(head);
    if let Some(peer) = peer {
        context = context.peer_addr(peer);
    }
    #[cfg(feature = "tls")]
    if let Some(tls) = origin.tls() {
        // The session is the connection's: every call on the socket sees it.
        context = context.shared_tls(tls);
    }
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(target: TARGET, ?peer, %error, "upgrade failed");
                return;
            }
        };
        // Boxed so the task holds only what the open socket needs, not
        // room for the handshake's state beside it: an idle connection's
        // memory is mostly this future.
        Box::pin(run_socket(upgraded, state, context, peer, phase, hold)).await;
    });
    let mut response = Response::new(RpcBody::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// A copy of the upgrade request's head that owns its bytes, with the
/// request's extensions.
///
/// hyper hands out header values (and the URI) as slices of the
/// connection's read buffer; kept in the context as they are, they would
/// pin that whole buffer (16 KiB) for the life of the socket.
fn detached_head<B>(mut request: Request<B>) -> RequestHead {
    let extensions = std::mem::take(request.extensions_mut());
    let mut headers = HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        let name =
            HeaderName::from_bytes(name.as_str().as_bytes()).unwrap_or_else(|_| name.clone());
        let value = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        headers.append(name, value);
    }
    let uri = request.uri();
    RequestHead {
        method: request.method().clone(),
        uri: uri.to_string().parse().unwrap_or_else(|_| uri.clone()),
        version: request.version(),
        headers,
        extensions,
    }
}

/// Serves one upgraded connection to its end.
async fn run_socket(
    upgraded: hyper::upgrade::Upgraded,
    state: Arc<HttpState>,
    context: ContextBuilder,
    peer: Option<std::net::SocketAddr>,
    phase: watch::Receiver<Phase>,
    hold: Hold,
) {
    let config = state.config.ws.clone();
    let socket = WebSocketStream::from_raw_socket(
        TokioIo::new(upgraded),
        Role::Server,
        Some(config.tungstenite_config()),
    )
    .await;
    let driver = Connection::server(config);
    let ctx = driver.context(context);
    tracing::debug!(target: TARGET, ?peer, "WebSocket connection opened");
    let reason = serve(driver, socket, &state, ctx, phase, hold).await;
    tracing::debug!(target: TARGET, ?peer, %reason, "WebSocket connection ended");
}

/// Runs the driver, following the shutdown `phase`: the server
/// connection's when the socket belongs to one, the mounted service's
/// otherwise; `hold` (the connection's slot, or the mounted service's count)
/// is let go when the socket ends.
async fn serve<S>(
    driver: Connection,
    socket: WebSocketStream<S>,
    state: &HttpState,
    ctx: Context,
    phase: watch::Receiver<Phase>,
    hold: Hold,
) -> CloseReason
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut draining = phase.clone();
    let mut closing = phase;
    let run = driver.run_socket_until(socket, Arc::clone(&state.router), ctx, async move {
        wait_for(&mut draining, |phase| phase != Phase::Serving).await;
    });
    let reason = tokio::select! {
        reason = run => reason,
        () = wait_for(&mut closing, |phase| phase == Phase::Closing) => CloseReason::Shutdown,
    };
    // Let go before the last phase receiver is, whose going ends a drain.
    drop(hold);
    reason
}

/// What an upgraded socket holds on to while it lives.
enum Hold {
    /// The server connection it was upgraded on: its slot under
    /// `max_connections`, which the server's shutdown waits for.
    Connection { _slot: Arc<OpenConnection> },
    /// Its place in the count of a mounted service's sockets.
    Mounted { _count: MountedSocket },
}

/// A socket upgraded through a mounted service, counted while it lives.
struct MountedSocket(Arc<HttpState>);

impl MountedSocket {
    fn open(state: &Arc<HttpState>) -> Self {
        state.sockets_open.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(state))
    }
}

impl Drop for MountedSocket {
    fn drop(&mut self) {
        self.0.sockets_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Waits until the phase satisfies `done`; forever if the accept loop is gone
/// without saying so (the runtime is going down and will drop this task).
async fn wait_for(phase: &mut watch::Receiver<Phase>, done: impl Fn(Phase) -> bool) {
    if phase.wait_for(|p| done(*p)).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Whether a comma-separated header holds `token` (any case).
fn has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value: &HeaderValue| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn recognises_upgrade_requests() {
        let upgrade = Request::get("/")
            .header("connection", "keep-alive, Upgrade")
            .header("upgrade", "WebSocket")
            .body(())
            .unwrap();
        assert!(is_upgrade(&upgrade));
        let plain_get = Request::get("/").body(()).unwrap();
        assert!(!is_upgrade(&plain_get));
        let post = Request::post("/")
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .body(())
            .unwrap();
        assert!(!is_upgrade(&post));
    }
}

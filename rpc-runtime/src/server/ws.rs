//! The seam where WebSocket joins the HTTP server: a `GET` with
//! `Upgrade: websocket` on the endpoint is handed to [`upgrade`].
//!
//! The WebSocket connection driver (`crate::ws`, feature `ws`) plugs in
//! here; until it does, an upgrade request is answered `501`.

use std::sync::Arc;

use http::header::{HeaderValue, CONNECTION, UPGRADE};
use http::{HeaderMap, Method, Request, Response, StatusCode};

use super::body::RpcBody;
use super::http::{reject, HttpState, Origin};
use crate::protocol::codes;

/// Whether `request` asks to become a WebSocket (an HTTP/1.1 `GET` with
/// `Connection: upgrade` and `Upgrade: websocket`).
pub(crate) fn is_upgrade<B>(request: &Request<B>) -> bool {
    request.method() == Method::GET
        && has_token(request.headers(), UPGRADE, "websocket")
        && has_token(request.headers(), CONNECTION, "upgrade")
}

/// Answers an upgrade request.
///
/// For the driver: `state` has the router and limits; the socket comes from
/// `hyper::upgrade::on(&mut request)` once the `101` response is sent (the
/// server's connections are served with upgrades on). When
/// `origin.connection` is set, keep a clone of that `Arc` for as long as the
/// WebSocket lives: it holds the connection's slot under `max_connections`
/// and makes the server's shutdown wait for it; follow its `phase()` to
/// close on `Draining` (and stop at once on `Closing`). In another tower
/// stack (`origin.connection` is `None`) that stack owns the connection.
pub(crate) async fn upgrade<B>(
    _state: &Arc<HttpState>,
    _request: Request<B>,
    origin: Origin<'_>,
) -> Response<RpcBody> {
    tracing::debug!(target: "rpc_runtime::http", peer = ?origin.peer, "WebSocket upgrade refused: not built yet");
    reject(
        StatusCode::NOT_IMPLEMENTED,
        codes::INVALID_REQUEST,
        "WebSocket support is not built yet",
    )
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

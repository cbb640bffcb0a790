//! Our toolkit: the API as a core `Router`, and the transport serving it.
//!
//! The project's own HTTP + WebSocket server (`rpc_runtime::server`) is not
//! on main yet. Until it is, [`serve`] is a minimal stand-in that moves text
//! between sockets and `Router::handle`; swapping in the real server touches
//! only [`serve`] and [`TRANSPORT`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, Router};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::BoxError;

/// What serves our router in this benchmark; printed with the results so a
/// reader knows which transport the "ours" figures measure.
pub(crate) const TRANSPORT: &str =
    "STAND-IN transport (bench/src/servers/ours.rs: hyper http1 + tungstenite, \
     one task per connection) pending rpc_runtime::server";

/// The benchmark API: `add(a, b)` and `echo(s)`, positional or named.
pub(crate) fn router() -> Result<Router, BoxError> {
    let mut router = Router::new();
    router.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })?;
    router.register_sync("echo", |p, _| {
        let (s,): (String,) = p.decode(&["s"])?;
        Ok::<_, ErrorObjectOwned>(s)
    })?;
    Ok(router)
}

/// Serves `router` over HTTP POST and WebSocket on one port.
///
/// TEMPORARY: replace the body with the real server once it lands, e.g.
/// `let handle = rpc_runtime::server::Server::builder().build(router).bind(addr).await?;`
/// then keep `handle` alive in a task and return `handle.local_addr()`.
pub(crate) async fn serve(router: Router, addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = Arc::new(router);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let router = router.clone();
            tokio::spawn(async move {
                let ctx = Context::new();
                let service =
                    hyper::service::service_fn(move |req| answer(router.clone(), ctx.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok(bound)
}

type Reply = Response<Full<Bytes>>;

async fn answer(
    router: Arc<Router>,
    ctx: Context,
    req: Request<Incoming>,
) -> Result<Reply, Infallible> {
    if let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY) {
        let accept = derive_accept_key(key.as_bytes());
        tokio::spawn(async move {
            if let Ok(upgraded) = hyper::upgrade::on(req).await {
                let ws =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                serve_websocket(ws, &router, &ctx).await;
            }
        });
        return Ok(Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_ACCEPT, accept)
            .body(Full::default())
            .unwrap_or_default());
    }
    if req.method() != Method::POST {
        return Ok(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let Ok(body) = req.into_body().collect().await.map(|b| b.to_bytes()) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    Ok(match router.handle(text, &ctx).await {
        Some(reply) => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(reply)))
            .unwrap_or_default(),
        None => status(StatusCode::NO_CONTENT),
    })
}

async fn serve_websocket(
    mut ws: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    router: &Router,
    ctx: &Context,
) {
    while let Some(Ok(message)) = ws.next().await {
        let reply = match message {
            Message::Text(text) => router.handle(text.as_str(), ctx).await,
            Message::Close(_) => break,
            _ => None,
        };
        if let Some(reply) = reply {
            if ws.send(Message::text(reply)).await.is_err() {
                break;
            }
        }
    }
}

fn status(code: StatusCode) -> Reply {
    let mut response = Response::new(Full::default());
    *response.status_mut() = code;
    response
}

//! Tower layers on the standalone server (`ServerBuilder::layer`) and the
//! request extensions they insert, seen by handlers over HTTP and WebSocket;
//! the server's own limits under layers; and the service mounted in axum:
//! the peer address from `ConnectInfo`, and WebSocket drain on shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Request, StatusCode};
use http_body_util::Full;
use http_server_support::{call_text, post, test_router, H1};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{RpcService, Server, ServerHandle, Shutdown};
use rpc_runtime::Router;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tower::util::MapRequestLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

/// Request ids `1`, `2`, ... in order.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicU64>);

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
        Some(RequestId::new(n.to_string().parse().unwrap()))
    }
}

/// Which layers a request went through, in order.
#[derive(Clone, Debug, Default)]
struct Trail(Vec<&'static str>);

fn mark<B>(name: &'static str) -> impl Fn(Request<B>) -> Request<B> + Clone {
    move |mut request: Request<B>| {
        let mut trail = request
            .extensions_mut()
            .remove::<Trail>()
            .unwrap_or_default();
        trail.0.push(name);
        request.extensions_mut().insert(trail);
        request
    }
}

/// The test router, and methods that show what layers left behind.
fn router(started: Arc<Notify>) -> Router {
    let mut router = test_router(started);
    router
        .register_sync("big", |_, _| Ok::<_, ErrorObjectOwned>("abc".repeat(4000)))
        .unwrap();
    router
        .register_sync("extensions", |_, ctx| {
            let ext = ctx.extensions().expect("HTTP calls carry extensions");
            Ok::<_, ErrorObjectOwned>(serde_json::json!({
                "request_id": ext
                    .get::<RequestId>()
                    .map(|id| id.header_value().to_str().unwrap().to_owned()),
                "trail": ext.get::<Trail>().map(|trail| trail.0.clone()),
                "upgrade_handle": ext.get::<hyper::upgrade::OnUpgrade>().is_some(),
                "transport": ctx.transport(),
            }))
        })
        .unwrap();
    router
}

/// A standalone server with every kind of layer the tests use.
async fn layered(max_body_size: usize) -> (ServerHandle, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let handle = Server::builder()
        .layer(TraceLayer::new_for_http())
        .layer(CompressionLayer::new())
        .layer(SetRequestIdLayer::x_request_id(Counter::default()))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(MapRequestLayer::new(mark("outer")))
        .layer(MapRequestLayer::new(mark("inner")))
        .max_body_size(max_body_size)
        .build(router(Arc::clone(&started)))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    (handle, started)
}

fn gunzip(bytes: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn compression_layer_gzips_a_large_reply_for_a_client_that_accepts_it() {
    let (server, _) = layered(1024 * 1024).await;
    let mut client = H1::connect(server.local_addr()).await;

    let plain = client.call(&call_text("big", "[]")).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.headers.get("content-encoding"), None);
    assert_eq!(plain.json()["result"], "abc".repeat(4000));

    let mut request = post(&call_text("big", "[]"));
    request
        .headers_mut()
        .insert("accept-encoding", "gzip".parse().unwrap());
    let gzipped = client.send(request).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.headers["content-encoding"], "gzip");
    assert_eq!(gzipped.content_type(), Some("application/json"));
    assert_ne!(gzipped.body, plain.body);
    assert!(gzipped.body.len() < plain.body.len() / 10);
    assert_eq!(gunzip(&gzipped.body), plain.text());
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn extensions_a_layer_inserts_reach_the_handler_over_http() {
    let (server, _) = layered(1024 * 1024).await;
    let mut client = H1::connect(server.local_addr()).await;
    let first = client.call(&call_text("extensions", "[]")).await.json()["result"].clone();
    let second = client.call(&call_text("extensions", "[]")).await.json()["result"].clone();
    assert_eq!(first["transport"], "http");
    assert_eq!(first["request_id"], "1");
    assert_eq!(second["request_id"], "2");
    // The first `.layer()` is the outermost: it saw the request first.
    assert_eq!(first["trail"], serde_json::json!(["outer", "inner"]));
    assert_eq!(first["upgrade_handle"], false);
    // The propagating layer echoes the id on the response.
    let reply = client.call(&call_text("add", "[1,2]")).await;
    assert_eq!(reply.headers["x-request-id"], "3");
    assert_eq!(reply.json()["result"], 3);
    // Handlers still see the head and the peer address under layers.
    let seen = client.call(&call_text("whoami", "[]")).await.json()["result"].clone();
    assert_eq!(seen["peer"], client.local_addr.to_string());
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn websocket_upgrades_work_through_layers_and_keep_the_upgrade_requests_extensions() {
    let (server, _) = layered(1024 * 1024).await;
    // One HTTP call first, so the upgrade request gets id 2.
    let mut client = H1::connect(server.local_addr()).await;
    assert_eq!(
        client.call(&call_text("extensions", "[]")).await.json()["result"]["request_id"],
        "1"
    );

    let url = format!("ws://{}/", server.local_addr());
    let (mut socket, response) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    for id in 1..=2 {
        socket
            .send(Message::text(format!(
                r#"{{"jsonrpc":"2.0","method":"extensions","id":{id}}}"#
            )))
            .await
            .unwrap();
        let reply = socket.next().await.unwrap().unwrap();
        let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
        let seen = &reply["result"];
        assert_eq!(seen["transport"], "ws", "{reply}");
        // Every call of the connection, the later one included, sees the
        // upgrade request's extensions; hyper's upgrade handle is gone.
        assert_eq!(seen["request_id"], "2", "{reply}");
        assert_eq!(seen["trail"], serde_json::json!(["outer", "inner"]));
        assert_eq!(seen["upgrade_handle"], false);
    }
    socket
        .send(Message::text(call_text("add", "[20,22]")))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(
        reply.to_text().unwrap(),
        r#"{"jsonrpc":"2.0","result":42,"id":1}"#
    );

    // The server's shutdown still drains the socket upgraded under layers.
    let stopping = tokio::spawn(async move { server.shutdown(Duration::from_secs(5)).await });
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Away));
    // Reading on sends tungstenite's reply to the close, ending the socket.
    assert!(socket.next().await.is_none_or(|frame| frame.is_err()));
    assert_eq!(stopping.await.unwrap(), Shutdown::Graceful);
}

#[tokio::test]
async fn a_layered_server_still_enforces_its_body_limit() {
    let (server, _) = layered(256).await;
    let mut client = H1::connect(server.local_addr()).await;
    let padded = format!("{}{}", call_text("add", "[1,2]"), " ".repeat(300));
    let reply = client.call(&padded).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.assert_rpc_error(-32002);
    // And the request under the limit is answered on the same connection.
    assert_eq!(
        client.call(&call_text("add", "[1,2]")).await.json()["result"],
        3
    );
    server.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_layered_server_shuts_down_gracefully() {
    let (server, started) = layered(1024 * 1024).await;
    let addr = server.local_addr();
    let mut client = H1::connect(addr).await;
    let slow = tokio::spawn(async move { client.call(&call_text("sleep", "[300]")).await });
    started.notified().await;
    let outcome = server.shutdown(Duration::from_secs(5)).await;
    assert_eq!(outcome, Shutdown::Graceful);
    let reply = slow.await.unwrap();
    assert_eq!(reply.json()["result"], "slept");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert_eq!(server.connections_active(), 0);
}

#[tokio::test]
async fn a_failing_layer_is_answered_500_with_a_json_rpc_error() {
    let started = Arc::new(Notify::new());
    let server = Server::builder()
        .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(
            100,
        )))
        .build(router(started))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let mut client = H1::connect(server.local_addr()).await;
    let reply = client.call(&call_text("sleep", "[2000]")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    reply.assert_rpc_error(-32603);
    assert_eq!(
        client.call(&call_text("add", "[1,2]")).await.json()["result"],
        3
    );
    server.shutdown(Duration::from_secs(5)).await;
}

async fn close_code<S>(socket: &mut tokio_tungstenite::WebSocketStream<S>) -> Option<CloseCode>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("the server closes the socket in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// The router mounted at `/rpc` in axum, served with `ConnectInfo`.
async fn mounted() -> (SocketAddr, RpcService) {
    let rpc = RpcService::new(router(Arc::new(Notify::new())))
        .peer_addr_from(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|info| info.0));
    let app = axum::Router::new().route_service("/rpc", rpc.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (addr, rpc)
}

#[tokio::test]
async fn axum_connect_info_reaches_the_handler() {
    let (addr, _) = mounted().await;
    let mut client = H1::connect(addr).await;
    let request = Request::post("/rpc")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(call_text("whoami", "[]"))))
        .unwrap();
    let seen = client.send(request).await.json()["result"].clone();
    assert_eq!(seen["peer"], client.local_addr.to_string());
    assert_eq!(seen["uri"], "/rpc");
}

#[tokio::test]
async fn websockets_through_the_mounted_service_are_drained_with_1001() {
    let (addr, rpc) = mounted().await;
    let url = format!("ws://{addr}/rpc");
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    socket
        .send(Message::text(call_text("whoami", "[]")))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    let reply: serde_json::Value = serde_json::from_str(reply.to_text().unwrap()).unwrap();
    assert_eq!(reply["result"]["transport"], "ws");
    assert!(reply["result"]["peer"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert_eq!(rpc.websockets_active(), 1);

    // A call in flight finishes before the close.
    socket
        .send(Message::text(
            r#"{"jsonrpc":"2.0","method":"sleep","params":[200],"id":"slow"}"#,
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let draining = rpc.clone();
    let stopping = tokio::spawn(async move { draining.shutdown(Duration::from_secs(5)).await });
    let reply = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        reply.to_text().unwrap(),
        r#"{"jsonrpc":"2.0","result":"slept","id":"slow"}"#
    );
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Away));
    assert!(socket.next().await.is_none_or(|frame| frame.is_err()));
    assert_eq!(stopping.await.unwrap(), Shutdown::Graceful);
    assert_eq!(rpc.websockets_active(), 0);

    // Once drained, the service refuses new upgrades.
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        other => panic!("expected a 503, got {:?}", other.map(|(_, r)| r.status())),
    }
}

#[tokio::test]
async fn a_websocket_that_outlives_the_grace_period_is_dropped() {
    let (addr, rpc) = mounted().await;
    let url = format!("ws://{addr}/rpc");
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    socket
        .send(Message::text(call_text("sleep", "[5000]")))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let outcome = rpc.shutdown(Duration::from_millis(100)).await;
    assert_eq!(outcome, Shutdown::Forced { connections: 1 });
    assert_eq!(rpc.websockets_active(), 0);
}

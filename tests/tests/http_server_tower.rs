//! The router as a tower service mounted in axum, beside a normal page, with
//! tower and axum layers around it (peer address, auth, timeout).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use http_server_support::{call_text, test_router, H1};
use rpc_runtime::server::{RpcService, Server};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceBuilder;

/// Copies axum's `ConnectInfo<SocketAddr>` to the plain `SocketAddr`
/// extension the RPC service reads the peer address from.
fn with_peer_addr(mut request: Request) -> Request {
    if let Some(ConnectInfo(addr)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        request.extensions_mut().insert(addr);
    }
    request
}

async fn require_token(request: Request, next: Next) -> Response {
    match request.headers().get("authorization") {
        Some(value) if value == "Bearer let-me-in" => next.run(request).await,
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn serve_app(rpc: RpcService) -> SocketAddr {
    let rpc = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
            StatusCode::GATEWAY_TIMEOUT
        }))
        .timeout(Duration::from_millis(300))
        .map_request(with_peer_addr)
        .service(rpc);
    let app = axum::Router::new()
        .route_service("/rpc", rpc)
        .route_layer(middleware::from_fn(require_token))
        .route("/", get(|| async { "<h1>hello, page</h1>" }));
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
    addr
}

fn rpc_post(body: &str, token: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut request = http::Request::post("/rpc")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("x-tenant", "acme");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .unwrap()
}

#[tokio::test]
async fn the_api_serves_at_rpc_beside_a_normal_page() {
    let addr = serve_app(RpcService::new(test_router(Arc::new(Notify::new())))).await;
    let mut client = H1::connect(addr).await;

    let page = client
        .send(
            http::Request::get("/")
                .header("host", "localhost")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text(), "<h1>hello, page</h1>");

    let reply = client
        .send(rpc_post(&call_text("add", "[20,22]"), Some("let-me-in")))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), Some("application/json"));
    assert_eq!(reply.text(), r#"{"jsonrpc":"2.0","result":42,"id":1}"#);

    // What the handler sees: the head as axum received it, and the peer
    // address that the layer copied over.
    let seen = client
        .send(rpc_post(&call_text("whoami", "[]"), Some("let-me-in")))
        .await
        .json()["result"]
        .clone();
    assert_eq!(seen["peer"], client.local_addr.to_string());
    assert_eq!(seen["uri"], "/rpc");
    let tenant = client
        .send(rpc_post(
            &call_text("header", r#"["x-tenant"]"#),
            Some("let-me-in"),
        ))
        .await;
    assert_eq!(tenant.json()["result"], "acme");

    // The endpoint's own status codes come through axum unchanged.
    let notification = client
        .send(rpc_post(
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#,
            Some("let-me-in"),
        ))
        .await;
    assert_eq!(notification.status, StatusCode::NO_CONTENT);
    assert!(notification.body.is_empty());
    let mut wrong_type = rpc_post(&call_text("add", "[1,2]"), Some("let-me-in"));
    wrong_type
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(
        client.send(wrong_type).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

#[tokio::test]
async fn layers_around_the_service_apply() {
    let addr = serve_app(RpcService::new(test_router(Arc::new(Notify::new())))).await;
    let mut client = H1::connect(addr).await;

    // The auth middleware turns away calls without the token.
    let refused = client
        .send(rpc_post(&call_text("add", "[1,2]"), None))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let wrong = client
        .send(rpc_post(&call_text("add", "[1,2]"), Some("guess")))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    // tower's timeout cuts off a call slower than 300 ms.
    let slow = client
        .send(rpc_post(&call_text("sleep", "[5000]"), Some("let-me-in")))
        .await;
    assert_eq!(slow.status, StatusCode::GATEWAY_TIMEOUT);
    let quick = client
        .send(rpc_post(&call_text("sleep", "[1]"), Some("let-me-in")))
        .await;
    assert_eq!(quick.json()["result"], "slept");
}

#[tokio::test]
async fn a_servers_limits_carry_over_to_its_service() {
    let server = Server::builder()
        .max_body_size(256)
        .method_map(true)
        .build(test_router(Arc::new(Notify::new())));
    let addr = serve_app(server.service()).await;
    let mut client = H1::connect(addr).await;

    let padded = format!("{}{}", call_text("add", "[1,2]"), " ".repeat(300));
    let reply = client.send(rpc_post(&padded, Some("let-me-in"))).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    reply.assert_rpc_error(-32002);

    let map = client
        .send(
            http::Request::get("/rpc")
                .header("host", "localhost")
                .header("authorization", "Bearer let-me-in")
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await;
    assert_eq!(map.status, StatusCode::OK);
    assert_eq!(map.json()["methods"][0]["name"], "add");
}

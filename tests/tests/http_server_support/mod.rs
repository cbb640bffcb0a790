//! What the HTTP server tests share: a router whose methods expose what a
//! handler sees, a server on `127.0.0.1:0`, and small HTTP/1.1 and HTTP/2
//! clients built on hyper's connection API (one TCP connection each, so the
//! tests know exactly which connection a request used).
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Version};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{ServerBuilder, ServerHandle};
use rpc_runtime::Router;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// A router for the transport tests. `started` is notified when a `sleep`
/// call begins, so a test knows the call is in flight.
pub fn test_router(started: Arc<Notify>) -> Router {
    let mut router = Router::new();
    router
        .register_sync("add", |params, _| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap()
        .with_params(&["a", "b"]);
    router
        .register_sync("header", |params, ctx| {
            let (name,): (String,) = params.decode(&["name"])?;
            let head = ctx
                .request_head()
                .expect("HTTP calls carry the request head");
            Ok::<_, ErrorObjectOwned>(head.header(&name).map(str::to_owned))
        })
        .unwrap()
        .with_params(&["name"]);
    router
        .register_sync("cookie", |params, ctx| {
            let (name,): (String,) = params.decode(&["name"])?;
            let head = ctx
                .request_head()
                .expect("HTTP calls carry the request head");
            Ok::<_, ErrorObjectOwned>(head.cookie(&name).map(str::to_owned))
        })
        .unwrap()
        .with_params(&["name"]);
    router
        .register_sync("whoami", |_, ctx| {
            let head = ctx
                .request_head()
                .expect("HTTP calls carry the request head");
            Ok::<_, ErrorObjectOwned>(serde_json::json!({
                "peer": ctx.peer_addr().map(|a| a.to_string()),
                "transport": ctx.transport(),
                "uri": head.uri.to_string(),
                "method": head.method.as_str(),
            }))
        })
        .unwrap();
    router
        .register_async("sleep", move |params, _| {
            let ms = params.decode::<(u64,)>(&["ms"]).map(|(ms,)| ms);
            let started = Arc::clone(&started);
            async move {
                let ms = ms?;
                started.notify_one();
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>("slept")
            }
        })
        .unwrap()
        .with_params(&["ms"]);
    router
        .register_sync("boom", |_, _| -> Result<(), ErrorObjectOwned> {
            panic!("the handler blew up")
        })
        .unwrap();
    router
}

/// A server for `router` with `builder`'s settings, on a free port.
pub async fn start(builder: ServerBuilder, router: Router) -> ServerHandle {
    builder
        .build(router)
        .bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// A server with default settings and the test router.
pub async fn start_default() -> (ServerHandle, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let handle = start(
        rpc_runtime::server::Server::builder(),
        test_router(Arc::clone(&started)),
    )
    .await;
    (handle, started)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().expect("ASCII content type"))
    }

    /// Asserts a JSON-RPC error response with id null and `code`.
    pub fn assert_rpc_error(&self, code: i64) -> Value {
        assert_eq!(self.content_type(), Some("application/json"), "{self:?}");
        let body = self.json();
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].is_string(), "{body}");
        body
    }
}

async fn read(response: http::Response<hyper::body::Incoming>) -> Reply {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read the body").to_bytes();
    Reply {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    }
}

/// One HTTP/1.1 connection; requests go one after another on it.
pub struct H1 {
    sender: http1::SendRequest<Full<Bytes>>,
    pub local_addr: SocketAddr,
}

impl H1 {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let local_addr = stream.local_addr().expect("local addr");
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        Self { sender, local_addr }
    }

    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Reply {
        self.try_send(request).await.expect("send the request")
    }

    pub async fn try_send(&mut self, request: Request<Full<Bytes>>) -> hyper::Result<Reply> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        Ok(read(response).await)
    }

    pub async fn call(&mut self, body: &str) -> Reply {
        self.send(post(body)).await
    }
}

/// One HTTP/2 connection (prior knowledge, no upgrade dance).
#[derive(Clone)]
pub struct H2 {
    sender: http2::SendRequest<Full<Bytes>>,
}

impl H2 {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
        tokio::spawn(connection);
        Self { sender }
    }

    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Reply {
        self.try_send(request).await.expect("send the request")
    }

    pub async fn try_send(&mut self, request: Request<Full<Bytes>>) -> hyper::Result<Reply> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        Ok(read(response).await)
    }
}

/// A `POST /` with `content-type: application/json` and `body`.
pub fn post(body: &str) -> Request<Full<Bytes>> {
    post_with("application/json", body)
}

/// A `POST /` with the given content type and `body`.
pub fn post_with(content_type: &str, body: &str) -> Request<Full<Bytes>> {
    Request::post("/")
        .header("host", "localhost")
        .header("content-type", content_type)
        .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
        .expect("valid request")
}

/// A call to `method` with `params` (JSON text) and id 1.
pub fn call_text(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#)
}

/// Sends raw bytes on a fresh connection, then reads until the server
/// closes it; the request should ask for `connection: close`.
pub async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server answers and closes in time")
        .expect("read");
    out
}

/// Waits (up to 5 s) until `check` holds.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

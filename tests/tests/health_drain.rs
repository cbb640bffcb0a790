//! The health endpoints and the drain on real sockets: `/health` and
//! `/ready` (default, moved, switched off), readiness set by the
//! application, and `ServerHandle::drain`: readiness `503` at once, normal
//! service through the drain delay, calls in flight finished, WebSockets
//! closed with `1001`, the port closed at the end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use http_server_support::{
    call_text, eventually, post, raw_exchange, start, test_router, Reply, H1, H2,
};
use rpc_runtime::server::{RpcService, Server, ServerBuilder, ServerHandle, Shutdown};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

/// A request with no body and no content type, as a probe sends it.
fn probe(method: Method, path: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A `GET path` on a fresh connection.
async fn get(addr: SocketAddr, path: &str) -> Reply {
    H1::connect(addr).await.send(probe(Method::GET, path)).await
}

/// Asserts a health answer: `status` and the JSON body `{"status":word}`.
fn assert_health(reply: &Reply, status: StatusCode, word: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.content_type(), Some("application/json"), "{reply:?}");
    assert_eq!(
        reply
            .headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{reply:?}"
    );
    assert_eq!(reply.text(), format!(r#"{{"status":"{word}"}}"#));
}

async fn server(builder: ServerBuilder) -> (ServerHandle, Arc<Notify>) {
    let started = Arc::new(Notify::new());
    let handle = start(builder, test_router(Arc::clone(&started))).await;
    (handle, started)
}

async fn add(client: &mut H1) -> Value {
    let reply = client.call(&call_text("add", "[2,3]")).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.json()["result"].clone()
}

/// Sends a WebSocket call and waits for its answer.
async fn ws_add<S>(socket: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket
        .send(Message::text(call_text("add", "[20,22]")))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer in time")
        .expect("the socket is open")
        .unwrap();
    let text = answer.into_text().unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["result"].clone()
}

async fn refused(addr: SocketAddr) -> bool {
    TcpStream::connect(addr).await.is_err()
}

#[tokio::test]
async fn default_paths_answer_liveness_and_readiness() {
    let (handle, _) = server(Server::builder()).await;
    let addr = handle.local_addr();
    assert_health(&get(addr, "/health").await, StatusCode::OK, "ok");
    assert_health(&get(addr, "/ready").await, StatusCode::OK, "ready");
    // The query is not part of the path.
    assert_health(
        &get(addr, "/ready?from=kubelet").await,
        StatusCode::OK,
        "ready",
    );
    assert!(handle.is_ready());
    assert!(!handle.is_draining());

    // HEAD: the status and headers, no body.
    let mut client = H1::connect(addr).await;
    let head = client.send(probe(Method::HEAD, "/health")).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.content_type(), Some("application/json"));
    assert_eq!(
        head.headers["content-length"], "15",
        "the GET body's length"
    );
    assert!(head.body.is_empty(), "{head:?}");
    // ... and the connection goes on (nothing stray was written after it).
    assert_eq!(add(&mut client).await, 5);

    // Over HTTP/2 as well.
    let mut h2 = H2::connect(addr).await;
    assert_health(
        &h2.send(probe(Method::GET, "/ready")).await,
        StatusCode::OK,
        "ready",
    );
    let head = h2.send(probe(Method::HEAD, "/ready")).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(
        head.headers["content-length"], "18",
        "the GET body's length"
    );
    assert!(head.body.is_empty(), "{head:?}");

    // Other methods on a health path: 405, GET and HEAD allowed.
    for method in [Method::POST, Method::PUT, Method::DELETE] {
        let reply = client.send(probe(method.clone(), "/health")).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.headers["allow"], "GET, HEAD", "{method}");
        reply.assert_rpc_error(-32600);
    }
    // Even a well-formed JSON-RPC POST: the path is the probes'.
    let mut call = post(&call_text("add", "[1,1]"));
    *call.uri_mut() = "/ready".parse().unwrap();
    let reply = client.send(call).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);

    // A raw request without a Host header or content type is answered too.
    let raw = raw_exchange(addr, b"GET /health HTTP/1.1\r\nconnection: close\r\n\r\n").await;
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.ends_with(r#"{"status":"ok"}"#), "{raw}");

    // Every other path is the API, as before.
    assert_eq!(get(addr, "/").await.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        get(addr, "/healthz").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        handle.shutdown(Duration::from_secs(5)).await,
        Shutdown::Graceful
    );
}

#[tokio::test]
async fn health_answers_go_around_the_layers() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&seen);
    // A layer that counts what passes through it (an auth layer would sit
    // there): the probes must not depend on it.
    let handle = Server::builder()
        .layer(tower::util::MapRequestLayer::new(
            move |request: Request<hyper::body::Incoming>| {
                counted.fetch_add(1, Ordering::Relaxed);
                request
            },
        ))
        .build(test_router(Arc::new(Notify::new())))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = handle.local_addr();
    let mut client = H1::connect(addr).await;
    for _ in 0..3 {
        let reply = client.send(probe(Method::GET, "/health")).await;
        assert_health(&reply, StatusCode::OK, "ok");
        let reply = client.send(probe(Method::GET, "/ready")).await;
        assert_health(&reply, StatusCode::OK, "ready");
    }
    assert_eq!(
        seen.load(Ordering::Relaxed),
        0,
        "no probe went through the layer"
    );
    assert_eq!(add(&mut client).await, 5);
    assert_eq!(seen.load(Ordering::Relaxed), 1, "the call did");
    handle.set_ready(false);
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::SERVICE_UNAVAILABLE, "not ready");
}

#[tokio::test]
async fn custom_paths_replace_the_default_ones() {
    let (handle, _) = server(Server::builder().health_paths("/livez", "readyz")).await;
    let addr = handle.local_addr();
    assert_health(&get(addr, "/livez").await, StatusCode::OK, "ok");
    assert_health(&get(addr, "/readyz").await, StatusCode::OK, "ready");
    // The default paths are now the API's: a plain GET is 405 as on any
    // path, a JSON-RPC POST is a call.
    for path in ["/health", "/ready"] {
        let reply = get(addr, path).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(reply.headers["allow"], "POST", "{path}");
        let mut call = post(&call_text("add", "[4,4]"));
        *call.uri_mut() = path.parse().unwrap();
        let reply = H1::connect(addr).await.send(call).await;
        assert_eq!(reply.json()["result"], 8, "{path}");
    }
    handle.set_ready(false);
    assert_health(
        &get(addr, "/readyz").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "not ready",
    );
}

#[tokio::test]
async fn switched_off_the_paths_are_the_endpoint_again() {
    let (handle, _) = server(Server::builder().health_checks(false)).await;
    let addr = handle.local_addr();
    let reply = get(addr, "/health").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "POST");
    reply.assert_rpc_error(-32600);
    // With discovery (on by default), a GET for JSON is the OpenRPC document.
    let mut request = probe(Method::GET, "/ready");
    request
        .headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    let reply = H1::connect(addr).await.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["openrpc"], "1.3.2", "{reply:?}");
    let mut call = post(&call_text("add", "[5,5]"));
    *call.uri_mut() = "/health".parse().unwrap();
    assert_eq!(
        H1::connect(addr).await.send(call).await.json()["result"],
        10
    );

    // The method map answers a plain GET there.
    let (handle, _) = server(Server::builder().health_checks(false).method_map(true)).await;
    let reply = get(handle.local_addr(), "/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.json()["methods"].is_array(), "{reply:?}");
}

#[tokio::test]
async fn application_readiness_turns_ready_off_and_on() {
    let (handle, _) = server(Server::builder()).await;
    let addr = handle.local_addr();
    let mut client = H1::connect(addr).await;
    handle.set_ready(false);
    assert!(!handle.is_ready());
    assert!(!handle.is_draining());
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::SERVICE_UNAVAILABLE, "not ready");
    // Liveness and service go on.
    let reply = client.send(probe(Method::GET, "/health")).await;
    assert_health(&reply, StatusCode::OK, "ok");
    assert_eq!(add(&mut client).await, 5);
    // A clone of the handle sets the same readiness.
    handle.clone().set_ready(true);
    assert!(handle.is_ready());
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::OK, "ready");
}

#[tokio::test]
async fn drain_turns_ready_off_at_once_and_serves_through_the_delay() {
    let delay = Duration::from_millis(600);
    let (handle, _) = server(Server::builder().drain_delay(delay)).await;
    let addr = handle.local_addr();
    let mut kept = H1::connect(addr).await;
    assert_eq!(add(&mut kept).await, 5);

    let began = Instant::now();
    let drained = tokio::spawn(handle.drain(Duration::from_secs(5)));
    // At once: before the drain's future has even run.
    assert!(handle.is_draining());
    assert!(!handle.is_ready());
    let reply = kept.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::SERVICE_UNAVAILABLE, "draining");
    // Setting the application ready does not undo a drain.
    handle.set_ready(true);
    assert_health(
        &get(addr, "/ready").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "draining",
    );
    // Meanwhile everything else is served as usual, new connections too.
    assert_health(&get(addr, "/health").await, StatusCode::OK, "ok");
    assert_eq!(add(&mut kept).await, 5);
    assert_eq!(add(&mut H1::connect(addr).await).await, 5);
    assert_eq!(add(&mut H1::connect(addr).await).await, 5);
    assert!(began.elapsed() < delay, "the checks ran within the delay");
    assert!(!handle.is_stopped());

    // A second drain changes nothing; it waits like the first.
    let again = handle.drain(Duration::from_millis(1));
    assert_eq!(drained.await.unwrap(), Shutdown::Graceful);
    assert_eq!(again.await, Shutdown::Graceful);
    assert!(
        began.elapsed() >= delay,
        "the shutdown waited for the delay: {:?}",
        began.elapsed()
    );
    assert!(handle.is_stopped());
    assert!(refused(addr).await, "the port is closed after the drain");
    assert!(kept.try_send(probe(Method::GET, "/health")).await.is_err());
}

#[tokio::test]
async fn a_call_in_flight_when_the_drain_starts_finishes() {
    let (handle, started) = server(Server::builder().drain_delay(Duration::from_millis(100))).await;
    let addr = handle.local_addr();
    let mut client = H1::connect(addr).await;
    // The call outlasts the delay, so it is still running when the
    // shutdown proper begins.
    let call = tokio::spawn(async move { client.call(&call_text("sleep", "[700]")).await });
    started.notified().await;
    let drained = tokio::spawn(handle.drain(Duration::from_secs(10)));
    eventually("the listener is closed after the delay", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
    assert!(!call.is_finished(), "the call is still running");
    let reply = call.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"], "slept");
    assert_eq!(drained.await.unwrap(), Shutdown::Graceful);
}

#[tokio::test]
async fn a_call_still_running_at_the_deadline_is_cut_off() {
    let (handle, started) = server(Server::builder().drain_delay(Duration::from_millis(50))).await;
    let mut client = H1::connect(handle.local_addr()).await;
    let call =
        tokio::spawn(async move { client.try_send(post(&call_text("sleep", "[10000]"))).await });
    started.notified().await;
    let began = Instant::now();
    let outcome = handle.drain(Duration::from_millis(200)).await;
    assert_eq!(outcome, Shutdown::Forced { connections: 1 });
    assert!(began.elapsed() < Duration::from_secs(5));
    assert!(call.await.unwrap().is_err(), "the connection was closed");
}

#[tokio::test]
async fn websockets_are_served_through_the_delay_then_closed_with_1001() {
    let delay = Duration::from_millis(400);
    let (handle, _) = server(Server::builder().drain_delay(delay)).await;
    let url = format!("ws://{}/", handle.local_addr());
    let (mut early, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(ws_add(&mut early).await, 42);

    let began = Instant::now();
    let drained = tokio::spawn(handle.drain(Duration::from_secs(5)));
    // During the delay the socket works and new ones are upgraded.
    assert_eq!(ws_add(&mut early).await, 42);
    let (mut late, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(ws_add(&mut late).await, 42);
    assert!(began.elapsed() < delay, "the checks ran within the delay");

    for socket in [&mut early, &mut late] {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("closed in time")
            .expect("a close frame before the end")
            .unwrap();
        let Message::Close(Some(close)) = frame else {
            panic!("expected a close frame, got {frame:?}");
        };
        assert_eq!(close.code, CloseCode::Away, "{close:?}");
        assert_eq!(u16::from(close.code), 1001);
        assert!(
            began.elapsed() >= delay,
            "closed only after the delay: {:?}",
            began.elapsed()
        );
        // Reading on sends the client's half of the closing handshake, as a
        // client does; the stream then ends.
        let end = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
        assert!(
            matches!(end, Ok(None | Some(Err(_)))),
            "nothing after the close: {end:?}"
        );
    }
    assert_eq!(drained.await.unwrap(), Shutdown::Graceful);
    assert!(refused(handle.local_addr()).await);
}

#[tokio::test]
async fn a_shutdown_during_the_delay_goes_on_at_once() {
    let (handle, _) = server(Server::builder().drain_delay(Duration::from_secs(60))).await;
    let addr = handle.local_addr();
    let drained = tokio::spawn(handle.drain(Duration::from_secs(5)));
    assert_health(
        &get(addr, "/ready").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "draining",
    );
    let began = Instant::now();
    assert_eq!(
        handle.shutdown(Duration::from_secs(5)).await,
        Shutdown::Graceful
    );
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "no wait for the delay"
    );
    assert_eq!(drained.await.unwrap(), Shutdown::Graceful);
    assert!(refused(addr).await);
}

#[tokio::test]
async fn a_plain_shutdown_also_turns_readiness_off() {
    let (handle, started) = server(Server::builder()).await;
    let addr = handle.local_addr();
    let mut client = H1::connect(addr).await;
    let call = tokio::spawn(async move {
        let reply = client.call(&call_text("sleep", "[300]")).await;
        (client, reply)
    });
    started.notified().await;
    let shutdown = tokio::spawn({
        let handle = handle.clone();
        async move { handle.shutdown(Duration::from_secs(5)).await }
    });
    eventually("the shutdown started", || handle.is_draining()).await;
    assert!(!handle.is_ready());
    let (_, reply) = call.await.unwrap();
    assert_eq!(reply.json()["result"], "slept");
    assert_eq!(shutdown.await.unwrap(), Shutdown::Graceful);
}

#[tokio::test]
async fn zero_delay_drain_is_a_shutdown() {
    let (handle, _) = server(Server::builder()).await;
    let addr = handle.local_addr();
    let began = Instant::now();
    assert_eq!(
        handle.drain(Duration::from_secs(5)).await,
        Shutdown::Graceful
    );
    assert!(began.elapsed() < Duration::from_secs(2));
    assert!(refused(addr).await);
}

/// SIGTERM to this process: the handler `drain_on_signal` installed turns
/// it into a drain. A handler of the test's own is installed first, so a
/// signal that arrives before `drain_on_signal` listens cannot kill the test
/// process; the signal is sent until the drain is seen.
#[cfg(unix)]
#[tokio::test]
async fn drain_on_signal_drains_on_sigterm() {
    use tokio::signal::unix::{signal, SignalKind};
    let _guard = signal(SignalKind::terminate()).unwrap();
    let (handle, _) = server(Server::builder().drain_delay(Duration::from_millis(800))).await;
    let addr = handle.local_addr();
    let waiting = tokio::spawn({
        let handle = handle.clone();
        async move { handle.drain_on_signal(Duration::from_secs(5)).await }
    });
    assert!(handle.is_ready());
    let deadline = Instant::now() + Duration::from_secs(5);
    while !handle.is_draining() {
        assert!(Instant::now() < deadline, "no drain after SIGTERM");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .expect("run kill(1)");
        assert!(status.success());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Draining, and still serving through the delay (the loop sees the
    // drain within 50 ms of its start).
    let ready = get(addr, "/ready").await;
    assert_health(&ready, StatusCode::SERVICE_UNAVAILABLE, "draining");
    assert_eq!(waiting.await.unwrap().unwrap(), Shutdown::Graceful);
    assert!(refused(addr).await);
}

/// The same answers from an `RpcService` mounted in axum, with the
/// service's own readiness.
#[tokio::test]
async fn a_mounted_service_answers_the_probes_too() {
    let rpc = RpcService::new(test_router(Arc::new(Notify::new())));
    let app = axum::Router::new()
        .route_service("/rpc", rpc.clone())
        .route_service("/health", rpc.clone())
        .route_service("/ready", rpc.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut client = H1::connect(addr).await;
    let reply = client.send(probe(Method::GET, "/health")).await;
    assert_health(&reply, StatusCode::OK, "ok");
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::OK, "ready");
    let reply = client.send(probe(Method::HEAD, "/ready")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    rpc.set_ready(false);
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::SERVICE_UNAVAILABLE, "not ready");
    rpc.set_ready(true);
    let mut call = post(&call_text("add", "[1,2]"));
    *call.uri_mut() = "/rpc".parse().unwrap();
    assert_eq!(client.send(call).await.json()["result"], 3);

    assert_eq!(
        rpc.shutdown(Duration::from_secs(1)).await,
        Shutdown::Graceful
    );
    assert!(!rpc.is_ready());
    let reply = client.send(probe(Method::GET, "/ready")).await;
    assert_health(&reply, StatusCode::SERVICE_UNAVAILABLE, "draining");
    let reply = client.send(probe(Method::GET, "/health")).await;
    assert_health(&reply, StatusCode::OK, "ok");
}

//! Faults: handlers that panic, hang or fail beside healthy calls on the
//! same connection; servers that die mid-answer under `HttpClient` and
//! `WsClient` or restart under them; and a graceful shutdown with a full
//! load of calls in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hardening_support;
mod http_server_support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use hardening_support::{request, router, start};
use http_server_support::{H1, H2};
use rpc_client::{Caller, ClientError, ConnectionState, EncodedParams, HttpClient, WsClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, Shutdown};
use rpc_runtime::ws::CloseReason;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

const CALL_TIMEOUT: Duration = Duration::from_millis(200);

/// The error code a faulty method's call must get.
fn expected_code(method: &str) -> Option<i64> {
    match method {
        "boom" => Some(-32603),
        "hang" => Some(-32000),
        "fail" => Some(4242),
        _ => None,
    }
}

#[tokio::test]
async fn faulty_handlers_on_one_http_keep_alive_connection_get_their_own_errors() {
    let server = start(Server::builder().call_timeout(CALL_TIMEOUT)).await;
    let mut client = H1::connect(server.local_addr()).await;
    for round in 0..3 {
        for method in ["boom", "hang", "fail"] {
            let began = Instant::now();
            let reply = client.call(&request(method, "[]")).await;
            assert_eq!(reply.status, http::StatusCode::OK, "{method}");
            let body = reply.json();
            assert_eq!(
                body["error"]["code"].as_i64(),
                expected_code(method),
                "{method}: {body}"
            );
            assert_eq!(body["id"], 1);
            assert!(
                began.elapsed() < CALL_TIMEOUT * 5,
                "{method}: {:?}",
                began.elapsed()
            );
            let ok = client.call(&request("add", &format!("[{round},1]"))).await;
            assert_eq!(ok.json()["result"], round + 1, "after {method}");
        }
    }
    // Every exchange used the one connection.
    assert_eq!(server.connections_accepted(), 1);

    // In one batch the members run side by side; each gets its own answer.
    let batch = r#"[
        {"jsonrpc":"2.0","method":"boom","id":"b"},
        {"jsonrpc":"2.0","method":"hang","id":"h"},
        {"jsonrpc":"2.0","method":"fail","id":"f"},
        {"jsonrpc":"2.0","method":"add","params":[1,2],"id":"a"},
        {"jsonrpc":"2.0","method":"sleep","params":[50],"id":"s"}
    ]"#;
    let reply = client.call(batch).await.json();
    let by_id = |id: &str| {
        reply
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no answer for {id}: {reply}"))
            .clone()
    };
    assert_eq!(by_id("b")["error"]["code"], -32603);
    assert_eq!(by_id("h")["error"]["code"], -32000);
    assert_eq!(by_id("f")["error"]["code"], 4242);
    assert_eq!(by_id("a")["result"], 3);
    assert_eq!(by_id("s")["result"], 50);
    assert_eq!(reply.as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_handlers_beside_concurrent_calls_on_one_http2_connection() {
    let server = start(Server::builder().call_timeout(CALL_TIMEOUT)).await;
    let client = H2::connect(server.local_addr()).await;
    let calls = (0..60).map(|i| {
        let mut client = client.clone();
        let method = ["boom", "hang", "fail", "add", "add", "add"][i % 6];
        async move {
            let reply = client.call_h2(&request(method, &format!("[{i},1]"))).await;
            (i, method, reply)
        }
    });
    for (i, method, reply) in futures_util::future::join_all(calls).await {
        match expected_code(method) {
            Some(code) => assert_eq!(reply["error"]["code"].as_i64(), Some(code), "{reply}"),
            None => assert_eq!(reply["result"], i + 1, "{reply}"),
        }
    }
    assert_eq!(server.connections_accepted(), 1);
}

/// `H2` with a JSON answer, for brevity.
trait CallH2 {
    async fn call_h2(&mut self, body: &str) -> Value;
}

impl CallH2 for H2 {
    async fn call_h2(&mut self, body: &str) -> Value {
        self.send(http_server_support::post(body)).await.json()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faulty_handlers_beside_concurrent_calls_on_one_websocket() {
    let server = start(Server::builder().call_timeout(CALL_TIMEOUT)).await;
    let client = WsClient::connect(&format!("ws://{}/", server.local_addr()))
        .await
        .unwrap();
    let calls = (0..90).map(|i| {
        let client = client.clone();
        let method = ["boom", "hang", "fail", "add", "add", "add"][i % 6];
        async move {
            let outcome = client
                .call::<i64>(method, params(json!([i, 1])))
                .await
                .map_err(|e| e.rpc_error().map(|e| i64::from(e.code)));
            (i, method, outcome)
        }
    });
    for (i, method, outcome) in futures_util::future::join_all(calls).await {
        match expected_code(method) {
            Some(code) => assert_eq!(outcome, Err(Some(code)), "{method}"),
            None => assert_eq!(outcome, Ok(i as i64 + 1)),
        }
    }
    assert_eq!(client.state(), ConnectionState::Connected);
    assert_eq!(server.connections_accepted(), 1);
    // And later calls on it too.
    assert_eq!(
        client
            .call::<i64>("add", params(json!([2, 2])))
            .await
            .unwrap(),
        4
    );
}

/// A server that reads one request from each connection, then does `act`
/// to it.
async fn misbehaving_http<F, Fut>(act: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let act = Arc::new(act);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let act = Arc::clone(&act);
            tokio::spawn(async move {
                read_request(&mut stream).await;
                act(stream).await;
            });
        }
    });
    addr
}

/// Reads an HTTP/1.1 request head and its `content-length` body.
async fn read_request(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if seen.len() >= end + 4 + length {
                return;
            }
        }
    }
}

const HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";

#[tokio::test]
async fn http_client_sees_a_transport_error_when_the_server_fails_mid_answer() {
    let cases: Vec<(&str, SocketAddr)> = vec![
        (
            "closes before answering",
            misbehaving_http(|stream| async move { drop(stream) }).await,
        ),
        (
            "closes after the head",
            misbehaving_http(|mut stream| async move {
                let head = format!("{HEAD}content-length: 60\r\n\r\n");
                stream.write_all(head.as_bytes()).await.unwrap();
            })
            .await,
        ),
        (
            "closes halfway through the body",
            misbehaving_http(|mut stream| async move {
                let head = format!("{HEAD}content-length: 60\r\n\r\n{{\"jsonrpc\":\"2.0\",\"res");
                stream.write_all(head.as_bytes()).await.unwrap();
            })
            .await,
        ),
        (
            "closes in the middle of a chunk",
            misbehaving_http(|mut stream| async move {
                let head = format!("{HEAD}transfer-encoding: chunked\r\n\r\n40\r\n{{\"jsonrpc\"");
                stream.write_all(head.as_bytes()).await.unwrap();
            })
            .await,
        ),
        (
            "resets before answering",
            misbehaving_http(|stream| async move {
                stream.set_zero_linger().unwrap();
                drop(stream);
            })
            .await,
        ),
        (
            "resets halfway through the body",
            misbehaving_http(|mut stream| async move {
                let head = format!("{HEAD}content-length: 60\r\n\r\n{{\"jsonrpc\":");
                stream.write_all(head.as_bytes()).await.unwrap();
                stream.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
                stream.set_zero_linger().unwrap();
                drop(stream);
            })
            .await,
        ),
    ];
    for (what, addr) in cases {
        let client = HttpClient::builder(&format!("http://{addr}"))
            .request_timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let began = Instant::now();
        let error = client
            .request::<i64>("add", params(json!([1, 2])))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ClientError::Transport(_)),
            "{what}: {error:?}"
        );
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "{what}: failed only after {:?}",
            began.elapsed()
        );
    }
}

/// A WebSocket server that accepts, reads one message, then does `act` to
/// the raw socket.
async fn misbehaving_ws<F>(act: F) -> String
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let act = Arc::new(act);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let act = Arc::clone(&act);
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                let _ = ws.next().await;
                act(ws.into_inner());
            });
        }
    });
    format!("ws://{addr}/")
}

#[tokio::test]
async fn ws_client_calls_fail_fast_when_the_server_fails_mid_answer() {
    let cases = vec![
        (
            "closes halfway through a frame",
            misbehaving_ws(|stream| {
                tokio::spawn(async move {
                    let mut stream = stream;
                    // A text frame announcing 256 bytes, then 10 of them.
                    let mut bytes = vec![0x81, 126, 0x01, 0x00];
                    bytes.extend_from_slice(b"{\"jsonrpc\"");
                    stream.write_all(&bytes).await.unwrap();
                });
            })
            .await,
        ),
        (
            "resets",
            misbehaving_ws(|stream| {
                stream.set_zero_linger().unwrap();
                drop(stream);
            })
            .await,
        ),
        (
            "sends garbage instead of a frame",
            misbehaving_ws(|stream| {
                tokio::spawn(async move {
                    let mut stream = stream;
                    stream.write_all(&[0xff; 64]).await.unwrap();
                    tokio::time::sleep(Duration::from_secs(30)).await;
                });
            })
            .await,
        ),
    ];
    for (what, url) in cases {
        let client = WsClient::connect(&url).await.unwrap();
        let began = Instant::now();
        let error = tokio::time::timeout(
            Duration::from_secs(5),
            client.call::<i64>("add", params(json!([1, 2]))),
        )
        .await
        .unwrap_or_else(|_| panic!("{what}: the call hung"))
        .unwrap_err();
        assert!(matches!(error, ClientError::Closed(_)), "{what}: {error:?}");
        assert!(
            began.elapsed() < Duration::from_secs(1),
            "{what}: {:?}",
            began.elapsed()
        );
        let reason = client.disconnected().await;
        assert!(
            matches!(reason, CloseReason::Error(_)),
            "{what}: {reason:?}"
        );
        // Calls after it fail at once too (no reconnect policy).
        let error = client
            .call::<i64>("add", params(json!([1, 2])))
            .await
            .unwrap_err();
        assert!(matches!(error, ClientError::Closed(_)), "{what}: {error:?}");
    }
}

#[tokio::test]
async fn a_ws_server_that_goes_silent_is_detected_by_ping_without_a_request_timeout() {
    // Reads the call, then nothing: no answer, no pong, socket kept open.
    let url = misbehaving_ws(|stream| {
        tokio::spawn(async move {
            let _held = stream;
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
    })
    .await;
    let client = WsClient::builder(&url)
        .ping_interval(Some(Duration::from_millis(100)), Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    let began = Instant::now();
    let error = tokio::time::timeout(
        Duration::from_secs(5),
        client.call::<i64>("add", params(json!([1, 2]))),
    )
    .await
    .expect("the call did not hang")
    .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(client.disconnected().await, CloseReason::PingTimeout);

    // With a request timeout, the call gives up first and says so.
    let client = WsClient::builder(&url)
        .request_timeout(Duration::from_millis(150))
        .connect()
        .await
        .unwrap();
    let error = client
        .call::<i64>("add", params(json!([1, 2])))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_under_load_answers_every_call_it_accepted() {
    let started = Arc::new(AtomicUsize::new(0));
    let mut api = router();
    {
        let started = Arc::clone(&started);
        api.register_async("work", move |p, _| {
            let args = p.decode::<(u64, i64)>(&["ms", "x"]);
            let started = Arc::clone(&started);
            async move {
                let (ms, x) = args?;
                started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>(x * 2)
            }
        })
        .unwrap();
    }
    let handle = Server::builder()
        .build(api)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = handle.local_addr();
    let http = HttpClient::new(&format!("http://{addr}/")).unwrap();
    let mut ws_clients = Vec::new();
    for _ in 0..4 {
        ws_clients.push(WsClient::connect(&format!("ws://{addr}/")).await.unwrap());
    }

    let mut calls = tokio::task::JoinSet::new();
    let mut total = 0;
    for i in 0..40i64 {
        let http = http.clone();
        let ms = 100 + (i as u64 % 5) * 80;
        calls.spawn(async move { (i, http.request::<i64>("work", params(json!([ms, i]))).await) });
        total += 1;
    }
    for (c, client) in ws_clients.iter().enumerate() {
        for j in 0..25i64 {
            let client = client.clone();
            let i = 1000 + c as i64 * 100 + j;
            let ms = 100 + (j as u64 % 5) * 80;
            calls.spawn(
                async move { (i, client.call::<i64>("work", params(json!([ms, i]))).await) },
            );
            total += 1;
        }
    }
    // Every call has reached its handler: all are accepted.
    hardening_support::eventually("all calls running", Duration::from_secs(5), || {
        started.load(Ordering::SeqCst) == total
    })
    .await;

    let stopping = {
        let handle = handle.clone();
        tokio::spawn(async move { handle.shutdown(Duration::from_secs(5)).await })
    };
    // New connections are refused while the calls finish.
    hardening_support::eventually(
        "new connections are refused",
        Duration::from_secs(1),
        || std::net::TcpStream::connect(addr).is_err(),
    )
    .await;
    assert!(!stopping.is_finished(), "the slow calls are still running");

    let mut answered = 0;
    while let Some(joined) = calls.join_next().await {
        let (i, outcome) = joined.unwrap();
        assert_eq!(outcome.unwrap_or_else(|e| panic!("call {i}: {e:?}")), i * 2);
        answered += 1;
    }
    assert_eq!(answered, total);
    assert_eq!(stopping.await.unwrap(), Shutdown::Graceful);
    assert_eq!(handle.connections_active(), 0);
    for client in &ws_clients {
        let reason = client.disconnected().await;
        assert!(
            matches!(reason, CloseReason::Remote { code: 1001, .. }),
            "{reason:?}"
        );
    }
    // A raw WebSocket client gets nothing now either.
    assert!(tokio_tungstenite::connect_async(format!("ws://{addr}/"))
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_ride_out_a_server_restart_on_the_same_port() {
    let first = start(Server::builder()).await;
    let addr = first.local_addr();
    let http = HttpClient::builder(&format!("http://{addr}/"))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let ws = WsClient::builder(&format!("ws://{addr}/"))
        .request_timeout(Duration::from_secs(5))
        .reconnect(rpc_client::ReconnectPolicy::fixed(Duration::from_millis(
            50,
        )))
        .connect()
        .await
        .unwrap();
    assert_eq!(
        http.request::<i64>("add", params(json!([1, 1])))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        ws.call::<i64>("add", params(json!([1, 1]))).await.unwrap(),
        2
    );

    // A call that never finishes is in flight when the server goes down
    // with a short deadline: it fails at once, it does not hang.
    let pending = {
        let ws = ws.clone();
        tokio::spawn(async move { ws.call::<()>("hang", params(json!([]))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let outcome = first.shutdown(Duration::from_millis(100)).await;
    assert_eq!(outcome, Shutdown::Forced { connections: 1 });
    let began = Instant::now();
    let error = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("the pending call failed fast")
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
    assert!(began.elapsed() < Duration::from_secs(1));

    // While it is down, HTTP calls fail fast with a transport error.
    let error = http
        .request::<i64>("add", params(json!([1, 1])))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");

    // Back on the same port: new calls on both clients succeed.
    let second = Server::builder().build(router()).bind(addr).await.unwrap();
    let sum = tokio::time::timeout(
        Duration::from_secs(5),
        ws.call::<i64>("add", params(json!([2, 3]))),
    )
    .await
    .expect("the WebSocket client reconnected")
    .unwrap();
    assert_eq!(sum, 5);
    assert_eq!(ws.state(), ConnectionState::Connected);
    assert_eq!(
        http.request::<i64>("add", params(json!([2, 3])))
            .await
            .unwrap(),
        5
    );
    second.shutdown(Duration::from_secs(1)).await;
}

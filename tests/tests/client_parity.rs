//! `HttpClient` and `WsClient` offer the same operations, setters and
//! errors (issue 14, point 5), and the HTTP client takes what sloppy
//! servers answer to notifications (point 6). Every check runs against a
//! real socket: raw servers that record the text they receive and echo
//! each request's id as its result.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rpc_client::id::{HexIds, IdGenerator, UuidIds};
use rpc_client::ws::WsConfig;
use rpc_client::{
    BatchRequest, BuildError, ClientError, ConnectError, EncodedParams, HttpClient, WsClient,
};
use rpc_runtime::protocol::Id;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// The messages a server received, as parsed JSON (or a string for text
/// that is not JSON).
type Seen = Arc<Mutex<Vec<Value>>>;

/// The answer of the echo servers: each request with an id gets its id as
/// its result; a method `never` gets no answer; notifications none.
fn echo(message: &Value) -> Option<Value> {
    let answer = |request: &Value| {
        let id = request.get("id")?;
        if request["method"] == "never" {
            return None;
        }
        Some(json!({"jsonrpc": "2.0", "result": id, "id": id}))
    };
    match message {
        Value::Array(requests) => {
            let answers: Vec<Value> = requests.iter().filter_map(answer).collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        request => answer(request),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A raw WebSocket server (tokio-tungstenite) answering with [`echo`];
/// text that is not JSON gets a parse error with id `null`.
async fn ws_echo_server() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let seen = Seen::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
                while let Some(Ok(frame)) = socket.next().await {
                    let Message::Text(text) = frame else { continue };
                    let message = parse(&text);
                    log.lock().unwrap().push(message.clone());
                    let reply = match &message {
                        Value::String(_) => Some(json!({
                            "jsonrpc": "2.0",
                            "error": {"code": -32700, "message": "Parse error"},
                            "id": null
                        })),
                        other => echo(other),
                    };
                    if let Some(reply) = reply {
                        let text = reply.to_string();
                        if socket.send(Message::text(text)).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

/// A hyper HTTP server: each POST body is recorded; `answer` gives the
/// status and body of the reply.
async fn http_server<F>(answer: F) -> (String, Seen)
where
    F: Fn(&Value) -> (StatusCode, String) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen = Seen::default();
    let log = Arc::clone(&seen);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let log = Arc::clone(&log);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let log = Arc::clone(&log);
                    let answer = Arc::clone(&answer);
                    async move {
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let message = parse(&String::from_utf8_lossy(&body));
                        log.lock().unwrap().push(message.clone());
                        let (status, body) = answer(&message);
                        let mut response = Response::new(Full::new(Bytes::from(body)));
                        *response.status_mut() = status;
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}

async fn http_echo_server() -> (String, Seen) {
    http_server(|message| match echo(message) {
        Some(reply) => (StatusCode::OK, reply.to_string()),
        None => (StatusCode::NO_CONTENT, String::new()),
    })
    .await
}

/// The ids of the requests a server saw, in order.
fn wire_ids(seen: &Seen) -> Vec<Value> {
    let mut ids = Vec::new();
    for message in seen.lock().unwrap().iter() {
        let requests = match message {
            Value::Array(requests) => requests.clone(),
            other => vec![other.clone()],
        };
        ids.extend(requests.iter().filter_map(|r| r.get("id").cloned()));
    }
    ids
}

fn none() -> EncodedParams {
    EncodedParams::none()
}

/// The same list of operations, written once for both clients (they have
/// the same inherent methods): a call, a notification, a batch with two
/// calls and a notification, a raw request, a raw notification. Returns
/// the ids the calls got back.
macro_rules! operations {
    ($client:expr) => {{
        let client = &$client;
        let mut got: Vec<Value> = Vec::new();
        got.push(client.request::<Value>("one", none()).await.unwrap());
        client.notify("note", none()).await.unwrap();
        let mut batch = BatchRequest::new();
        let a = batch.call::<Value>("a", none());
        batch.notify("note", none());
        let b = batch.call::<Value>("b", none());
        let answers = client.batch(batch).await.unwrap();
        got.push(answers.get(a).unwrap());
        got.push(answers.get(b).unwrap());
        let raw = client
            .send(r#"{"jsonrpc":"2.0","method":"raw","id":"hand-made"}"#)
            .await
            .unwrap();
        assert_eq!(
            parse(&raw),
            json!({"jsonrpc":"2.0","result":"hand-made","id":"hand-made"})
        );
        let quiet = client
            .send(r#"{"jsonrpc":"2.0","method":"note"}"#)
            .await
            .unwrap();
        assert_eq!(quiet, "");
        got
    }};
}

/// Checks one generator on both clients: each call's id on the wire is
/// the generator's, and each result (the id echoed) came back to the call
/// that sent it.
async fn same_ids_on_both(make: impl Fn() -> Arc<dyn IdGenerator>, check: impl Fn(&Value)) {
    let (http_url, http_seen) = http_echo_server().await;
    let http = HttpClient::builder(&http_url)
        .shared_id_generator(make())
        .build()
        .unwrap();
    let http_got = operations!(http);

    let (ws_url, ws_seen) = ws_echo_server().await;
    let ws = WsClient::builder(&ws_url)
        .shared_id_generator(make())
        .connect()
        .await
        .unwrap();
    let ws_got = operations!(ws);

    for (got, seen) in [(http_got, &http_seen), (ws_got, &ws_seen)] {
        let mut on_wire = wire_ids(seen);
        on_wire.retain(|id| id != "hand-made");
        assert_eq!(got, on_wire, "each call got the answer to its own id");
        assert_eq!(got.len(), 3);
        got.iter().for_each(&check);
    }
}

#[tokio::test]
async fn hex_ids_on_both_clients() {
    same_ids_on_both(
        || Arc::new(HexIds::starting_at(255)),
        |id| {
            assert!(id
                .as_str()
                .is_some_and(|s| s.chars().all(|c| c.is_ascii_hexdigit())))
        },
    )
    .await;
    let (url, seen) = ws_echo_server().await;
    let ws = WsClient::builder(&url)
        .id_generator(HexIds::starting_at(255))
        .connect()
        .await
        .unwrap();
    operations!(ws);
    assert_eq!(
        wire_ids(&seen)[..3],
        [json!("ff"), json!("100"), json!("101")]
    );
}

#[tokio::test]
async fn uuid_ids_on_both_clients() {
    same_ids_on_both(
        || Arc::new(UuidIds),
        |id| {
            let text = id.as_str().unwrap();
            assert!(uuid::Uuid::parse_str(text).is_ok(), "{text}");
        },
    )
    .await;
}

#[tokio::test]
async fn closure_ids_on_both_clients() {
    same_ids_on_both(
        || {
            let next = AtomicU64::new(0);
            Arc::new(move || Id::string(&format!("call-{}", next.fetch_add(1, Ordering::Relaxed))))
        },
        |id| assert!(id.as_str().unwrap().starts_with("call-")),
    )
    .await;
    let (url, seen) = ws_echo_server().await;
    let next = AtomicU64::new(7);
    let ws = WsClient::builder(&url)
        .id_generator(move || Id::number(-(next.fetch_add(1, Ordering::Relaxed) as i64)))
        .connect()
        .await
        .unwrap();
    let got = operations!(ws);
    assert_eq!(got, [json!(-7), json!(-8), json!(-9)]);
    assert_eq!(wire_ids(&seen)[..3], [json!(-7), json!(-8), json!(-9)]);
}

#[tokio::test]
async fn ws_ids_in_use_are_refused_not_mixed_up() {
    let (url, _seen) = ws_echo_server().await;
    let ws = WsClient::builder(&url)
        .id_generator(|| Id::string("same"))
        .request_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    // One call waits (the server never answers it) under id "same"...
    let waiting = {
        let ws = ws.clone();
        tokio::spawn(async move { ws.request::<Value>("never", none()).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...so another call with that id is refused before it is sent.
    let error = ws.request::<Value>("one", none()).await.unwrap_err();
    assert!(
        matches!(&error, ClientError::Transport(e) if e.to_string().contains("already used")),
        "{error:?}"
    );
    let error = ws
        .send(r#"{"jsonrpc":"2.0","method":"raw","id":"same"}"#)
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    let waited = waiting.await.unwrap();
    assert!(matches!(waited, Err(ClientError::Timeout(_))), "{waited:?}");
    // Once it is gone, the id is free again.
    assert_eq!(ws.request::<Value>("one", none()).await.unwrap(), "same");
}

#[tokio::test]
async fn ws_raw_send_recognises_answers_by_id() {
    let (url, seen) = ws_echo_server().await;
    let ws = WsClient::builder(&url)
        .request_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    // A batch: the responses to its ids, in the order of its requests.
    let raw = ws
        .send(r#"[{"jsonrpc":"2.0","method":"a","id":2},{"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","method":"b","id":"x"}]"#)
        .await
        .unwrap();
    assert_eq!(
        parse(&raw),
        json!([
            {"jsonrpc":"2.0","result":2,"id":2},
            {"jsonrpc":"2.0","result":"x","id":"x"}
        ])
    );
    // A batch of notifications, and text that is not JSON: sent, no wait.
    assert_eq!(
        ws.send(r#"[{"jsonrpc":"2.0","method":"n"}]"#)
            .await
            .unwrap(),
        ""
    );
    assert_eq!(ws.send("{not json").await.unwrap(), "");
    // The parse error (id null) it got is not taken for a batch's refusal.
    let mut batch = BatchRequest::new();
    let one = batch.call::<u64>("one", none());
    let answers = ws.batch(batch).await.unwrap();
    assert_eq!(answers.get(one).unwrap(), 1);
    // Raw ids and generated ids share the table: both matched exactly.
    let raw = ws
        .send(r#"{"jsonrpc":"2.0","method":"a","id":2}"#)
        .await
        .unwrap();
    assert_eq!(parse(&raw)["id"], 2);
    assert_eq!(ws.request::<u64>("two", none()).await.unwrap(), 2);
    assert_eq!(seen.lock().unwrap().len(), 6);
}

#[tokio::test]
async fn a_bad_header_is_the_same_build_error_on_both_builders() {
    let http = HttpClient::builder("http://127.0.0.1:9/")
        .header("x-token", "line\nbreak")
        .build();
    let Err(BuildError::InvalidHeader(http_error)) = http else {
        panic!("{http:?}");
    };
    // Refused before connecting: nothing listens on port 9.
    let ws = WsClient::builder("ws://127.0.0.1:9/")
        .header("x-token", "line\nbreak")
        .connect()
        .await;
    let Err(ConnectError::Build(BuildError::InvalidHeader(ws_error))) = ws else {
        panic!("{ws:?}");
    };
    assert_eq!(http_error, ws_error);

    let http = HttpClient::builder("http://127.0.0.1:9/")
        .header("bad header", "x")
        .build();
    assert!(matches!(http, Err(BuildError::InvalidHeader(_))));
    let ws = WsClient::builder("ws://127.0.0.1:9/")
        .header("bad header", "x")
        .connect()
        .await;
    assert!(matches!(
        ws.as_ref().map_err(ConnectError::build_error),
        Err(Some(BuildError::InvalidHeader(_)))
    ));

    // A wrong scheme too.
    assert!(matches!(
        HttpClient::new("ws://127.0.0.1:9/"),
        Err(BuildError::UnsupportedScheme(s)) if s == "ws"
    ));
    assert!(matches!(
        WsClient::connect("http://127.0.0.1:9/").await,
        Err(ConnectError::Build(BuildError::UnsupportedScheme(s))) if s == "http"
    ));
    // `?` into a ClientError still works.
    async fn via_question_mark() -> Result<WsClient, ClientError> {
        Ok(WsClient::builder("ws://127.0.0.1:9/")
            .header("bad header", "x")
            .connect()
            .await?)
    }
    assert!(matches!(
        via_question_mark().await,
        Err(ClientError::Transport(e)) if e.is::<BuildError>()
    ));
}

#[tokio::test]
async fn both_builders_take_the_same_timeout_setters() {
    let limit = Some(Duration::from_secs(3));
    let none: Option<Duration> = None;
    let _ = HttpClient::builder("http://127.0.0.1:9/")
        .connect_timeout(Duration::from_secs(1))
        .connect_timeout(limit)
        .connect_timeout(none)
        .request_timeout(Duration::from_secs(1));
    let _ = WsClient::builder("ws://127.0.0.1:9/")
        .connect_timeout(Duration::from_secs(1))
        .connect_timeout(limit)
        .connect_timeout(none)
        .request_timeout(Duration::from_secs(1));
}

#[tokio::test]
async fn config_does_not_undo_earlier_setters() {
    let custom = WsConfig::default()
        .with_max_message_size(4096)
        .with_request_timeout(Some(Duration::from_secs(30)));
    let before = WsClient::builder("ws://127.0.0.1:9/")
        .request_timeout(Duration::from_millis(150))
        .config(custom.clone());
    let after = WsClient::builder("ws://127.0.0.1:9/")
        .config(custom)
        .request_timeout(Duration::from_millis(150));
    for builder in [&before, &after] {
        let config = builder.effective_config();
        assert_eq!(config.request_timeout, Some(Duration::from_millis(150)));
        assert_eq!(config.max_message_size, 4096, "config's own settings stay");
    }

    // And the connection really runs with it: a call the server never
    // answers times out after the setter's 150 ms, not config's 30 s.
    let (url, _seen) = ws_echo_server().await;
    let client = WsClient::builder(&url)
        .request_timeout(Duration::from_millis(150))
        .config(WsConfig::default())
        .connect()
        .await
        .unwrap();
    let started = Instant::now();
    let error = client.request::<Value>("never", none()).await.unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout(d) if d == Duration::from_millis(150)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A server that answers every POST with `200` and the body `body`, as
/// jsonrpsee answers a batch of notifications with `null`.
async fn answers_200_with(body: &'static str) -> (String, Seen) {
    http_server(move |_| (StatusCode::OK, body.to_owned())).await
}

fn notifications() -> BatchRequest {
    let mut batch = BatchRequest::new();
    batch.notify("a", EncodedParams::from_value(&[1]).unwrap());
    batch.notify("b", none());
    batch
}

#[tokio::test]
async fn a_batch_of_notifications_takes_any_success_body() {
    for body in [
        "null",
        "",
        "[]",
        "{}",
        "garbage",
        r#"{"jsonrpc":"2.0","result":1,"id":1}"#,
    ] {
        let (url, seen) = answers_200_with(body).await;
        let client = HttpClient::new(&url).unwrap();
        let answers = client.batch(notifications()).await;
        assert!(answers.is_ok(), "body {body:?}: {answers:?}");
        assert!(answers.unwrap().raw().is_empty());
        client.notify("single", none()).await.unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].as_array().unwrap().len(), 2);
        assert_eq!(seen[1]["method"], "single");
    }
    // 204 too.
    let (url, _seen) = http_server(|_| (StatusCode::NO_CONTENT, String::new())).await;
    let client = HttpClient::new(&url).unwrap();
    client.batch(notifications()).await.unwrap();
    client.notify("single", none()).await.unwrap();
    // A failure status is still an error.
    let (url, _seen) = http_server(|_| (StatusCode::INTERNAL_SERVER_ERROR, "null".into())).await;
    let client = HttpClient::new(&url).unwrap();
    assert!(matches!(
        client.batch(notifications()).await,
        Err(ClientError::HttpStatus { status: 500, .. })
    ));
}

#[tokio::test]
async fn a_batch_with_calls_still_needs_its_responses() {
    let (url, _seen) = answers_200_with("null").await;
    let client = HttpClient::new(&url).unwrap();
    let mut batch = notifications();
    let _ = batch.call::<u64>("c", none());
    assert!(client.batch(batch).await.is_err());
}

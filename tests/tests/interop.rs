//! Interop with independent JSON-RPC 2.0 implementations (Python, pinned in
//! `tests/interop/requirements.txt`, installed into a virtual environment
//! under the target directory on first use).
//!
//! - Our server driven by their clients: `jsonrpcclient` + `requests` over
//!   HTTP, and a raw `websockets` client sending the specification's
//!   examples byte for byte.
//! - Our clients against their servers: `HttpClient` against `json-rpc` on
//!   werkzeug, `WsClient` against `jsonrpcserver` on `websockets`, which
//!   pushes notifications to our client and calls it back.
//!
//! Where a peer deviates from the specification, the test that meets the
//! deviation names it, and asserts that our side copes: a clear error, no
//! hang. Our server here is `tests::spec_router()`, the same methods
//! `examples/spec_server.rs` serves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/interop_peer.rs"]
mod peer;
#[path = "support/interop_python.rs"]
mod python;

use std::future::Future;
use std::time::Duration;

use peer::{run_script, PeerServer};
use rpc_client::{
    BatchRequest, Caller, ClientError, EncodedParams, HttpClient, NamedParams, WsClient,
};
use rpc_runtime::client::decode_batch_response;
use rpc_runtime::protocol::{ErrorObjectOwned, Id};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// No exchange with a peer may take longer: a hang fails the test.
const LIMIT: Duration = Duration::from_secs(10);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

fn named_subtract(minuend: i64, subtrahend: i64) -> EncodedParams {
    let mut named = NamedParams::new();
    named.insert("minuend", &minuend).unwrap();
    named.insert("subtrahend", &subtrahend).unwrap();
    named.finish()
}

/// The server's JSON-RPC error object, or a panic naming what came instead.
fn rpc_error<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorObjectOwned {
    match result {
        Err(ClientError::Rpc(error)) => error,
        other => panic!("expected a JSON-RPC error object, got {other:?}"),
    }
}

fn data(error: &ErrorObjectOwned) -> Value {
    error.data_as::<Value>().unwrap().unwrap_or(Value::Null)
}

/// The names of the specification's examples a peer answers wrongly, by
/// the vector file's rules (`tests::check_vector`).
fn failed_vectors(answers: &[(tests::Vector, Option<String>)]) -> Vec<&str> {
    answers
        .iter()
        .filter(|(vector, answer)| {
            std::panic::catch_unwind(|| tests::check_vector(vector, answer.as_deref())).is_err()
        })
        .map(|(vector, _)| vector.name.as_str())
        .collect()
}

/// Asserts that a peer fails exactly the three batch examples with an
/// invalid member, which both Python servers answer with one `-32600` for
/// the whole batch.
fn assert_only_the_batch_deviation(answers: &[(tests::Vector, Option<String>)]) {
    assert_eq!(
        failed_vectors(answers),
        [
            "rpc call with an invalid Batch (but not empty)",
            "rpc call with invalid Batch",
            "rpc call Batch",
        ],
        "{:#?}",
        answers
            .iter()
            .map(|(v, a)| (&v.name, a))
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------
// Our server, driven by independent clients.

async fn our_spec_server() -> ServerHandle {
    Server::builder()
        .build(tests::spec_router())
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

/// `jsonrpcclient` (+ `requests`) over HTTP: positional and named calls, a
/// notification (204, empty body), a batch with a notification in it,
/// unknown method, wrong and surplus params, invalid JSON.
#[tokio::test]
async fn jsonrpcclient_drives_our_http_server() {
    let server = our_spec_server().await;
    let url = format!("http://{}/", server.local_addr());
    let run = run_script("jsonrpcclient_http.py", vec![url]).await;
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let checks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(run.passed, checks, "every check reported:\n{stdout}");
    assert!(checks >= 10, "the script ran its checks:\n{stdout}");
    server.shutdown(LIMIT).await;
}

/// A raw `websockets` client sends every example of the specification byte
/// for byte: each answer checked by the vector file's rules, notifications
/// answered by nothing (a probe call's answer is the next frame), and a
/// binary frame answered in binary.
#[tokio::test]
async fn raw_websockets_client_sends_every_spec_example_to_our_server() {
    let server = our_spec_server().await;
    let url = format!("ws://{}/", server.local_addr());
    let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/jsonrpc2-examples.json");
    let run = run_script("websockets_spec.py", vec![url, vectors.to_owned()]).await;
    // Every vector, plus the binary frame.
    assert_eq!(
        run.passed,
        tests::spec_vectors().len() + 1,
        "{}",
        String::from_utf8_lossy(&run.output.stdout)
    );
    server.shutdown(LIMIT).await;
}

// ---------------------------------------------------------------------------
// HttpClient against `json-rpc` (werkzeug).

struct JsonRpcPeer {
    server: PeerServer,
    client: HttpClient,
}

async fn json_rpc_peer() -> JsonRpcPeer {
    let server = PeerServer::start("jsonrpc_werkzeug_server.py").await;
    let client = HttpClient::builder(&format!("http://127.0.0.1:{}/", server.port()))
        .request_timeout(LIMIT)
        .build()
        .unwrap();
    JsonRpcPeer { server, client }
}

#[tokio::test]
async fn http_client_calls_json_rpc_with_positional_and_named_params() {
    let peer = json_rpc_peer().await;
    let client = &peer.client;
    let positional: i64 = bounded(
        "subtract",
        client.request("subtract", params(json!([42, 23]))),
    )
    .await
    .unwrap();
    assert_eq!(positional, 19);
    let named: i64 = bounded(
        "subtract",
        client.request("subtract", named_subtract(23, 42)),
    )
    .await
    .unwrap();
    assert_eq!(named, -19);
    let sum: i64 = bounded("sum", client.request("sum", params(json!([1, 2, 4]))))
        .await
        .unwrap();
    assert_eq!(sum, 7);
    // Strings, nesting, null and non-ASCII text survive both encoders.
    let value = json!({"text": "grüße \u{1F600} \"quoted\"", "list": [1, 2.5, null, true], "nested": {"a": []}});
    let echoed: Value = bounded(
        "echo",
        client.request("echo", params(json!([value.clone()]))),
    )
    .await
    .unwrap();
    assert_eq!(echoed, value, "{}", peer.server.log());
}

#[tokio::test]
async fn http_client_notifies_json_rpc_and_gets_no_answer() {
    let peer = json_rpc_peer().await;
    // The peer answers a notification with 204 and no body, even for an
    // unknown method (the specification: no response to a notification).
    bounded(
        "notify",
        peer.client.notify("subtract", params(json!([1, 2]))),
    )
    .await
    .unwrap();
    bounded(
        "notify",
        peer.client.notify("no_such_method", EncodedParams::none()),
    )
    .await
    .unwrap();
    let raw = bounded(
        "raw",
        peer.client.send(r#"{"jsonrpc":"2.0","method":"crash"}"#),
    )
    .await
    .unwrap();
    assert_eq!(raw, "", "a failing notification is not answered either");
}

#[tokio::test]
async fn http_client_batch_against_json_rpc() {
    let peer = json_rpc_peer().await;
    let mut batch = BatchRequest::new();
    let sum = batch.call::<i64>("sum", params(json!([1, 2, 4])));
    batch.notify("subtract", params(json!([1, 1])));
    let named = batch.call::<i64>("subtract", named_subtract(42, 23));
    let failed = batch.call::<Value>("fail", EncodedParams::none());
    let unknown = batch.call::<Value>("foo.get", EncodedParams::none());
    let answers = bounded("batch", peer.client.batch(batch)).await.unwrap();
    assert_eq!(answers.get(sum).unwrap(), 7);
    assert_eq!(answers.get(named).unwrap(), 19);
    let error = rpc_error(answers.get(failed));
    assert_eq!((error.code, data(&error)), (4001, json!({"door": 7})));
    assert_eq!(rpc_error(answers.get(unknown)).code, -32601);
    // Four calls, four answers; an answer to the notification would have
    // failed the batch as a response matching no call.
    assert_eq!(answers.raw().len(), 4);

    // A batch of notifications only: the peer answers 204, our client Ok.
    let mut quiet = BatchRequest::new();
    quiet.notify("sum", params(json!([1])));
    quiet.notify("subtract", params(json!([2, 1])));
    let answers = bounded("batch", peer.client.batch(quiet)).await.unwrap();
    assert!(answers.raw().is_empty());
}

#[tokio::test]
async fn http_client_gets_json_rpc_declared_error_with_data() {
    let peer = json_rpc_peer().await;
    let error = rpc_error(
        bounded(
            "fail",
            peer.client.request::<Value>("fail", EncodedParams::none()),
        )
        .await,
    );
    assert_eq!(error.code, 4001);
    assert_eq!(error.message, "vault is locked");
    assert_eq!(data(&error), json!({"door": 7}));
}

#[tokio::test]
async fn http_client_gets_json_rpc_server_error_for_an_exception() {
    let peer = json_rpc_peer().await;
    let error = rpc_error(
        bounded(
            "crash",
            peer.client.request::<Value>("crash", EncodedParams::none()),
        )
        .await,
    );
    // A method that raises is -32000 "Server error" (a code in the
    // implementation-defined range: within the specification). But json-rpc
    // puts the exception's type, args and message in `data`: internals leak
    // to the caller, which our server never does (-32603, detail hidden).
    assert_eq!(
        (error.code, error.message.as_ref()),
        (-32000, "Server error")
    );
    let data = data(&error);
    assert_eq!(data["type"], "RuntimeError");
    assert_eq!(data["args"], json!(["boom"]));
}

#[tokio::test]
async fn http_client_gets_json_rpc_unknown_method_and_invalid_params() {
    let peer = json_rpc_peer().await;
    let client = &peer.client;
    let error = rpc_error(
        bounded(
            "unknown",
            client.request::<Value>("foobar", EncodedParams::none()),
        )
        .await,
    );
    assert_eq!(
        (error.code, error.message.as_ref()),
        (-32601, "Method not found")
    );

    // Too few params: -32602, with Python's TypeError in `data`.
    let error = rpc_error(
        bounded(
            "subtract",
            client.request::<i64>("subtract", params(json!([1]))),
        )
        .await,
    );
    assert_eq!(error.code, -32602);
    assert_eq!(data(&error)["type"], "TypeError");
    let error = rpc_error(
        bounded(
            "subtract",
            client.request::<i64>("subtract", params(json!({"minuend": 1, "nope": 2}))),
        )
        .await,
    );
    assert_eq!(error.code, -32602);

    // A param of the wrong type is only found out inside the method, so
    // json-rpc answers -32000 "Server error" where -32602 is due: the
    // client cannot tell bad input from a server fault.
    let error = rpc_error(
        bounded(
            "subtract",
            client.request::<i64>("subtract", params(json!([1, "x"]))),
        )
        .await,
    );
    assert_eq!(error.code, -32000);

    // A result of another type than asked is our client's Decode error.
    let wrong = bounded(
        "echo",
        client.request::<i64>("echo", params(json!(["text"]))),
    )
    .await;
    assert!(matches!(wrong, Err(ClientError::Decode(_))), "{wrong:?}");
}

/// Every example of the specification, sent to json-rpc as is: the ones it
/// answers wrongly are exactly the documented deviations.
#[tokio::test]
async fn spec_examples_against_json_rpc() {
    let peer = json_rpc_peer().await;
    let mut answers = Vec::new();
    for vector in tests::spec_vectors() {
        let answer = bounded(&vector.name, peer.client.send(&vector.request)).await;
        let answer = answer.unwrap_or_else(|e| panic!("{}: {e}", vector.name));
        answers.push((vector, Some(answer)));
    }
    // DEVIATION: any invalid member makes json-rpc answer the whole batch
    // with one -32600 object (id null): the two invalid-batch examples want
    // one error per member, and "rpc call Batch" (whose {"foo": "boo"}
    // member is invalid) wants the valid members answered too.
    assert_only_the_batch_deviation(&answers);
}

/// Deviations of json-rpc 1.15 from the specification, found by sending
/// the messages our clients never send, and how our decoding takes them.
#[tokio::test]
async fn json_rpc_deviations_and_how_our_client_copes() {
    let peer = json_rpc_peer().await;
    let client = &peer.client;

    // DEVIATION: the specification answers `[1,2,3]` with one -32600 per
    // member (its example "rpc call with invalid Batch"); json-rpc answers
    // any batch with an invalid member with ONE error object, id null.
    let raw = bounded("batch", client.send("[1,2]")).await.unwrap();
    let answer: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(answer["error"]["code"], -32600, "{raw}");
    assert_eq!(answer["id"], Value::Null);
    // Should a batch of ours be answered so, our batch decoding reports the
    // whole-batch error instead of waiting for answers that never come.
    let ids = [Id::number(1), Id::number(2)];
    let whole = decode_batch_response(&raw, &ids);
    assert_eq!(rpc_error(whole).code, -32600);

    // DEVIATION: an id with a fractional part is valid (the specification
    // only says it SHOULD NOT be used); json-rpc rejects the request with
    // -32600 and id null. Our decoding takes an id-null error as the answer.
    let raw = bounded(
        "id",
        client.send(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":1.5}"#),
    )
    .await
    .unwrap();
    let decoded = rpc_runtime::client::decode_response::<i64>(&raw, &Id::from_json("1.5").unwrap());
    assert_eq!(rpc_error(decoded).code, -32600, "{raw}");

    // Not a deviation (json-rpc also speaks 1.0): a request without
    // "jsonrpc" is taken as JSON-RPC 1.0 and answered without "jsonrpc".
    // To our strict 2.0 client that answer is an invalid response.
    let raw = bounded(
        "1.0",
        client.send(r#"{"method":"sum","params":[1],"id":1}"#),
    )
    .await
    .unwrap();
    let decoded = rpc_runtime::client::decode_response::<i64>(&raw, &Id::number(1));
    assert!(
        matches!(decoded, Err(ClientError::InvalidResponse(_))),
        "{raw}: {decoded:?}"
    );

    // As the specification wants: an empty batch is one -32600, id null.
    let raw = bounded("empty", client.send("[]")).await.unwrap();
    let answer: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32600), Value::Null)
    );
}

// ---------------------------------------------------------------------------
// WsClient against `jsonrpcserver` (websockets).

/// What the server pushed to our client: (method, params), in order.
type Pushed = mpsc::UnboundedReceiver<(String, Value)>;

/// Our client's own methods: it records the `welcome` and `pinged`
/// notifications and answers `client.add`.
fn client_router() -> (Router, Pushed) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut router = Router::new();
    for name in ["welcome", "pinged"] {
        let tx = tx.clone();
        router
            .register_sync(name, move |params, _| {
                let params = params.parse::<Value>()?;
                let _ = tx.send((name.to_owned(), params));
                Ok::<_, ErrorObjectOwned>(())
            })
            .unwrap();
    }
    router
        .register_sync("client.add", |params, _| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    (router, rx)
}

struct JsonRpcServerPeer {
    server: PeerServer,
    client: WsClient,
    pushed: Pushed,
}

async fn jsonrpcserver_peer() -> JsonRpcServerPeer {
    let server = PeerServer::start("jsonrpcserver_ws_server.py").await;
    let (router, pushed) = client_router();
    let url = format!("ws://127.0.0.1:{}/", server.port());
    let client = bounded(
        "connect",
        WsClient::builder(&url)
            .request_timeout(LIMIT)
            .serve(router)
            .connect(),
    )
    .await
    .unwrap_or_else(|e| panic!("connect: {e}\n{}", server.log()));
    JsonRpcServerPeer {
        server,
        client,
        pushed,
    }
}

impl JsonRpcServerPeer {
    async fn next_pushed(&mut self) -> (String, Value) {
        bounded("a pushed notification", self.pushed.recv())
            .await
            .expect("the client is serving")
    }
}

#[tokio::test]
async fn ws_client_receives_the_notification_jsonrpcserver_pushes_on_connect() {
    let mut peer = jsonrpcserver_peer().await;
    let (method, params) = peer.next_pushed().await;
    assert_eq!(
        (method.as_str(), params),
        ("welcome", json!(["hello from jsonrpcserver"]))
    );
    peer.client.close().await;
}

#[tokio::test]
async fn ws_client_handles_the_push_sent_before_the_answer() {
    let mut peer = jsonrpcserver_peer().await;
    assert_eq!(peer.next_pushed().await.0, "welcome");
    let answer: String = bounded(
        "ping_me",
        peer.client.call("ping_me", EncodedParams::none()),
    )
    .await
    .unwrap();
    assert_eq!(answer, "sent");
    // The server wrote `pinged` before its answer, and our client runs
    // frames in order: the notification was handled before the call returned.
    let (method, params) = peer
        .pushed
        .try_recv()
        .expect("`pinged` handled before the answer");
    assert_eq!((method.as_str(), params), ("pinged", json!(["pong"])));
}

#[tokio::test]
async fn ws_client_calls_and_batches_against_jsonrpcserver() {
    let peer = jsonrpcserver_peer().await;
    let client = &peer.client;
    let positional: i64 = bounded("subtract", client.call("subtract", params(json!([42, 23]))))
        .await
        .unwrap();
    assert_eq!(positional, 19);
    let named: i64 = bounded("subtract", client.call("subtract", named_subtract(23, 42)))
        .await
        .unwrap();
    assert_eq!(named, -19);

    // Notifications: never answered, even for an unknown method; the
    // connection goes on.
    bounded("notify", client.notify("subtract", params(json!([1, 2]))))
        .await
        .unwrap();
    bounded(
        "notify",
        client.notify("no_such_method", EncodedParams::none()),
    )
    .await
    .unwrap();

    let mut batch = BatchRequest::new();
    let sum = batch.call::<i64>("sum", params(json!([1, 2, 4])));
    batch.notify("sum", params(json!([0])));
    let named = batch.call::<i64>("subtract", named_subtract(42, 23));
    let failed = batch.call::<Value>("fail", EncodedParams::none());
    let answers = bounded("batch", client.batch(batch)).await.unwrap();
    assert_eq!(answers.get(sum).unwrap(), 7);
    assert_eq!(answers.get(named).unwrap(), 19);
    assert_eq!(rpc_error(answers.get(failed)).code, 4001);

    // Many calls in flight on one socket, answered in whatever order.
    let calls = (0..20).map(|i| client.call::<i64>("subtract", params(json!([i, 1]))));
    let results = bounded("concurrent", futures_util::future::join_all(calls)).await;
    let results: Vec<i64> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        results,
        (0..20).map(|i| i - 1).collect::<Vec<_>>(),
        "{}",
        peer.server.log()
    );
}

#[tokio::test]
async fn ws_client_gets_jsonrpcserver_errors() {
    let peer = jsonrpcserver_peer().await;
    let client = &peer.client;
    let error =
        rpc_error(bounded("fail", client.call::<Value>("fail", EncodedParams::none())).await);
    assert_eq!(
        (error.code, error.message.as_ref()),
        (4001, "vault is locked")
    );
    assert_eq!(data(&error), json!({"door": 7}));

    // jsonrpcserver puts the method name in -32601's data.
    let error = rpc_error(
        bounded(
            "unknown",
            client.call::<Value>("foobar", EncodedParams::none()),
        )
        .await,
    );
    assert_eq!((error.code, data(&error)), (-32601, json!("foobar")));

    let error = rpc_error(
        bounded(
            "subtract",
            client.call::<i64>("subtract", params(json!([1]))),
        )
        .await,
    );
    assert_eq!(error.code, -32602);
    assert!(data(&error).to_string().contains("subtrahend"), "{error:?}");

    // A method that raises is -32603, and the exception's text is in
    // `data`: internals leak to the caller (json-rpc does the same, with
    // -32000; our server hides them unless told otherwise).
    let error = rpc_error(
        bounded(
            "subtract",
            client.call::<i64>("subtract", params(json!([1, "x"]))),
        )
        .await,
    );
    assert_eq!(error.code, -32603);
    assert!(
        data(&error).to_string().contains("unsupported operand"),
        "{error:?}"
    );
}

#[tokio::test]
async fn jsonrpcserver_calls_our_ws_client_back() {
    let peer = jsonrpcserver_peer().await;
    let client = &peer.client;
    // The server calls our `client.add` with [2, 3] while our call waits,
    // and answers what our client answered it.
    let sum: i64 = bounded(
        "ask_client",
        client.call("ask_client", params(json!([2, 3]))),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", peer.server.log()));
    assert_eq!(sum, 5);
    // Our client's error answer reaches the server as an error object.
    let error = rpc_error(
        bounded(
            "ask_client",
            client.call::<i64>("ask_client", params(json!([2, "x"]))),
        )
        .await,
    );
    assert_eq!(error.code, 4002);
    assert_eq!(data(&error)["code"], -32602, "{error:?}");
}

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn next_json(socket: &mut RawSocket) -> Value {
    use futures_util::StreamExt as _;
    let frame = bounded("a frame", socket.next()).await.unwrap().unwrap();
    serde_json::from_str(frame.to_text().unwrap()).unwrap()
}

async fn send_text(socket: &mut RawSocket, text: &str) {
    use futures_util::SinkExt as _;
    let message = tokio_tungstenite::tungstenite::Message::text(text);
    bounded("send", socket.send(message)).await.unwrap();
}

async fn exchange(socket: &mut RawSocket, text: &str) -> Value {
    send_text(socket, text).await;
    next_json(socket).await
}

/// Deviations of jsonrpcserver 5.0.9 from the specification, found over a
/// raw socket (our clients never send these messages).
#[tokio::test]
async fn jsonrpcserver_deviations_over_a_raw_socket() {
    let server = PeerServer::start("jsonrpcserver_ws_server.py").await;
    let url = format!("ws://127.0.0.1:{}/", server.port());
    let (mut socket, _) = bounded("connect", tokio_tungstenite::connect_async(&url))
        .await
        .unwrap();
    let welcome = next_json(&mut socket).await;
    assert_eq!(welcome["method"], "welcome");
    assert!(
        welcome.get("id").is_none(),
        "a notification has no id: {welcome}"
    );

    // DEVIATION: the whole message is checked against one JSON schema, so a
    // batch with an invalid member is answered with ONE -32600 (id null)
    // instead of one per member (the spec's "rpc call with invalid Batch").
    let answer = exchange(&mut socket, "[1,2,3]").await;
    assert!(answer.is_object(), "{answer}");
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32600), Value::Null)
    );
    // DEVIATION, same cause: one invalid member sinks the valid ones too.
    let mixed = r#"[{"jsonrpc":"2.0","method":"sum","params":[1],"id":1},{"jsonrpc":"2.0","method":1,"id":2}]"#;
    let answer = exchange(&mut socket, mixed).await;
    assert!(
        answer.is_object(),
        "the valid member got no answer: {answer}"
    );
    assert_eq!(answer["error"]["code"], -32600);
    // Our WsClient copes should that happen to one of its batches: an
    // id-null error fails the batch none of whose calls is answered instead
    // of leaving it waiting (ws_calls.rs,
    // a_batch_the_server_refuses_whole_fails_instead_of_hanging).

    // As the specification wants: invalid JSON is -32700 with id null, and
    // the connection goes on.
    let invalid = r#"{"jsonrpc":"2.0","method":"foobar, "params": "bar", "baz]"#;
    let answer = exchange(&mut socket, invalid).await;
    assert_eq!(
        (answer["error"]["code"].clone(), answer["id"].clone()),
        (json!(-32700), Value::Null)
    );
    let call = r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":"after"}"#;
    let answer = exchange(&mut socket, call).await;
    assert_eq!(
        (answer["result"].clone(), answer["id"].clone()),
        (json!(19), json!("after"))
    );
}

/// Every example of the specification, sent to jsonrpcserver byte for byte
/// over a raw socket (a notification must get nothing: the answer to a
/// probe call is the next frame). The ones it answers wrongly are exactly
/// the documented deviations.
#[tokio::test]
async fn spec_examples_against_jsonrpcserver() {
    let server = PeerServer::start("jsonrpcserver_ws_server.py").await;
    let url = format!("ws://127.0.0.1:{}/", server.port());
    let (mut socket, _) = bounded("connect", tokio_tungstenite::connect_async(&url))
        .await
        .unwrap();
    assert_eq!(next_json(&mut socket).await["method"], "welcome");
    let probe = r#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}"#;
    let mut answers = Vec::new();
    for vector in tests::spec_vectors() {
        let answer = if vector.response.is_some() {
            Some(exchange(&mut socket, &vector.request).await.to_string())
        } else {
            send_text(&mut socket, &vector.request).await;
            let next = exchange(&mut socket, probe).await;
            (next["id"] != "probe").then(|| next.to_string())
        };
        answers.push((vector, answer));
    }
    // DEVIATION: jsonrpcserver checks the whole message against one JSON
    // schema, so any invalid member makes it answer the whole batch with one
    // -32600 object (id null): the same three examples as json-rpc.
    assert_only_the_batch_deviation(&answers);
}

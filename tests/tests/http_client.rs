//! `HttpClient` against a real hyper server serving a `Router` on
//! 127.0.0.1: calls, notifications, batches, raw messages, keep-alive,
//! headers and auth, id generators.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;

use std::collections::HashSet;

use base64::Engine as _;
use rpc_client::header::{HeaderMap, HeaderValue};
use rpc_client::id::{HexIds, RandomIds, UuidIds};
use rpc_client::{
    BatchRequest, Caller, ClientError, EncodedParams, HttpClient, NamedParams, PositionalParams,
};
use rpc_runtime::protocol::{codes, Id};
use serde_json::{json, Value};
use servers::{serve, test_router, Answer};

fn positional(a: i64, b: i64) -> EncodedParams {
    let mut params = PositionalParams::new();
    params.push("minuend", &a).unwrap();
    params.push("subtrahend", &b).unwrap();
    params.finish()
}

#[tokio::test]
async fn calls_with_positional_and_named_params() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let diff: i64 = client
        .request("subtract", positional(42, 23))
        .await
        .unwrap();
    assert_eq!(diff, 19);

    let mut named = NamedParams::new();
    named.insert("subtrahend", &23).unwrap();
    named.insert("minuend", &42).unwrap();
    let diff: i64 = client.request("subtract", named.finish()).await.unwrap();
    assert_eq!(diff, 19);

    let hello: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");

    let sent = server.seen_json();
    assert_eq!(sent[0]["jsonrpc"], "2.0");
    assert_eq!(sent[0]["method"], "subtract");
    assert_eq!(sent[0]["params"], json!([42, 23]));
    assert_eq!(sent[1]["params"], json!({"subtrahend": 23, "minuend": 42}));
    assert!(
        sent[2].get("params").is_none(),
        "no params member: {}",
        sent[2]
    );
    let seen = server.seen();
    assert_eq!(seen[0].headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_json_rpc_error_object_comes_back_as_rpc() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let err = client
        .request::<()>("fail", EncodedParams::none())
        .await
        .unwrap_err();
    let ClientError::Rpc(object) = err else {
        panic!("expected an Rpc error, got {err:?}");
    };
    assert_eq!(object.code, -32001);
    assert_eq!(object.message, "it failed");
    assert_eq!(
        object.data_as::<Value>().unwrap(),
        Some(json!({"why": "asked to"}))
    );

    let err = client
        .request::<()>("no_such_method", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(err.rpc_error().unwrap().code, codes::METHOD_NOT_FOUND);

    // A result of the wrong type is a decode error, not a transport one.
    let err = client
        .request::<String>("subtract", positional(1, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn notifications_are_sent_without_an_id() {
    let (router, logged) = test_router();
    let server = serve(Answer::router(router)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    client
        .notify("log", EncodedParams::from_value(&["first"]).unwrap())
        .await
        .unwrap();
    assert_eq!(*logged.lock().unwrap(), ["first"]);
    let sent = server.seen_json();
    assert_eq!(sent[0]["method"], "log");
    assert!(sent[0].get("id").is_none(), "a notification has no id");
}

#[tokio::test]
async fn a_batch_is_matched_by_id_when_the_server_answers_in_reverse() {
    let (router, logged) = test_router();
    let server = serve(Answer::reversing(router)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let mut batch = BatchRequest::new();
    let first = batch.call::<i64>("subtract", positional(10, 1));
    let greeting = batch.call::<String>("hello", EncodedParams::none());
    batch.notify("log", EncodedParams::from_value(&["in a batch"]).unwrap());
    let failing = batch.call::<()>("fail", EncodedParams::none());
    let last = batch.call::<i64>("subtract", positional(100, 1));
    let response = client.batch(batch).await.unwrap();

    assert_eq!(response.get(first).unwrap(), 9);
    assert_eq!(response.get(greeting).unwrap(), "hello");
    assert_eq!(response.get(last).unwrap(), 99);
    assert_eq!(
        response.get(failing).unwrap_err().rpc_error().unwrap().code,
        -32001
    );
    assert_eq!(*logged.lock().unwrap(), ["in a batch"]);

    // The server really did answer out of order.
    let sent = server.seen_json();
    assert_eq!(sent[0].as_array().unwrap().len(), 5);
    let reply = client.send(&server.seen()[0].body).await.unwrap();
    let reply: Vec<Value> = serde_json::from_str(&reply).unwrap();
    assert_eq!(
        reply[0]["result"], 99,
        "last call answered first: {reply:?}"
    );
}

#[tokio::test]
async fn batches_of_notifications_and_empty_batches_need_no_answer() {
    let (router, logged) = test_router();
    let server = serve(Answer::router(router)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let mut batch = BatchRequest::new();
    batch.notify("log", EncodedParams::from_value(&["a"]).unwrap());
    batch.notify("log", EncodedParams::from_value(&["b"]).unwrap());
    let response = client.batch(batch).await.unwrap();
    assert!(response.raw().is_empty());
    let mut lines = logged.lock().unwrap().clone();
    lines.sort();
    assert_eq!(lines, ["a", "b"]);

    let response = client.batch(BatchRequest::new()).await.unwrap();
    assert!(response.raw().is_empty());
    assert_eq!(server.seen().len(), 1, "an empty batch is not sent");
}

#[tokio::test]
async fn send_posts_raw_text_and_returns_the_raw_answer() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let reply = client
        .send(r#"{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":"raw-1"}"#)
        .await
        .unwrap();
    assert_eq!(reply, r#"{"jsonrpc":"2.0","result":2,"id":"raw-1"}"#);

    // Not even JSON: the server's parse error comes back as it was sent.
    let reply = client.send("{oops").await.unwrap();
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["error"]["code"], codes::PARSE_ERROR);

    // A notification gets 204 No Content: an empty string.
    let reply = client
        .send(r#"{"jsonrpc":"2.0","method":"log","params":["x"]}"#)
        .await
        .unwrap();
    assert_eq!(reply, "");
}

#[tokio::test]
async fn many_calls_share_one_keep_alive_connection() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    for i in 0..25 {
        let diff: i64 = client.request("subtract", positional(i, 1)).await.unwrap();
        assert_eq!(diff, i - 1);
    }
    // A clone shares the pool.
    let clone = client.clone();
    let _: String = clone.request("hello", EncodedParams::none()).await.unwrap();
    client
        .notify("log", EncodedParams::from_value(&["x"]).unwrap())
        .await
        .unwrap();

    assert_eq!(server.seen().len(), 27);
    assert_eq!(server.connections(), 1, "every call reused one connection");
}

#[tokio::test]
async fn keep_alive_can_be_turned_off() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..3 {
        let _: String = client
            .request("hello", EncodedParams::none())
            .await
            .unwrap();
    }
    assert_eq!(server.connections(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_are_shared_across_tasks() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut sum = 0;
                for j in 0..5 {
                    sum += client
                        .request::<i64>("subtract", positional(i * 100 + j, i * 100))
                        .await
                        .unwrap();
                }
                sum
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 1 + 2 + 3 + 4);
    }
    // Ids come from one generator: all distinct.
    let ids: HashSet<String> = server
        .seen_json()
        .iter()
        .map(|v| v["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 80);
    // hyper's pool may open a few extra connections while others are busy,
    // but connections are reused across tasks: far fewer than calls.
    assert!(
        server.connections() < 80,
        "pooled: {}",
        server.connections()
    );
}

/// A generic function over any `Caller`, as generated stubs are.
async fn hello_via<C: Caller>(caller: &C) -> Result<String, ClientError> {
    caller.call("hello", EncodedParams::none()).await
}

#[tokio::test]
async fn http_client_is_a_caller() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::new(&server.url()).unwrap();
    assert_eq!(hello_via(&client).await.unwrap(), "hello");
    let mut batch = BatchRequest::new();
    let slot = batch.call::<i64>("subtract", positional(3, 2));
    assert_eq!(
        Caller::batch(&client, batch)
            .await
            .unwrap()
            .get(slot)
            .unwrap(),
        1
    );
    Caller::notify(&client, "log", EncodedParams::from_value(&["c"]).unwrap())
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn default_and_per_request_headers_reach_the_server() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .header("x-api-key", "k1")
        .header("x-tenant", "acme")
        .build()
        .unwrap();

    let _: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    let mut extra = HeaderMap::new();
    extra.insert("x-request-id", HeaderValue::from_static("req-7"));
    extra.insert("x-tenant", HeaderValue::from_static("other"));
    let per_request = client.with_headers(extra);
    let _: String = per_request
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    let _: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();

    let seen = server.seen();
    assert_eq!(seen[0].headers["x-api-key"], "k1");
    assert_eq!(seen[0].headers["x-tenant"], "acme");
    assert!(seen[0].headers.get("x-request-id").is_none());
    assert_eq!(seen[1].headers["x-api-key"], "k1");
    assert_eq!(seen[1].headers["x-request-id"], "req-7");
    assert_eq!(
        seen[1]
            .headers
            .get_all("x-tenant")
            .iter()
            .collect::<Vec<_>>(),
        ["other"],
        "a per-request header replaces the default"
    );
    assert!(
        seen[2].headers.get("x-request-id").is_none(),
        "only that view"
    );
    assert_eq!(server.connections(), 1, "the view shares the pool");
}

#[tokio::test]
async fn basic_and_bearer_auth_are_sent() {
    let server = serve(Answer::router(test_router().0)).await;

    let basic = HttpClient::builder(&server.url())
        .basic_auth("alice", Some("wonder land"))
        .build()
        .unwrap();
    let _: String = basic.request("hello", EncodedParams::none()).await.unwrap();
    let no_password = HttpClient::builder(&server.url())
        .basic_auth("bob", None)
        .build()
        .unwrap();
    let _: String = no_password
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    let bearer = HttpClient::builder(&server.url())
        .bearer_auth("tok3n")
        .build()
        .unwrap();
    let _: String = bearer
        .request("hello", EncodedParams::none())
        .await
        .unwrap();

    let seen = server.seen();
    let decode = |value: &HeaderValue| {
        let text = value.to_str().unwrap().strip_prefix("Basic ").unwrap();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        decode(&seen[0].headers["authorization"]),
        "alice:wonder land"
    );
    assert_eq!(decode(&seen[1].headers["authorization"]), "bob:");
    assert_eq!(seen[2].headers["authorization"], "Bearer tok3n");
}

async fn ids_seen_with(client: &HttpClient, server: &servers::TestServer) -> Vec<Value> {
    let before = server.seen().len();
    for _ in 0..3 {
        let _: String = client
            .request("hello", EncodedParams::none())
            .await
            .unwrap();
    }
    server.seen_json()[before..]
        .iter()
        .map(|v| v["id"].clone())
        .collect()
}

#[tokio::test]
async fn id_generators_shape_the_ids_the_server_sees() {
    let server = serve(Answer::router(test_router().0)).await;

    let decimal = HttpClient::new(&server.url()).unwrap();
    assert_eq!(
        ids_seen_with(&decimal, &server).await,
        [json!(1), json!(2), json!(3)]
    );

    let hex = HttpClient::builder(&server.url())
        .id_generator(HexIds::starting_at(9))
        .build()
        .unwrap();
    assert_eq!(
        ids_seen_with(&hex, &server).await,
        [json!("9"), json!("a"), json!("b")]
    );

    let uuid = HttpClient::builder(&server.url())
        .id_generator(UuidIds)
        .build()
        .unwrap();
    let ids = ids_seen_with(&uuid, &server).await;
    for id in &ids {
        let parsed = uuid::Uuid::parse_str(id.as_str().unwrap()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }
    assert_ne!(ids[0], ids[1]);

    let random = HttpClient::builder(&server.url())
        .id_generator(RandomIds::new(24))
        .build()
        .unwrap();
    for id in ids_seen_with(&random, &server).await {
        let text = id.as_str().unwrap();
        assert_eq!(text.len(), 24);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric()), "{text}");
    }

    let counter = std::sync::atomic::AtomicU64::new(0);
    let custom = HttpClient::builder(&server.url())
        .id_generator(move || {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Id::string(&format!("req-{n}"))
        })
        .build()
        .unwrap();
    assert_eq!(
        ids_seen_with(&custom, &server).await,
        [json!("req-0"), json!("req-1"), json!("req-2")]
    );
}

#[tokio::test]
async fn batch_calls_take_ids_from_the_generator() {
    let server = serve(Answer::reversing(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .id_generator(HexIds::starting_at(10))
        .build()
        .unwrap();
    let mut batch = BatchRequest::new();
    let a = batch.call::<i64>("subtract", positional(2, 1));
    batch.notify("log", EncodedParams::from_value(&["n"]).unwrap());
    let b = batch.call::<i64>("subtract", positional(3, 1));
    let response = client.batch(batch).await.unwrap();
    assert_eq!((response.get(a).unwrap(), response.get(b).unwrap()), (1, 2));
    let sent = &server.seen_json()[0];
    let ids: Vec<_> = sent
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.get("id").cloned())
        .collect();
    assert_eq!(ids, [Some(json!("a")), None, Some(json!("b"))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_multiplexes_over_one_connection() {
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let _: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .request::<i64>("subtract", positional(i, 1))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for (i, call) in (0..).zip(calls) {
        assert_eq!(call.await.unwrap(), i - 1);
    }
    assert!(server
        .seen()
        .iter()
        .all(|s| s.version == http::Version::HTTP_2));
    assert_eq!(
        server.connections(),
        1,
        "concurrent calls share one h2 connection"
    );
}

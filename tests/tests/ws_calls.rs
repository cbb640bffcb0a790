//! Calls over a real WebSocket: concurrency, ordering, batches,
//! per-connection state, headers, binary frames.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/ws_server.rs"]
mod ws_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{BatchRequest, BuildError, Caller, ClientError, ConnectError, WsClient};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use ws_server::WsServer;

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

#[derive(Debug)]
struct User(String);

fn router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("double", |p, _| {
            let (x,): (i64,) = p.decode(&["x"])?;
            Ok::<_, ErrorObjectOwned>(x * 2)
        })
        .unwrap();
    router
        .register_async("double_later", |p, _| {
            let x = p.decode::<(i64, u64)>(&["x", "delay_us"]);
            async move {
                let (x, delay) = x?;
                tokio::time::sleep(Duration::from_micros(delay)).await;
                Ok::<_, ErrorObjectOwned>(x * 2)
            }
        })
        .unwrap();
    router
        .register_async("sleep", |p, _| {
            let ms = p.decode::<(u64,)>(&["ms"]);
            async move {
                let (ms,) = ms?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>(ms)
            }
        })
        .unwrap();
    router
        .register_sync("login", |p, ctx| {
            let (name,): (String,) = p.decode(&["name"])?;
            ctx.insert(User(name));
            Ok::<_, ErrorObjectOwned>(true)
        })
        .unwrap();
    router
        .register_sync("whoami", |_, ctx| match ctx.get::<User>() {
            Some(user) => Ok(user.0.clone()),
            None => Err(ErrorObject::new(401, "not logged in")),
        })
        .unwrap();
    router
        .register_sync("header", |p, ctx| {
            let (name,): (String,) = p.decode(&["name"])?;
            let head = ctx
                .request_head()
                .ok_or_else(|| ErrorObject::new(1, "no head"))?;
            Ok::<_, ErrorObjectOwned>(head.header(&name).map(str::to_owned))
        })
        .unwrap();
    router
        .register_sync("boom", |_, _| -> Result<(), ErrorObjectOwned> {
            panic!("kaboom")
        })
        .unwrap();
    router
        .register_sync("transport", |_, ctx| {
            Ok::<_, ErrorObjectOwned>(ctx.transport())
        })
        .unwrap();
    router
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_from_fifty_tasks() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..50i64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let calls = (0..20i64).map(|i| {
                let client = &client;
                async move {
                    let x = task * 1000 + i;
                    // Varying delays make the answers come back out of order.
                    let delay = ((x * 7919) % 500) as u64;
                    let got: i64 = client
                        .call("double_later", params(json!([x, delay])))
                        .await
                        .unwrap();
                    assert_eq!(got, 2 * x, "call {x} got someone else's answer");
                }
            });
            futures_util::future::join_all(calls).await.len()
        }));
    }
    let mut answered = 0;
    for task in tasks {
        answered += task.await.unwrap();
    }
    assert_eq!(answered, 1000);
}

#[tokio::test]
async fn in_flight_limit_holds_back_reading_not_answers() {
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut router = Router::new();
    let (r, m) = (running.clone(), most.clone());
    router
        .register_async("work", move |p, _| {
            let x = p.decode::<(i64,)>(&["x"]);
            let (running, most) = (r.clone(), m.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ErrorObjectOwned>(x?.0 + 1)
            }
        })
        .unwrap();
    let server = WsServer::start(router, WsConfig::default().with_max_in_flight(4)).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let calls = (0..100i64).map(|x| {
        let client = &client;
        async move {
            client
                .call::<i64>("work", params(json!([x])))
                .await
                .unwrap()
                == x + 1
        }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(
        results.iter().all(|ok| *ok),
        "every call answered correctly"
    );
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= 4,
        "{most} calls ran at once on one connection, limit 4"
    );
    assert!(most >= 2, "calls did run concurrently ({most})");
}

#[tokio::test]
async fn a_fast_call_overtakes_a_slow_one() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let start = Instant::now();
    let slow = {
        let client = client.clone();
        tokio::spawn(async move {
            let ms: u64 = client.call("sleep", params(json!([600]))).await.unwrap();
            (ms, start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let fast: i64 = client.call("double", params(json!([21]))).await.unwrap();
    let fast_done = start.elapsed();
    assert_eq!(fast, 42);
    assert!(!slow.is_finished(), "the slow call is still running");
    let (ms, slow_done) = slow.await.unwrap();
    assert_eq!(ms, 600);
    assert!(
        fast_done < Duration::from_millis(400) && slow_done >= Duration::from_millis(600),
        "fast answered at {fast_done:?}, slow at {slow_done:?}"
    );
}

#[tokio::test]
async fn typed_batches_and_notifications() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let mut batch = BatchRequest::new();
    let a = batch.call::<i64>("double", params(json!([1])));
    let slow = batch.call::<u64>("sleep", params(json!([30])));
    let b = batch.call::<i64>("double", params(json!({"x": 50})));
    batch.notify("double", params(json!([0])));
    let missing = batch.call::<i64>("nope", EncodedParams::none());
    let response = client.batch(batch).await.unwrap();
    assert_eq!(response.get(a).unwrap(), 2);
    assert_eq!(response.get(b).unwrap(), 100);
    assert_eq!(response.get(slow).unwrap(), 30);
    let error = response.get(missing).unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, -32601);

    let mut only_notifications = BatchRequest::new();
    only_notifications.notify("double", params(json!([1])));
    only_notifications.notify("double", params(json!([2])));
    let response = client.batch(only_notifications).await.unwrap();
    assert!(response.raw().is_empty());

    client.notify("double", params(json!([2]))).await.unwrap();
    // The connection still answers after a notification and a batch.
    assert_eq!(
        client
            .call::<i64>("double", params(json!([4])))
            .await
            .unwrap(),
        8
    );
}

#[tokio::test]
async fn state_is_per_connection() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let ada = WsClient::connect(&server.url).await.unwrap();
    let bob = WsClient::connect(&server.url).await.unwrap();
    let refused = ada
        .call::<String>("whoami", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(refused.rpc_error().unwrap().code, 401);
    assert!(ada
        .call::<bool>("login", params(json!(["ada"])))
        .await
        .unwrap());
    assert_eq!(
        ada.call::<String>("whoami", EncodedParams::none())
            .await
            .unwrap(),
        "ada"
    );
    let other = bob
        .call::<String>("whoami", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(
        other.rpc_error().unwrap().code,
        401,
        "bob's connection does not see ada's login"
    );
    assert!(bob
        .call::<bool>("login", params(json!(["bob"])))
        .await
        .unwrap());
    assert_eq!(
        bob.call::<String>("whoami", EncodedParams::none())
            .await
            .unwrap(),
        "bob"
    );
    assert_eq!(
        ada.call::<String>("whoami", EncodedParams::none())
            .await
            .unwrap(),
        "ada"
    );
}

#[tokio::test]
async fn upgrade_headers_reach_handlers() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::builder(&server.url)
        .header("x-api-key", "k-123")
        .bearer_auth("t0ken")
        .connect()
        .await
        .unwrap();
    let key: Option<String> = client
        .call("header", params(json!(["x-api-key"])))
        .await
        .unwrap();
    assert_eq!(key.as_deref(), Some("k-123"));
    let auth: Option<String> = client
        .call("header", params(json!(["authorization"])))
        .await
        .unwrap();
    assert_eq!(auth.as_deref(), Some("Bearer t0ken"));
    let transport: String = client
        .call("transport", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(transport, "ws");

    let basic = WsClient::builder(&server.url)
        .basic_auth("ada", Some("pw"))
        .connect()
        .await
        .unwrap();
    let auth: Option<String> = basic
        .call("header", params(json!(["authorization"])))
        .await
        .unwrap();
    assert_eq!(auth.as_deref(), Some("Basic YWRhOnB3"));

    let bad = WsClient::builder(&server.url)
        .header("bad header", "x")
        .connect()
        .await;
    assert!(matches!(
        bad,
        Err(ConnectError::Build(BuildError::InvalidHeader(_)))
    ));
}

#[tokio::test]
async fn a_request_timeout_fails_the_call_and_keeps_the_connection() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::builder(&server.url)
        .request_timeout(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    let error = client
        .call::<u64>("sleep", params(json!([2000])))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout(d) if d == Duration::from_millis(100)),
        "{error:?}"
    );
    assert_eq!(
        client
            .call::<i64>("double", params(json!([3])))
            .await
            .unwrap(),
        6
    );
}

#[tokio::test]
async fn binary_frames_are_answered_in_binary() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    let request = r#"[{"jsonrpc":"2.0","method":"double","params":[5],"id":"a"},{"jsonrpc":"2.0","method":"double","params":[6],"id":"b"}]"#;
    socket
        .send(Message::binary(request.as_bytes().to_vec()))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    let Message::Binary(bytes) = reply else {
        panic!("expected a binary frame, got {reply:?}");
    };
    let reply: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        reply,
        json!([{"jsonrpc":"2.0","result":10,"id":"a"},{"jsonrpc":"2.0","result":12,"id":"b"}])
    );

    // Text still gets text, and garbage gets a parse error, not a hang-up.
    socket.send(Message::text("{oops")).await.unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    let Message::Text(text) = reply else {
        panic!("expected text, got {reply:?}")
    };
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["error"]["code"], -32700);

    // A binary frame that is not UTF-8 cannot be JSON: closed with 1007.
    socket
        .send(Message::binary(vec![0xff, 0xfe, 0x00]))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    let Message::Close(Some(frame)) = reply else {
        panic!("expected close, got {reply:?}")
    };
    assert_eq!(u16::from(frame.code), 1007);
}

#[tokio::test]
async fn a_batch_the_server_refuses_whole_fails_instead_of_hanging() {
    let router = router().with_config(rpc_runtime::RouterConfig::default().with_max_batch_len(2));
    let server = WsServer::start(router, WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let mut batch = BatchRequest::new();
    for x in 0..3 {
        let _ = batch.call::<i64>("double", params(json!([x])));
    }
    // No request timeout: the answer (one error, id null) must end the wait.
    let error = tokio::time::timeout(Duration::from_secs(5), client.batch(batch))
        .await
        .expect("the batch is answered")
        .unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, -32600, "{error}");
    // A batch within the limit still works.
    let mut batch = BatchRequest::new();
    let a = batch.call::<i64>("double", params(json!([7])));
    assert_eq!(client.batch(batch).await.unwrap().get(a).unwrap(), 14);
}

#[tokio::test]
async fn bad_input_and_panics_get_errors_and_the_connection_keeps_serving() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let error = client
        .call::<()>("boom", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, -32603);
    let error = client
        .call::<i64>("double", params(json!(["two"])))
        .await
        .unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, -32602);

    let (mut socket, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    for (sent, code) in [
        ("[]", -32600),
        ("42", -32600),
        (r#"{"jsonrpc":"2.0","id":1}"#, -32600),
    ] {
        socket.send(Message::text(sent)).await.unwrap();
        let reply: Value =
            serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
        assert_eq!(reply["error"]["code"], code, "{sent} -> {reply}");
    }
    assert_eq!(
        client
            .call::<i64>("double", params(json!([2])))
            .await
            .unwrap(),
        4
    );
}

#[tokio::test]
async fn wss_with_a_trusted_root() {
    let (server, cert_pem) = WsServer::start_tls(router(), WsConfig::default()).await;
    let client = WsClient::builder(&server.url)
        .add_root_certificate(cert_pem.into_bytes())
        .built_in_roots(false)
        .connect()
        .await
        .unwrap();
    assert_eq!(
        client
            .call::<i64>("double", params(json!([8])))
            .await
            .unwrap(),
        16
    );

    // Without that root the self-signed certificate is refused.
    let untrusted = WsClient::connect(&server.url).await.unwrap_err();
    assert!(
        matches!(untrusted, ConnectError::Connect(ClientError::Transport(_))),
        "{untrusted:?}"
    );
}

//! Either side calls the other over one WebSocket: server → client calls
//! inside client → server calls, notifications and batches both ways,
//! handles kept outside handlers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/ws_server.rs"]
mod ws_server;

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{BatchRequest, Caller, WsClient};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::{codes, ErrorObject, ErrorObjectOwned};
use rpc_runtime::ws::{CloseReason, Peer, WsConfig};
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use ws_server::WsServer;

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

fn peer_of(ctx: &rpc_runtime::Context) -> Result<Peer, ErrorObjectOwned> {
    ctx.peer::<Peer>()
        .cloned()
        .ok_or_else(|| ErrorObject::new(1, "no peer"))
}

fn as_error(error: rpc_client::ClientError) -> ErrorObjectOwned {
    ErrorObject::new(2, format!("calling back failed: {error}"))
}

/// The server: plain methods, and methods that call back into the client.
fn server_router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("double", |p, _| {
            let (x,): (i64,) = p.decode(&["x"])?;
            Ok::<_, ErrorObjectOwned>(x * 2)
        })
        .unwrap();
    router
        .register_async("ask_client", |p, ctx| {
            let args = p.decode::<(i64, i64)>(&["a", "b"]);
            let peer = peer_of(ctx);
            async move {
                let (a, b) = args?;
                // Awaits the client's answer before replying.
                let sum: i64 = peer?
                    .call("client.add", EncodedParams::from_value(&[a, b]).unwrap())
                    .await
                    .map_err(as_error)?;
                Ok::<_, ErrorObjectOwned>(sum * 10)
            }
        })
        .unwrap();
    router
        .register_async("ask_client_deep", |p, ctx| {
            let x = p.decode::<(i64,)>(&["x"]);
            let peer = peer_of(ctx);
            async move {
                let (x,) = x?;
                peer?
                    .call::<i64>(
                        "client.double_via_server",
                        EncodedParams::from_value(&[x]).unwrap(),
                    )
                    .await
                    .map_err(as_error)
            }
        })
        .unwrap();
    router
        .register_async("notify_me", |p, ctx| {
            let text = p.decode::<(String,)>(&["text"]);
            let peer = peer_of(ctx);
            async move {
                let (text,) = text?;
                peer?
                    .notify("client.event", EncodedParams::from_value(&[text]).unwrap())
                    .await
                    .map_err(as_error)?;
                Ok::<_, ErrorObjectOwned>(true)
            }
        })
        .unwrap();
    router
        .register_async("batch_client", |p, ctx| {
            let n = p.decode::<(i64,)>(&["n"]);
            let peer = peer_of(ctx);
            async move {
                let (n,) = n?;
                let mut batch = BatchRequest::new();
                let slots: Vec<_> = (0..n)
                    .map(|i| {
                        batch.call::<i64>("client.add", EncodedParams::from_value(&[i, 1]).unwrap())
                    })
                    .collect();
                batch.notify(
                    "client.event",
                    EncodedParams::from_value(&["batched"]).unwrap(),
                );
                let response = peer?.batch(batch).await.map_err(as_error)?;
                let mut total = 0;
                for slot in slots {
                    total += response.get(slot).map_err(as_error)?;
                }
                Ok::<_, ErrorObjectOwned>(total)
            }
        })
        .unwrap();
    router
}

/// The client's own methods, which the server calls.
fn client_router(events: mpsc::UnboundedSender<String>) -> Router {
    let mut router = Router::new();
    router
        .register_sync("client.add", |p, _| {
            let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    router
        .register_async("client.double_via_server", |p, ctx| {
            let x = p.decode::<(i64,)>(&["x"]);
            let peer = peer_of(ctx);
            async move {
                let (x,) = x?;
                // The client, inside a call from the server, calls the server.
                peer?
                    .call::<i64>("double", EncodedParams::from_value(&[x]).unwrap())
                    .await
                    .map_err(as_error)
            }
        })
        .unwrap();
    router
        .register_sync("client.event", move |p, _| {
            let (text,): (String,) = p.decode(&["text"])?;
            events.send(text).unwrap();
            Ok::<_, ErrorObjectOwned>(())
        })
        .unwrap();
    router
}

async fn connect(server: &WsServer) -> (WsClient, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = WsClient::builder(&server.url)
        .serve(client_router(tx))
        .request_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    (client, rx)
}

#[tokio::test]
async fn a_server_handler_calls_the_client_before_replying() {
    let server = WsServer::start(server_router(), WsConfig::default()).await;
    let (client, _events) = connect(&server).await;
    let got: i64 = client
        .call("ask_client", params(json!([2, 3])))
        .await
        .unwrap();
    assert_eq!(got, 50);
    // Three levels: client → server → client → server.
    let got: i64 = client
        .call("ask_client_deep", params(json!([21])))
        .await
        .unwrap();
    assert_eq!(got, 42);
}

#[tokio::test]
async fn nested_calls_that_fill_the_in_flight_limit_still_finish() {
    // Every slot is held by a handler waiting for the client, whose handler
    // calls the server again: the server must keep reading (and running)
    // those inner calls although it is at its limit.
    let config = WsConfig::default().with_max_in_flight(4);
    let server = WsServer::start(server_router(), config).await;
    let (client, _events) = connect(&server).await;
    for _round in 0..3 {
        let calls = (0..4i64).map(|i| {
            let client = &client;
            async move {
                client
                    .call::<i64>("ask_client_deep", params(json!([i])))
                    .await
                    .unwrap()
            }
        });
        let results = tokio::time::timeout(
            Duration::from_secs(10),
            futures_util::future::join_all(calls),
        )
        .await
        .expect("no deadlock");
        assert_eq!(results, [0, 2, 4, 6]);
    }
}

#[tokio::test]
async fn an_overloaded_connection_refuses_rather_than_hangs() {
    let config = WsConfig::default().with_max_in_flight(2);
    let server = WsServer::start(server_router(), config).await;
    let (client, _events) = connect(&server).await;
    let calls = (0..40i64).map(|i| {
        let client = &client;
        async move {
            (
                i,
                client
                    .call::<i64>("ask_client_deep", params(json!([i])))
                    .await,
            )
        }
    });
    let results = tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join_all(calls),
    )
    .await
    .expect("no deadlock");
    let mut refused = 0;
    for (i, result) in results {
        match result {
            Ok(got) => assert_eq!(got, 2 * i),
            // Past twice the limit a call is refused, never buffered (at any
            // level of the nesting, so the refusal may come wrapped).
            Err(error) => {
                assert!(error.rpc_error().is_some(), "{error}");
                assert!(
                    error
                        .to_string()
                        .contains(&format!("code {}", codes::SERVER_BUSY)),
                    "{error}"
                );
                refused += 1;
            }
        }
    }
    assert!(
        refused > 0,
        "40 nested calls on a limit of 2 cannot all run"
    );
    // The connection is still fine once the burst is over.
    assert_eq!(
        client
            .call::<i64>("ask_client_deep", params(json!([5])))
            .await
            .unwrap(),
        10
    );
}

#[tokio::test]
async fn notifications_and_batches_from_the_server() {
    let server = WsServer::start(server_router(), WsConfig::default()).await;
    let (client, mut events) = connect(&server).await;
    assert!(client
        .call::<bool>("notify_me", params(json!(["hello"])))
        .await
        .unwrap());
    assert_eq!(events.recv().await.unwrap(), "hello");

    // The server sends a batch of 5 calls and a notification to the client.
    let total: i64 = client
        .call("batch_client", params(json!([5])))
        .await
        .unwrap();
    assert_eq!(total, (0..5).map(|i| i + 1).sum::<i64>());
    assert_eq!(events.recv().await.unwrap(), "batched");
}

#[tokio::test]
async fn server_code_outside_handlers_calls_clients_and_sees_them_leave() {
    let server = WsServer::start(server_router(), WsConfig::default()).await;
    let (client, mut events) = connect(&server).await;
    // Wait for the server to have the connection's handle.
    let _: i64 = client.call("double", params(json!([1]))).await.unwrap();
    let peers = server.peers();
    assert_eq!(peers.len(), 1);
    let peer = peers[0].clone();

    // A broadcaster: calls and notifications while the client also calls.
    let (from_server, from_client) = tokio::join!(
        async {
            let mut sums = Vec::new();
            for i in 0..50i64 {
                sums.push(
                    peer.call::<i64>("client.add", params(json!([i, i])))
                        .await
                        .unwrap(),
                );
            }
            peer.notify("client.event", params(json!(["tick"])))
                .await
                .unwrap();
            sums
        },
        async {
            let mut doubles = Vec::new();
            for i in 0..50i64 {
                doubles.push(
                    client
                        .call::<i64>("double", params(json!([i])))
                        .await
                        .unwrap(),
                );
            }
            doubles
        }
    );
    assert_eq!(from_server, (0..50).map(|i| 2 * i).collect::<Vec<_>>());
    assert_eq!(from_client, (0..50).map(|i| 2 * i).collect::<Vec<_>>());
    assert_eq!(events.recv().await.unwrap(), "tick");

    assert!(!peer.is_closed());
    client.close().await;
    let reason = tokio::time::timeout(Duration::from_secs(5), peer.closed())
        .await
        .unwrap();
    assert_eq!(
        reason,
        CloseReason::Remote {
            code: 1000,
            reason: String::new()
        }
    );
    let error = peer
        .call::<i64>("client.add", params(json!([1, 1])))
        .await
        .unwrap_err();
    assert!(
        matches!(error, rpc_client::ClientError::Closed(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn one_batch_may_carry_responses_and_requests() {
    let server = WsServer::start(server_router(), WsConfig::default()).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    socket
        .send(Message::text(
            r#"{"jsonrpc":"2.0","method":"ask_client","params":[2,3],"id":"ask"}"#,
        ))
        .await
        .unwrap();
    // The server's call back to this (raw) client.
    let call: Value =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(call["method"], "client.add");
    assert_eq!(call["params"], json!([2, 3]));
    // Answer it in the same batch as a new request of our own.
    let mixed = json!([
        {"jsonrpc": "2.0", "result": 5, "id": call["id"]},
        {"jsonrpc": "2.0", "method": "double", "params": [4], "id": "x"}
    ]);
    socket.send(Message::text(mixed.to_string())).await.unwrap();
    let mut replies = Vec::new();
    for _ in 0..2 {
        let reply = socket.next().await.unwrap().unwrap();
        replies.push(serde_json::from_str::<Value>(reply.to_text().unwrap()).unwrap());
    }
    // Only the request is answered in the batch's reply; the response went to
    // the waiting handler, which then answered "ask".
    assert!(
        replies.contains(&json!([{"jsonrpc":"2.0","result":8,"id":"x"}])),
        "{replies:?}"
    );
    assert!(
        replies.contains(&json!({"jsonrpc":"2.0","result":50,"id":"ask"})),
        "{replies:?}"
    );
}

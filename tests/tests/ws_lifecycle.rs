//! The life of a WebSocket connection: drops with calls in flight, size
//! limit, keepalive, idle timeout, graceful shutdown, close, reconnect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/ws_server.rs"]
mod ws_server;

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{Caller, ClientError, ConnectionState, ReconnectPolicy, WsClient};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::ws::{CloseReason, WsConfig};
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use ws_server::WsServer;

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

fn router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("echo", |p, _| {
            let (text,): (String,) = p.decode(&["text"])?;
            Ok::<_, ErrorObjectOwned>(text)
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
}

async fn within<T>(limit: Duration, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, future).await.expect("in time")
}

#[tokio::test]
async fn a_dropped_connection_fails_every_pending_call_at_once() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.call::<u64>("sleep", params(json!([60_000]))).await })
        })
        .collect();
    // Let the calls reach the server, then kill it mid-call.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed = Instant::now();
    server.kill().await;
    for call in calls {
        let error = within(Duration::from_secs(2), call)
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
    }
    assert!(killed.elapsed() < Duration::from_secs(2));
    let reason = within(Duration::from_secs(2), client.disconnected()).await;
    assert!(matches!(reason, CloseReason::Error(_)), "{reason:?}");
    assert!(matches!(client.state(), ConnectionState::Disconnected(_)));
    // Without a reconnect policy, new calls fail at once too.
    let error = client
        .call::<String>("echo", params(json!(["x"])))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let mut server =
        WsServer::start(router(), WsConfig::default().with_max_message_size(1024)).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let small: String = client.call("echo", params(json!(["small"]))).await.unwrap();
    assert_eq!(small, "small");
    let big = "x".repeat(4096);
    let error = within(
        Duration::from_secs(5),
        client.call::<String>("echo", params(json!([big]))),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
    let reason = within(Duration::from_secs(5), client.disconnected()).await;
    assert!(
        matches!(reason, CloseReason::Remote { code: 1009, .. }),
        "{reason:?}"
    );
    assert_eq!(server.next_close().await, CloseReason::MessageTooBig);
}

#[tokio::test]
async fn a_peer_that_stops_answering_pings_is_closed() {
    let config =
        WsConfig::default().with_ping(Some(Duration::from_millis(100)), Duration::from_millis(200));
    let mut server = WsServer::start(router(), config).await;

    // A live client answers pings and stays connected well past the timeout.
    let live = WsClient::connect(&server.url).await.unwrap();
    // A raw client that never reads, so never answers a ping.
    let (mut silent, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    let start = Instant::now();
    assert_eq!(server.next_close().await, CloseReason::PingTimeout);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "closed after {:?}",
        start.elapsed()
    );

    // Once the silent client reads, it finds the socket gone: its stream
    // ends (after the queued pings and, unless its pong replies hit the
    // closed socket first, the 1011 close frame).
    let ended = within(Duration::from_secs(2), async {
        loop {
            match silent.next().await {
                Some(Ok(Message::Close(frame))) => {
                    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1011));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return true,
            }
        }
    })
    .await;
    assert!(ended);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(live.state(), ConnectionState::Connected);
    let echoed: String = live.call("echo", params(json!(["alive"]))).await.unwrap();
    assert_eq!(echoed, "alive");
}

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let config = WsConfig::default().with_idle_timeout(Some(Duration::from_millis(200)));
    let mut server = WsServer::start(router(), config).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    // A call that runs longer than the idle timeout keeps it open.
    let ms: u64 = client.call("sleep", params(json!([400]))).await.unwrap();
    assert_eq!(ms, 400);
    let reason = within(Duration::from_secs(3), client.disconnected()).await;
    assert_eq!(
        reason,
        CloseReason::Remote {
            code: 1000,
            reason: "idle timeout".to_owned()
        }
    );
    assert_eq!(server.next_close().await, CloseReason::IdleTimeout);
}

#[tokio::test]
async fn shutdown_finishes_calls_in_flight_then_closes_with_1001() {
    let mut server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::connect(&server.url).await.unwrap();
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.call::<u64>("sleep", params(json!([300]))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown();
    // Once the connection sees the shutdown, new calls are refused, not
    // dropped (a call that beats the signal still runs).
    let refused = within(Duration::from_secs(2), async {
        loop {
            match client.call::<String>("echo", params(json!(["late"]))).await {
                Ok(echoed) => assert_eq!(echoed, "late"),
                Err(error) => return error,
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(
        refused.rpc_error().map(|e| e.code),
        Some(-32001),
        "{refused:?}"
    );
    assert!(!slow.is_finished(), "the slow call is still running");
    assert_eq!(
        within(Duration::from_secs(2), slow).await.unwrap().unwrap(),
        300
    );
    let reason = within(Duration::from_secs(2), client.disconnected()).await;
    assert!(
        matches!(reason, CloseReason::Remote { code: 1001, .. }),
        "{reason:?}"
    );
    assert_eq!(server.next_close().await, CloseReason::Shutdown);
}

#[tokio::test]
async fn close_ends_the_connection_for_good() {
    let mut server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::builder(&server.url)
        .reconnect(ReconnectPolicy::fixed(Duration::from_millis(10)))
        .connect()
        .await
        .unwrap();
    let _: String = client.call("echo", params(json!(["hi"]))).await.unwrap();
    within(Duration::from_secs(2), client.close()).await;
    assert_eq!(client.state(), ConnectionState::Closed);
    assert_eq!(
        server.next_close().await,
        CloseReason::Remote {
            code: 1000,
            reason: String::new()
        }
    );
    let error = client
        .call::<String>("echo", params(json!(["x"])))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
}

#[tokio::test]
async fn the_reconnect_policy_brings_new_calls_a_new_connection() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let addr = server.addr;
    let client = WsClient::builder(&server.url)
        .request_timeout(Duration::from_secs(5))
        .reconnect(ReconnectPolicy::exponential(
            Duration::from_millis(20),
            Duration::from_millis(200),
        ))
        .connect()
        .await
        .unwrap();
    let mut states = client.watch_state();
    let pending = {
        let client = client.clone();
        tokio::spawn(async move { client.call::<u64>("sleep", params(json!([60_000]))).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.kill().await;
    // The call pending at the drop fails at once; the policy does not retry it.
    let error = within(Duration::from_secs(2), pending)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
    within(
        Duration::from_secs(2),
        states.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })),
    )
    .await
    .unwrap();

    // The server comes back on the same port; a new call waits for the
    // reconnect and succeeds.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _server = WsServer::start_on(addr, router(), WsConfig::default()).await;
    let echoed: String = within(
        Duration::from_secs(5),
        client.call("echo", params(json!(["back"]))),
    )
    .await
    .unwrap();
    assert_eq!(echoed, "back");
    assert_eq!(client.state(), ConnectionState::Connected);
}

#[tokio::test]
async fn a_raw_client_can_close_and_the_server_reports_it() {
    let mut server = WsServer::start(router(), WsConfig::default()).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&server.url).await.unwrap();
    socket
        .send(Message::text(
            r#"{"jsonrpc":"2.0","method":"echo","params":["a"],"id":1}"#,
        ))
        .await
        .unwrap();
    let reply = socket.next().await.unwrap().unwrap();
    assert_eq!(
        reply.to_text().unwrap(),
        r#"{"jsonrpc":"2.0","result":"a","id":1}"#
    );
    socket.close(None).await.unwrap();
    assert_eq!(
        server.next_close().await,
        CloseReason::Remote {
            code: 1005,
            reason: String::new()
        }
    );
}

#[tokio::test]
async fn a_reconnect_policy_that_gives_up_reports_the_disconnect() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let client = WsClient::builder(&server.url)
        .reconnect(ReconnectPolicy::fixed(Duration::from_millis(10)).with_max_attempts(Some(3)))
        .connect()
        .await
        .unwrap();
    let mut states = client.watch_state();
    server.kill().await;
    let state = within(
        Duration::from_secs(5),
        states.wait_for(|s| matches!(s, ConnectionState::Disconnected(_))),
    )
    .await
    .unwrap()
    .clone();
    assert!(
        matches!(state, ConnectionState::Disconnected(CloseReason::Error(_))),
        "{state:?}"
    );
    let error = client
        .call::<String>("echo", params(json!(["x"])))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Closed(_)), "{error:?}");
}

//! One generated client, any transport: the same `#[rpc]` trait served by a
//! real HTTP server and a real WebSocket server on 127.0.0.1, called through
//! `HttpClient` and `WsClient`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpc_client::{Caller, ClientError, HttpClient, WsClient};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::{rpc, Context, RpcError};
use servers::{serve, Answer};
use ws_server::WsServer;

/// Errors of the counter.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CounterError {
    /// The step is too large.
    #[error("step {0} exceeds the limit")]
    #[rpc(code = 2001)]
    TooLarge(u64),
}

/// A shared counter.
#[rpc(namespace = "counter", client_params = "named")]
pub trait Counter {
    /// Adds `step`, returns the new value.
    async fn bump(&self, step: u64) -> Result<u64, CounterError>;
    /// Records a note; no reply.
    #[notification]
    fn note(&self, text: String);
    /// Whether the connection's context knows the peer's address.
    fn has_peer(&self, ctx: &Context) -> bool;
}

#[derive(Default)]
struct Shared {
    value: Mutex<u64>,
    notes: Mutex<Vec<String>>,
}

impl Counter for Arc<Shared> {
    async fn bump(&self, step: u64) -> Result<u64, CounterError> {
        if step > 100 {
            return Err(CounterError::TooLarge(step));
        }
        let mut value = self.value.lock().unwrap();
        *value += step;
        Ok(*value)
    }
    fn note(&self, text: String) {
        self.notes.lock().unwrap().push(text);
    }
    fn has_peer(&self, ctx: &Context) -> bool {
        ctx.peer_addr().is_some()
    }
}

/// The same assertions whatever carries the calls; returns `has_peer`.
async fn exercise<C: Caller>(client: CounterClient<C>, shared: &Shared) -> bool {
    assert_eq!(client.bump(2).await.unwrap(), 2);
    assert_eq!(client.bump(3).await.unwrap(), 5);
    match client.bump(1_000).await {
        Err(ClientError::Application(error)) => assert_eq!(error, CounterError::TooLarge(1_000)),
        other => panic!("expected the typed error, got {other:?}"),
    }
    client.note("hello".to_owned()).await.unwrap();
    // A notification has no reply to wait for: give its handler a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while shared.notes.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(*shared.notes.lock().unwrap(), ["hello"]);
    client.has_peer().await.unwrap()
}

#[tokio::test]
async fn over_http() {
    let shared = Arc::new(Shared::default());
    let server = serve(Answer::router(Arc::clone(&shared).into_router())).await;
    let client = CounterClient::new(HttpClient::new(&server.url()).unwrap());
    exercise(client, &shared).await;
}

#[tokio::test]
async fn over_websocket() {
    let shared = Arc::new(Shared::default());
    let server = WsServer::start(Arc::clone(&shared).into_router(), WsConfig::default()).await;
    let client = CounterClient::new(WsClient::connect(&server.url).await.unwrap());
    assert!(
        exercise(client, &shared).await,
        "the WebSocket server puts the peer address in the context"
    );
}

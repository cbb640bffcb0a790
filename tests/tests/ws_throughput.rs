//! A rough throughput check, not a benchmark suite: 4 connections with 64
//! calls in flight each, against our server and against a bare
//! tokio-tungstenite echo server, with the same pipelining raw client.
//! Run with `cargo test --release -p tests --test ws_throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/ws_server.rs"]
mod ws_server;

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{Caller, WsClient};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use ws_server::WsServer;

const CONNECTIONS: usize = 4;
const IN_FLIGHT: usize = 64;
const RUN: Duration = Duration::from_secs(2);

/// Keeps `IN_FLIGHT` requests outstanding on each connection; returns
/// replies per second.
async fn pipeline(url: &str) -> f64 {
    let request = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#;
    let mut tasks = Vec::new();
    let start = Instant::now();
    for _ in 0..CONNECTIONS {
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let (socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
            let (mut tx, mut rx) = socket.split();
            for _ in 0..IN_FLIGHT {
                tx.feed(Message::text(request)).await.unwrap();
            }
            tx.flush().await.unwrap();
            let mut replies = 0u64;
            while start.elapsed() < RUN {
                let reply = rx.next().await.unwrap().unwrap();
                assert!(reply.is_text());
                replies += 1;
                tx.send(Message::text(request)).await.unwrap();
            }
            replies
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_text() && ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("ws://{addr}/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a throughput measurement; run in release"]
async fn throughput_against_a_bare_echo_server() {
    let mut router = Router::new();
    router
        .register_sync("add", |p, _| {
            let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    let server = WsServer::start(router, WsConfig::default()).await;
    let echo = echo_server().await;

    let ours = pipeline(&server.url).await;
    let bare = pipeline(&echo).await;
    println!(
        "server: ours {ours:.0}/s, bare echo {bare:.0}/s ({:.0}%)",
        100.0 * ours / bare
    );

    // Our client against our server, calls from 4 × 64 tasks.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = WsClient::connect(&server.url).await.unwrap();
        for _ in 0..IN_FLIGHT {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut calls = 0u64;
                while start.elapsed() < RUN {
                    let sum: i64 = client
                        .call("add", EncodedParams::from_value(&[1, 2]).unwrap())
                        .await
                        .unwrap();
                    assert_eq!(sum, 3);
                    calls += 1;
                }
                calls
            }));
        }
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    println!(
        "WsClient → our server: {:.0} calls/s",
        total as f64 / start.elapsed().as_secs_f64()
    );
}

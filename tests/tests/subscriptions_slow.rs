//! Slow subscribers: a client that stops reading meets each policy, with
//! the server's memory bounded; unsubscribing races with items in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_runtime::protocol::codes;
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::subscription::{PendingSubscription, SlowPolicy, SubscriptionConfig, Topic};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Items large enough that a client that stops reading fills the socket
/// buffers after a few dozen.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Item {
    n: usize,
    pad: String,
}

const PAD: usize = 100 * 1024;
const BUFFER: usize = 4;

fn api(topic: Arc<Topic<Item>>) -> Router {
    let mut router = Router::new();
    router
        .register_subscription(
            "subscribe_items",
            "items",
            "unsubscribe_items",
            &["policy"],
            move |(policy,): (String,), pending: PendingSubscription<Item>, _| {
                let topic = topic.clone();
                async move {
                    let policy = match policy.as_str() {
                        "drop" => SlowPolicy::DropOldest,
                        "end" => SlowPolicy::End,
                        _ => SlowPolicy::Wait,
                    };
                    if let Ok(sink) = pending.accept_with(SubscriptionConfig::new(BUFFER, policy)) {
                        topic.add(sink);
                    }
                }
            },
        )
        .unwrap();
    router
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start() -> (ServerHandle, Arc<Topic<Item>>, String) {
    let topic = Arc::new(Topic::new());
    let config = WsConfig::default()
        .with_write_queue(8)
        .with_write_timeout(Duration::from_secs(30));
    let server = Server::builder()
        .ws_config(config)
        .build(api(topic.clone()));
    let handle = server.bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", handle.local_addr());
    (handle, topic, url)
}

async fn subscribe(url: &str, policy: &str) -> (Socket, Value) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let call = json!({"jsonrpc":"2.0","method":"subscribe_items","params":[policy],"id":1});
    ws.send(Message::text(call.to_string())).await.unwrap();
    let reply = next_json(&mut ws).await.unwrap();
    (ws, reply["result"].clone())
}

async fn next_json(ws: &mut Socket) -> Option<Value> {
    let frame = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .ok()??
        .ok()?;
    Some(serde_json::from_str(frame.to_text().ok()?).unwrap())
}

fn item(n: usize) -> Item {
    Item {
        n,
        pad: "x".repeat(PAD),
    }
}

const TOTAL: usize = 400;

#[tokio::test]
async fn wait_slows_the_producer_and_loses_nothing() {
    let (handle, topic, url) = start().await;
    let (mut ws, _) = subscribe(&url, "wait").await;
    let published = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (topic, published) = (topic.clone(), published.clone());
        tokio::spawn(async move {
            for n in 0..TOTAL {
                assert_eq!(topic.publish(&item(n)).await.unwrap(), 1);
                published.store(n + 1, Ordering::SeqCst);
            }
        })
    };
    // The client reads nothing for a while: the producer must stall.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stalled_at = published.load(Ordering::SeqCst);
    assert!(
        stalled_at < TOTAL,
        "the producer was not held back ({stalled_at} published)"
    );
    for n in 0..TOTAL {
        let note = next_json(&mut ws).await.unwrap();
        assert_eq!(
            note["params"]["result"]["n"],
            json!(n),
            "in order, none lost"
        );
    }
    producer.await.unwrap();
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn drop_oldest_tells_the_client_how_many_it_lost() {
    let (handle, topic, url) = start().await;
    let (mut ws, id) = subscribe(&url, "drop").await;
    for n in 0..TOTAL {
        // Never waits under this policy.
        tokio::time::timeout(Duration::from_secs(1), topic.publish(&item(n)))
            .await
            .expect("a drop-oldest send never waits")
            .unwrap();
    }
    let (mut seen, mut lost, mut last) = (0, 0, None);
    while seen + lost < TOTAL {
        let note = next_json(&mut ws)
            .await
            .expect("every item delivered or counted lost");
        assert_eq!(note["params"]["subscription"], id);
        if let Some(n) = note["params"]["lagged"].as_u64() {
            lost += usize::try_from(n).unwrap();
            continue;
        }
        let n = note["params"]["result"]["n"].as_u64().unwrap();
        assert!(last < Some(n), "items stay in order");
        last = Some(n);
        seen += 1;
    }
    assert_eq!(seen + lost, TOTAL);
    assert!(lost > 0, "a client that stopped reading lost items");
    assert_eq!(last, Some(TOTAL as u64 - 1), "the newest item is kept");
    // What the server held for this subscriber is bounded: the items that got
    // through are those the buffer, the write queue and the sockets held.
    assert!(seen < TOTAL / 2, "{seen} of {TOTAL} buffered");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn end_closes_the_subscription_with_a_final_error() {
    let (handle, topic, url) = start().await;
    let (mut ws, id) = subscribe(&url, "end").await;
    let mut published = 0;
    while published < TOTAL && topic.try_publish(&item(published)).unwrap() == 1 {
        published += 1;
    }
    assert!(published < TOTAL, "the slow subscriber was ended");
    assert!(topic.is_empty(), "the ended subscription left the topic");
    let mut expected = 0;
    let last = loop {
        let note = next_json(&mut ws).await.expect("the final notice");
        assert_eq!(note["params"]["subscription"], id);
        match note["params"]["result"]["n"].as_u64() {
            Some(n) => {
                assert_eq!(n, expected);
                expected += 1;
            }
            None => break note,
        }
    };
    assert_eq!(
        last["params"]["error"]["code"],
        json!(codes::SUBSCRIBER_TOO_SLOW)
    );
    let quiet = tokio::time::timeout(Duration::from_millis(200), ws.next()).await;
    assert!(quiet.is_err(), "nothing after the final notice: {quiet:?}");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn nothing_arrives_for_an_id_after_its_unsubscribe_answer() {
    let topic = Arc::new(Topic::new());
    let server = Server::builder().build(api(topic.clone()));
    let handle = server.bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", handle.local_addr());
    let publisher = {
        let topic = topic.clone();
        tokio::spawn(async move {
            let small = Item {
                n: 0,
                pad: String::new(),
            };
            loop {
                topic.publish(&small).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    for round in 0..20 {
        let call =
            json!({"jsonrpc":"2.0","method":"subscribe_items","params":["wait"],"id":round * 2});
        ws.send(Message::text(call.to_string())).await.unwrap();
        let id = loop {
            let value = next_json(&mut ws).await.unwrap();
            if value.get("id") == Some(&json!(round * 2)) {
                break value["result"].clone();
            }
        };
        // Let items flow, then unsubscribe while they do.
        let mut items = 0;
        while items < 3 {
            let value = next_json(&mut ws).await.unwrap();
            if value["params"]["subscription"] == id {
                items += 1;
            }
        }
        let unsubscribe =
            json!({"jsonrpc":"2.0","method":"unsubscribe_items","params":[id],"id":round * 2 + 1});
        ws.send(Message::text(unsubscribe.to_string()))
            .await
            .unwrap();
        loop {
            let value = next_json(&mut ws).await.unwrap();
            if value.get("id") == Some(&json!(round * 2 + 1)) {
                assert_eq!(value["result"], json!(true));
                break;
            }
        }
        // Whatever arrives now must be for no id at all: this one is gone.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(30);
        while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, ws.next()).await {
            let value: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
            assert_ne!(
                value["params"]["subscription"], id,
                "round {round}: {value}"
            );
        }
    }
    publisher.abort();
    handle.shutdown(Duration::from_secs(1)).await;
}

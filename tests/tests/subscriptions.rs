//! Subscriptions on the real server: typed streams, the wire format,
//! unsubscribe, limits, slow subscribers and the connection's end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{ClientError, EncodedParams, HttpClient, SubscriptionError, WsClient};
use rpc_runtime::protocol::{codes, ErrorObject};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::subscription::{PendingSubscription, SlowPolicy, SubscriptionConfig, Topic};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Counts from `start` every `every_ms`; `ended` counts producers that saw
/// their subscription end.
fn api(ended: Arc<AtomicUsize>, topic: Arc<Topic<Value>>) -> Router {
    let mut router = Router::new();
    router
        .register_subscription(
            "subscribe_count",
            "count",
            "unsubscribe_count",
            &["start", "every_ms"],
            move |(start, every_ms): (i64, u64), pending: PendingSubscription<i64>, _| {
                let ended = ended.clone();
                async move {
                    if every_ms == 0 {
                        return pending.reject(ErrorObject::new(4000, "every_ms must be positive"));
                    }
                    let Ok(sink) = pending.accept() else { return };
                    let mut n = start;
                    loop {
                        tokio::select! {
                            () = sink.closed() => break,
                            () = tokio::time::sleep(Duration::from_millis(every_ms)) => {}
                        }
                        if sink.send(&n).await.is_err() {
                            break;
                        }
                        n += 1;
                    }
                    ended.fetch_add(1, Ordering::SeqCst);
                }
            },
        )
        .unwrap();
    let topics = topic.clone();
    router
        .register_subscription(
            "subscribe_topic",
            "topic",
            "unsubscribe_topic",
            &["policy"],
            move |(policy,): (String,), pending: PendingSubscription<Value>, _| {
                let topic = topics.clone();
                async move {
                    let policy = match policy.as_str() {
                        "drop" => SlowPolicy::DropOldest,
                        "end" => SlowPolicy::End,
                        _ => SlowPolicy::Wait,
                    };
                    if let Ok(sink) = pending.accept_with(SubscriptionConfig::new(4, policy)) {
                        topic.add(sink);
                    }
                }
            },
        )
        .unwrap();
    router
        .register_async_args("slow", &["ms"], |(ms,): (u64,), _| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, ErrorObject<'static>>(ms)
        })
        .unwrap();
    router
        .register_async_args("publish", &["value"], move |(value,): (Value,), _| {
            let topic = topic.clone();
            async move { Ok::<_, ErrorObject<'static>>(topic.publish(&value).await.unwrap()) }
        })
        .unwrap();
    router
}

async fn start(config: WsConfig) -> (ServerHandle, String, Arc<AtomicUsize>, Arc<Topic<Value>>) {
    let ended = Arc::new(AtomicUsize::new(0));
    let topic = Arc::new(Topic::new());
    let server = Server::builder()
        .ws_config(config)
        .build(api(ended.clone(), topic.clone()));
    let handle = server.bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", handle.local_addr());
    (handle, url, ended, topic)
}

fn count_params(start: i64, every_ms: u64) -> EncodedParams {
    EncodedParams::from_value(&(start, every_ms)).unwrap()
}

/// Subscribes to `subscribe_count(start, every_ms)`.
async fn subscribe_counts(
    client: &WsClient,
    start: i64,
    every_ms: u64,
) -> Result<rpc_client::Subscription<i64>, ClientError> {
    let params = count_params(start, every_ms);
    client
        .subscribe("subscribe_count", params, "count", "unsubscribe_count")
        .await
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test]
async fn a_typed_stream_counts_and_unsubscribes() {
    let (handle, url, ended, _) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let mut counts = subscribe_counts(&client, 5, 5).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(counts.next().await.unwrap().unwrap());
    }
    assert_eq!(got, [5, 6, 7, 8]);
    assert!(counts.unsubscribe().await.unwrap());
    eventually("the producer to see the end", || {
        ended.load(Ordering::SeqCst) == 1
    })
    .await;
    // The connection goes on serving.
    let again = subscribe_counts(&client, 0, 5).await.unwrap();
    drop(again);
    eventually("a dropped stream to unsubscribe", || {
        ended.load(Ordering::SeqCst) == 2
    })
    .await;
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_wire_format_is_jsonrpsee_s_and_ethereum_s() {
    let (handle, url, _, _) = start(WsConfig::default()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let send = r#"{"jsonrpc":"2.0","method":"subscribe_count","params":[1,5],"id":1}"#;
    ws.send(Message::text(send)).await.unwrap();
    let mut next = async || -> Value {
        let frame = ws.next().await.unwrap().unwrap();
        serde_json::from_str(frame.to_text().unwrap()).unwrap()
    };
    let reply = next().await;
    let id = reply["result"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24, "a random string id: {reply}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(reply, json!({"jsonrpc":"2.0","result":id,"id":1}));
    for n in 1..=2 {
        let note = next().await;
        assert_eq!(
            note,
            json!({"jsonrpc":"2.0","method":"count","params":{"subscription":id,"result":n}})
        );
    }
    let unsubscribe = json!({"jsonrpc":"2.0","method":"unsubscribe_count","params":[id],"id":2});
    ws.send(Message::text(unsubscribe.to_string()))
        .await
        .unwrap();
    // Items already queued may come before the answer; none after it.
    loop {
        let frame = ws.next().await.unwrap().unwrap();
        let value: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        if value.get("id") == Some(&json!(2)) {
            assert_eq!(value["result"], json!(true));
            break;
        }
        assert_eq!(value["method"], "count");
    }
    let quiet = tokio::time::timeout(Duration::from_millis(100), ws.next()).await;
    assert!(
        quiet.is_err(),
        "nothing after the unsubscribe answer: {quiet:?}"
    );
    // An unknown id, and another kind's unsubscribe, answer false.
    let again =
        json!({"jsonrpc":"2.0","method":"unsubscribe_count","params":{"subscription":id},"id":3});
    ws.send(Message::text(again.to_string())).await.unwrap();
    let frame = ws.next().await.unwrap().unwrap();
    assert_eq!(
        frame.to_text().unwrap(),
        r#"{"jsonrpc":"2.0","result":false,"id":3}"#
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn rejections_and_http_get_precise_errors() {
    let (handle, url, _, _) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let rejected = subscribe_counts(&client, 1, 0).await.unwrap_err();
    assert!(
        matches!(&rejected, ClientError::Rpc(e) if e.code == 4000),
        "{rejected:?}"
    );
    let bad = client
        .subscribe::<i64>(
            "subscribe_count",
            EncodedParams::from_value(&("x", 1)).unwrap(),
            "count",
            "unsubscribe_count",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&bad, ClientError::Rpc(e) if e.code == codes::INVALID_PARAMS && e.message.contains("start")),
        "{bad:?}"
    );

    let http = HttpClient::new(&format!("http://{}/", handle.local_addr())).unwrap();
    let over_http = http
        .request::<String>("subscribe_count", count_params(1, 5))
        .await
        .unwrap_err();
    match over_http {
        ClientError::Rpc(e) => {
            assert_eq!(e.code, codes::SUBSCRIPTIONS_UNSUPPORTED);
            assert!(
                e.message.contains("WebSocket") && e.message.contains("http"),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_limit_per_connection_is_a_documented_error() {
    let limits =
        rpc_runtime::subscription::SubscriptionLimits::default().with_max_per_connection(2);
    let (handle, url, _, _) = start(WsConfig::default().with_subscription_limits(limits)).await;
    let client = WsClient::connect(&url).await.unwrap();
    let a = subscribe_counts(&client, 1, 50).await.unwrap();
    let _b = subscribe_counts(&client, 1, 50).await.unwrap();
    let refused = subscribe_counts(&client, 1, 50).await.unwrap_err();
    match refused {
        ClientError::Rpc(e) => {
            assert_eq!(e.code, codes::TOO_MANY_SUBSCRIPTIONS);
            assert_eq!(e.data_as::<Value>().unwrap(), Some(json!({"limit": 2})));
        }
        other => panic!("{other:?}"),
    }
    assert!(a.unsubscribe().await.unwrap());
    let _c = subscribe_counts(&client, 1, 50).await.unwrap();
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_connection_s_end_ends_streams_and_producers() {
    let (handle, url, ended, _) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let mut counts = subscribe_counts(&client, 1, 5).await.unwrap();
    assert_eq!(counts.next().await.unwrap().unwrap(), 1);
    client.close().await;
    while let Some(item) = counts.next().await {
        item.unwrap();
    }
    eventually("the producer to learn the connection ended", || {
        ended.load(Ordering::SeqCst) == 1
    })
    .await;
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn graceful_shutdown_sends_a_last_notice_before_the_close_frame() {
    let (handle, url, _, _) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let mut counts = subscribe_counts(&client, 1, 5).await.unwrap();
    counts.next().await.unwrap().unwrap();
    let stopping = tokio::spawn(async move { handle.shutdown(Duration::from_secs(2)).await });
    let last = loop {
        match counts.next().await {
            Some(Ok(_)) => continue,
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the notice"),
        }
    };
    match last {
        SubscriptionError::Ended(e) => assert_eq!(e.code, codes::SUBSCRIPTION_ENDED),
        other => panic!("{other:?}"),
    }
    assert!(counts.next().await.is_none());
    stopping.await.unwrap();
}

#[tokio::test]
async fn a_topic_fans_out_to_thousands_of_subscribers() {
    let (handle, url, _, topic) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let mut streams = Vec::new();
    for _ in 0..1000 {
        let params = EncodedParams::from_value(&("wait",)).unwrap();
        streams.push(
            client
                .subscribe::<Value>("subscribe_topic", params, "topic", "unsubscribe_topic")
                .await
                .unwrap(),
        );
    }
    assert_eq!(topic.len(), 1000);
    let reached: usize = client
        .request(
            "publish",
            EncodedParams::from_value(&(json!({"n": 1}),)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reached, 1000);
    for stream in &mut streams {
        assert_eq!(stream.next().await.unwrap().unwrap(), json!({"n": 1}));
    }
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn subscribe_and_unsubscribe_pass_the_middleware_like_any_call() {
    use rpc_runtime::middleware::{check, Call};
    use rpc_runtime::MethodError;
    use std::sync::Mutex;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let router = api(Arc::new(AtomicUsize::new(0)), Arc::new(Topic::new())).layer(check(
        move |call: &Call<'_>| {
            log.lock().unwrap().push(call.method().to_owned());
            let refused = call.method() == "subscribe_topic";
            async move {
                if refused {
                    return Err(MethodError::from(ErrorObject::new(
                        4003,
                        "no topics for you",
                    )));
                }
                Ok(())
            }
        },
    ));
    let handle = Server::builder()
        .build(router)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = WsClient::connect(&format!("ws://{}/", handle.local_addr()))
        .await
        .unwrap();
    let mut counts = subscribe_counts(&client, 1, 5).await.unwrap();
    assert_eq!(counts.next().await.unwrap().unwrap(), 1);
    assert!(counts.unsubscribe().await.unwrap());
    let refused = client
        .subscribe::<Value>(
            "subscribe_topic",
            EncodedParams::from_value(&("wait",)).unwrap(),
            "topic",
            "unsubscribe_topic",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, ClientError::Rpc(e) if e.code == 4003),
        "{refused:?}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        ["subscribe_count", "unsubscribe_count", "subscribe_topic"],
        "items are notifications the server sends, not calls: only the calls pass"
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_stream_not_read_yields_how_many_items_it_lost() {
    let (handle, url, _, topic) = start(WsConfig::default()).await;
    let client = WsClient::connect(&url).await.unwrap();
    let params = EncodedParams::from_value(&("drop",)).unwrap();
    let mut stream = client
        .subscribe::<Value>("subscribe_topic", params, "topic", "unsubscribe_topic")
        .await
        .unwrap();
    let total = rpc_client::CLIENT_BUFFER + 100;
    for n in 0..total {
        topic.publish(&json!(n)).await.unwrap();
        if n % 64 == 0 {
            // Let the client's reader keep up with the server.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let (mut items, mut lost) = (0, 0);
    while items + lost < total {
        match tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
        {
            Ok(_) => items += 1,
            Err(SubscriptionError::Lagged(n)) => lost += usize::try_from(n).unwrap(),
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(lost > 0, "a stream left unread past its buffer lags");
    assert_eq!(items + lost, total, "every item delivered or counted lost");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn in_a_batch_the_items_wait_for_the_batch_s_reply() {
    let (handle, url, _, _) = start(WsConfig::default()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    // The subscription counts every millisecond; the batch's other member
    // takes 150 ms, and the reply carrying the id comes only then.
    let batch = r#"[{"jsonrpc":"2.0","method":"subscribe_count","params":[1,1],"id":1},
                    {"jsonrpc":"2.0","method":"slow","params":[150],"id":2}]"#;
    ws.send(Message::text(batch)).await.unwrap();
    let first = ws.next().await.unwrap().unwrap();
    let reply: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    let members = reply
        .as_array()
        .unwrap_or_else(|| panic!("the batch's reply comes first: {reply}"));
    assert_eq!(members.len(), 2);
    let id = members.iter().find(|m| m["id"] == 1).unwrap()["result"].clone();
    let frame = ws.next().await.unwrap().unwrap();
    let note: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
    assert_eq!(note["params"], json!({"subscription": id, "result": 1}));
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn subscription_ids_can_be_the_user_s() {
    use rpc_runtime::subscription::{SubscriptionId, SubscriptionIds, SubscriptionLimits};
    let next = Arc::new(AtomicUsize::new(7));
    let ids = SubscriptionIds::new(move || {
        SubscriptionId::number(next.fetch_add(1, Ordering::SeqCst) as u64)
    });
    let config =
        WsConfig::default().with_subscription_limits(SubscriptionLimits::default().with_ids(ids));
    let (handle, url, _, _) = start(config).await;
    let client = WsClient::connect(&url).await.unwrap();
    let a = subscribe_counts(&client, 1, 50).await.unwrap();
    let b = subscribe_counts(&client, 1, 50).await.unwrap();
    assert_eq!(
        (a.id().clone(), b.id().clone()),
        (SubscriptionId::number(7), SubscriptionId::number(8))
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

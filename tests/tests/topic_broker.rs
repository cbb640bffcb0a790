//! Topics past one process: positions and history in process, Redis
//! fan-out across server instances, resuming without gaps, the clients'
//! reconnect that resubscribes, and Redis lost and back. Every test starts
//! its own `redis-server` (see `support/redis.rs`) and real servers on
//! loopback ports.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/packages.rs"]
mod packages;
#[path = "support/redis.rs"]
mod redis;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::Redis;
use rpc_client::{ReconnectPolicy, WsClient};
use rpc_runtime::client::Subscription;
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::subscription::{
    Broker, History, PendingSubscription, Position, PublishError, RedisBroker, RedisConfig, Topic,
};
use rpc_runtime::Router;

const WAIT: Duration = Duration::from_secs(10);

/// Where a server's topics travel.
#[derive(Clone)]
enum Source {
    History(History),
    Broker(Arc<dyn Broker>),
}

/// `subscribe_topic(topic, since?)`, `publish(topic, value)`, as in
/// `examples/spec_server`.
fn router(source: Source) -> Router {
    let topics: Arc<Mutex<HashMap<String, Arc<Topic<i64>>>>> = Arc::default();
    let get = move |name: &str| {
        let mut topics = topics.lock().unwrap();
        let source = source.clone();
        topics
            .entry(name.to_owned())
            .or_insert_with(|| {
                Arc::new(match source {
                    Source::History(history) => Topic::with_history(history),
                    Source::Broker(broker) => Topic::with_broker(broker, name),
                })
            })
            .clone()
    };
    let get = Arc::new(get);
    let mut router = Router::new();
    let following = get.clone();
    router
        .register_subscription(
            "subscribe_topic",
            "topic",
            "unsubscribe_topic",
            &["topic", "since"],
            move |(topic, since): (String, Option<Position>),
                  pending: PendingSubscription<i64>,
                  _| {
                let topic = following(&topic);
                async move {
                    if let Ok(sink) = pending.accept() {
                        topic.follow(sink, since).await;
                    }
                }
            },
        )
        .unwrap();
    router
        .register_async_args(
            "publish",
            &["topic", "value"],
            move |(topic, value): (String, i64), _| {
                let topic = get(&topic);
                async move {
                    topic.publish(&value).await.map_err(|error| match error {
                        PublishError::Broker(error) => {
                            ErrorObjectOwned::new(-32010, format!("publish failed: {error}"))
                        }
                        error => ErrorObjectOwned::new(-32603, error.to_string()),
                    })
                }
            },
        )
        .unwrap();
    router
}

async fn serve(source: Source, addr: &str) -> ServerHandle {
    Server::builder()
        .build(router(source))
        .bind(addr)
        .await
        .expect("the server binds")
}

async fn broker(redis: &Redis, history: usize) -> Arc<dyn Broker> {
    let config = RedisConfig::new(History::last(history))
        .reconnect(Duration::from_millis(20), Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(500));
    Arc::new(
        RedisBroker::connect(&redis.url(), config)
            .await
            .expect("Redis answers"),
    )
}

async fn client(addr: SocketAddr) -> WsClient {
    WsClient::connect(&format!("ws://{addr}/")).await.unwrap()
}

async fn subscribe(client: &WsClient, topic: &str, since: Option<&str>) -> Subscription<i64> {
    let params = match since {
        Some(since) => EncodedParams::from_value(&(topic, since)).unwrap(),
        None => EncodedParams::from_value(&[topic]).unwrap(),
    };
    let items = client
        .subscribe::<i64>("subscribe_topic", params, "topic", "unsubscribe_topic")
        .await
        .unwrap();
    if since.is_some() {
        // What it missed comes first; the stream's position follows it.
        return items;
    }
    // The position marker comes right after the reply: wait for it, so
    // that what is published next is after where it starts.
    tokio::time::timeout(WAIT, async {
        while items.position().is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("a subscription to a topic with history learns its position");
    items
}

async fn publish(
    client: &WsClient,
    topic: &str,
    value: i64,
) -> Result<usize, rpc_client::ClientError> {
    client
        .request(
            "publish",
            EncodedParams::from_value(&(topic, value)).unwrap(),
        )
        .await
}

/// The next `n` stream items, each an item or an error, as text.
async fn next_n(items: &mut Subscription<i64>, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(WAIT, items.next()).await {
            Ok(Some(Ok(value))) => got.push(value.to_string()),
            Ok(Some(Err(error))) => got.push(format!("error: {error}")),
            Ok(None) => panic!("the stream ended after {got:?}"),
            Err(_) => panic!("timed out after {got:?}"),
        }
    }
    got
}

fn texts(range: std::ops::RangeInclusive<i64>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}

#[tokio::test]
async fn in_process_history_resumes_after_the_last_position_without_gap_or_duplicate() {
    let server = serve(Source::History(History::last(100)), "127.0.0.1:0").await;
    let publisher = client(server.local_addr()).await;
    let first = client(server.local_addr()).await;
    let mut items = subscribe(&first, "news", None).await;
    for n in 1..=5 {
        publish(&publisher, "news", n).await.unwrap();
    }
    assert_eq!(next_n(&mut items, 5).await, texts(1..=5));
    let seen = items.position().unwrap();
    drop(items);
    first.close().await;
    for n in 6..=10 {
        publish(&publisher, "news", n).await.unwrap();
    }
    let second = client(server.local_addr()).await;
    let mut resumed = subscribe(&second, "news", Some(&seen)).await;
    publish(&publisher, "news", 11).await.unwrap();
    assert_eq!(next_n(&mut resumed, 6).await, texts(6..=11));
    // A position from another history (another process) is a gap: what is
    // kept comes after it.
    let mut elsewhere = subscribe(&second, "news", Some("0000:3-0")).await;
    let got = next_n(&mut elsewhere, 12).await;
    assert!(
        got[0].starts_with("error: unrecoverable gap: items after position 0000:3-0"),
        "{got:?}"
    );
    assert_eq!(got[1..], texts(1..=11));
}

#[tokio::test]
async fn resuming_from_further_back_than_the_history_is_told_as_a_gap() {
    let server = serve(Source::History(History::last(3)), "127.0.0.1:0").await;
    let publisher = client(server.local_addr()).await;
    let reader = client(server.local_addr()).await;
    let mut items = subscribe(&reader, "t", None).await;
    publish(&publisher, "t", 1).await.unwrap();
    assert_eq!(next_n(&mut items, 1).await, ["1"]);
    let seen = items.position().unwrap();
    drop(items);
    for n in 2..=10 {
        publish(&publisher, "t", n).await.unwrap();
    }
    let mut resumed = subscribe(&reader, "t", Some(&seen)).await;
    let got = next_n(&mut resumed, 4).await;
    assert_eq!(
        got[0],
        format!("error: unrecoverable gap: items after position {seen} are no longer kept")
    );
    assert_eq!(got[1..], texts(8..=10));
}

#[tokio::test]
async fn redis_fans_items_out_to_every_instance_in_one_order() {
    let redis = Redis::start(false);
    let a = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let b = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let (on_a, on_b) = (client(a.local_addr()).await, client(b.local_addr()).await);
    let mut at_a = subscribe(&on_a, "prices", None).await;
    let mut at_b = subscribe(&on_b, "prices", None).await;
    // Published on both instances in turn, each answered before the next.
    for n in 1..=40 {
        let through = if n % 2 == 0 { &on_a } else { &on_b };
        let instances = publish(through, "prices", n).await.unwrap();
        assert_eq!(instances, 2, "both instances follow the topic");
    }
    assert_eq!(next_n(&mut at_a, 40).await, texts(1..=40));
    assert_eq!(next_n(&mut at_b, 40).await, texts(1..=40));
    let (pa, pb) = (at_a.position().unwrap(), at_b.position().unwrap());
    assert_eq!(pa, pb, "one position per item, the same on every instance");
    // A subscriber resumes on the other instance from where it was.
    drop(at_a);
    for n in 41..=45 {
        publish(&on_b, "prices", n).await.unwrap();
    }
    let mut resumed = subscribe(&on_b, "prices", Some(&pa)).await;
    assert_eq!(next_n(&mut resumed, 5).await, texts(41..=45));
}

#[tokio::test]
async fn a_reconnecting_client_resubscribes_and_misses_nothing() {
    let redis = Redis::start(false);
    let stays = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let restarted = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let addr = restarted.local_addr();
    let publisher = client(stays.local_addr()).await;
    let subscriber = WsClient::builder(&format!("ws://{addr}/"))
        .reconnect(ReconnectPolicy::fixed(Duration::from_millis(50)))
        .connect()
        .await
        .unwrap();
    let mut items = subscribe(&subscriber, "feed", None).await;
    let first_id = items.id();
    for n in 1..=10 {
        publish(&publisher, "feed", n).await.unwrap();
    }
    assert_eq!(next_n(&mut items, 10).await, texts(1..=10));
    // The instance goes away (WebSockets closed with 1001); items keep
    // coming through the other one; a new instance takes the address.
    restarted.shutdown(Duration::from_secs(2)).await;
    for n in 11..=20 {
        publish(&publisher, "feed", n).await.unwrap();
    }
    let _again = serve(
        Source::Broker(broker(&redis, 1000).await),
        &addr.to_string(),
    )
    .await;
    for n in 21..=25 {
        publish(&publisher, "feed", n).await.unwrap();
    }
    assert_eq!(
        next_n(&mut items, 15).await,
        texts(11..=25),
        "the stream goes on: what was missed first, then live, once each"
    );
    assert_ne!(
        items.id(),
        first_id,
        "a new subscription on the new instance"
    );
}

#[tokio::test]
async fn redis_lost_publish_fails_subscribers_are_told_and_all_recovers() {
    let mut redis = Redis::start(true);
    let a = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let b = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let (on_a, on_b) = (client(a.local_addr()).await, client(b.local_addr()).await);
    let mut items = subscribe(&on_a, "jobs", None).await;
    publish(&on_b, "jobs", 1).await.unwrap();
    assert_eq!(next_n(&mut items, 1).await, ["1"]);

    redis.kill();
    let error = publish(&on_b, "jobs", 2).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("-32010") || text.contains("publish failed: broker unavailable"),
        "{text}"
    );
    assert!(text.contains("broker unavailable"), "{text}");
    let told = next_n(&mut items, 1).await;
    assert!(told[0].starts_with("error: interrupted: "), "{told:?}");

    redis.restart();
    // Publishing works again once the command connection is made anew.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut n = 3;
    loop {
        match publish(&on_b, "jobs", n).await {
            Ok(_) => break,
            Err(error) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "still failing: {error}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    n += 1;
    for value in n..n + 5 {
        publish(&on_b, "jobs", value).await.unwrap();
    }
    // Redis kept its data (append-only file): the instance recovered
    // from the stream what its live feed missed, nothing twice.
    assert_eq!(next_n(&mut items, 6).await, texts(3..=8));
}

#[tokio::test]
async fn redis_losing_its_data_is_told_as_a_gap() {
    let mut redis = Redis::start(false);
    let a = serve(Source::Broker(broker(&redis, 1000).await), "127.0.0.1:0").await;
    let on_a = client(a.local_addr()).await;
    let mut items = subscribe(&on_a, "jobs", None).await;
    publish(&on_a, "jobs", 1).await.unwrap();
    assert_eq!(next_n(&mut items, 1).await, ["1"]);
    redis.kill();
    assert!(next_n(&mut items, 1).await[0].starts_with("error: interrupted: "));
    redis.restart();
    let deadline = tokio::time::Instant::now() + WAIT;
    while publish(&on_a, "jobs", 2).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "publish never worked again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = next_n(&mut items, 2).await;
    assert!(got[0].starts_with("error: unrecoverable gap"), "{got:?}");
    assert_eq!(got[1], "2");
}

#[tokio::test]
async fn redis_history_by_age_drops_old_items_and_tells_the_gap() {
    let redis = Redis::start(false);
    let config = RedisConfig::new(History::last(1000).max_age(Duration::from_millis(300)))
        .connect_timeout(Duration::from_millis(500));
    let broker: Arc<dyn Broker> =
        Arc::new(RedisBroker::connect(&redis.url(), config).await.unwrap());
    let server = serve(Source::Broker(broker), "127.0.0.1:0").await;
    let on = client(server.local_addr()).await;
    let items = subscribe(&on, "old", None).await;
    let start = items.position().unwrap();
    drop(items);
    publish(&on, "old", 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    publish(&on, "old", 2).await.unwrap();
    let mut resumed = subscribe(&on, "old", Some(&start)).await;
    let got = next_n(&mut resumed, 2).await;
    assert!(got[0].starts_with("error: unrecoverable gap"), "{got:?}");
    assert_eq!(got[1], "2", "1 is older than the history keeps");
}

#[tokio::test]
async fn redis_history_by_length_tells_the_gap_of_a_subscriber_away_too_long() {
    let redis = Redis::start(false);
    let server = serve(Source::Broker(broker(&redis, 3).await), "127.0.0.1:0").await;
    let on = client(server.local_addr()).await;
    let mut items = subscribe(&on, "short", None).await;
    publish(&on, "short", 1).await.unwrap();
    assert_eq!(next_n(&mut items, 1).await, ["1"]);
    let seen = items.position().unwrap();
    drop(items);
    publish(&on, "short", 2).await.unwrap();
    // Right after 1, 2 is kept: no gap.
    let mut soon = subscribe(&on, "short", Some(&seen)).await;
    assert_eq!(next_n(&mut soon, 1).await, ["2"]);
    drop(soon);
    for n in 3..=10 {
        publish(&on, "short", n).await.unwrap();
    }
    let mut late = subscribe(&on, "short", Some(&seen)).await;
    let got = next_n(&mut late, 4).await;
    assert_eq!(
        got[0],
        format!("error: unrecoverable gap: items after position {seen} are no longer kept")
    );
    assert_eq!(got[1..], texts(8..=10));
}

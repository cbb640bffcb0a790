//! Several `spec_server` instances behind a real nginx, topics fanned out
//! through a real Redis (`--broker`): every item reaches subscribers on
//! every instance; a rolling restart under steady load loses no HTTP call
//! and every WebSocket subscriber resumes with each item exactly once, in
//! order; Redis killed and restarted mid-run fails publishes with a clear
//! error, tells subscribers, and recovers. The config is
//! `examples/deploy/nginx.conf` (see docs/deployment.md).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/examples.rs"]
mod examples;
#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/packages.rs"]
mod packages;
#[path = "support/redis.rs"]
mod redis;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use nginx::Nginx;
use redis::{free_port, Redis};
use rpc_client::{ClientError, HttpClient, ReconnectPolicy, WsClient};
use rpc_runtime::client::{Subscription, SubscriptionError};
use rpc_runtime::params::EncodedParams;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Child;

const WAIT: Duration = Duration::from_secs(20);

/// One `spec_server` on a fixed port, started again by `restart`.
struct Instance {
    addr: SocketAddr,
    broker: String,
    child: Option<Child>,
}

impl Instance {
    async fn start(broker: &str) -> Self {
        let mut instance = Self {
            addr: format!("127.0.0.1:{}", free_port()).parse().unwrap(),
            broker: broker.to_owned(),
            child: None,
        };
        instance.restart().await;
        instance
    }

    async fn restart(&mut self) {
        let addr = self.addr.to_string();
        let mut child = examples::run(
            "spec_server",
            &[
                &addr,
                "--broker",
                &self.broker,
                "--history",
                "100000",
                "--drain-delay",
                "200",
            ],
        );
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        tokio::time::timeout(WAIT, stdout.read_line(&mut first))
            .await
            .expect("spec_server started in time")
            .unwrap();
        assert_eq!(
            first.trim_end(),
            format!("listening on {addr}"),
            "spec_server's first line"
        );
        // Keep reading its output so that it never blocks on a full pipe.
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        tokio::spawn(async move {
            let mut sink = tokio::io::sink();
            let _ = tokio::io::copy(&mut stdout, &mut sink).await;
        });
        tokio::spawn(async move {
            let mut line = String::new();
            while stderr.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                eprint!("[spec_server] {line}");
                line.clear();
            }
        });
        self.child = Some(child);
    }

    /// SIGTERM (it drains: /ready 503, then closes WebSockets with 1001)
    /// and waits for it to exit.
    async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(WAIT, child.wait())
            .await
            .expect("spec_server stopped in time")
            .unwrap();
        assert!(exit.success(), "spec_server exited with {exit}");
    }
}

/// Redis, three instances on it, nginx in front.
struct Deployment {
    redis: Redis,
    instances: Vec<Instance>,
    nginx: Nginx,
}

impl Deployment {
    async fn start() -> Self {
        examples::build_examples().await;
        let redis = Redis::start(true);
        let mut instances = Vec::new();
        for _ in 0..3 {
            instances.push(Instance::start(&redis.url()).await);
        }
        let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
        let nginx = Nginx::start(free_port(), &addrs);
        Self {
            redis,
            instances,
            nginx,
        }
    }

    fn http(&self) -> HttpClient {
        HttpClient::new(&format!("http://{}/", self.nginx.addr)).unwrap()
    }

    async fn subscriber(&self) -> WsClient {
        WsClient::builder(&format!("ws://{}/", self.nginx.addr))
            .reconnect(ReconnectPolicy::fixed(Duration::from_millis(50)))
            .connect()
            .await
            .unwrap()
    }
}

async fn publish(http: &HttpClient, topic: &str, value: u64) -> Result<usize, ClientError> {
    http.request(
        "publish",
        EncodedParams::from_value(&(topic, value)).unwrap(),
    )
    .await
}

async fn subscribe(client: &WsClient, topic: &str) -> Subscription<Value> {
    let items = client
        .subscribe::<Value>(
            "subscribe_topic",
            EncodedParams::from_value(&[topic]).unwrap(),
            "topic",
            "unsubscribe_topic",
        )
        .await
        .unwrap();
    tokio::time::timeout(WAIT, async {
        while items.position().is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the subscription learned where it starts");
    items
}

/// Reads items until `last` has come; returns them (errors as text).
async fn read_until(items: &mut Subscription<Value>, last: u64) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        match tokio::time::timeout(WAIT, items.next()).await {
            Ok(Some(Ok(value))) => {
                let done = value.as_u64() == Some(last);
                got.push(value.to_string());
                if done {
                    return got;
                }
            }
            Ok(Some(Err(error))) => got.push(format!("error: {error}")),
            Ok(None) => panic!("the stream ended after {} items", got.len()),
            Err(_) => panic!("timed out waiting for {last}; last got: {:?}", got.last()),
        }
    }
}

fn numbers(range: std::ops::RangeInclusive<u64>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}

#[tokio::test]
async fn subscribers_on_every_instance_get_what_any_instance_publishes() {
    let deployment = Deployment::start().await;
    let http = deployment.http();
    let mut clients = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let client = deployment.subscriber().await;
        streams.push(subscribe(&client, "news").await);
        clients.push(client);
    }
    // Round robin: the publishes go through every instance in turn.
    for n in 1..=30 {
        let instances = publish(&http, "news", n).await.unwrap();
        assert_eq!(instances, 3, "every instance follows the topic");
    }
    for items in &mut streams {
        assert_eq!(read_until(items, 30).await, numbers(1..=30));
    }
    drop(deployment.redis);
}

#[tokio::test]
async fn a_rolling_restart_loses_no_call_and_no_item() {
    let mut deployment = Deployment::start().await;
    let mut clients = Vec::new();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let client = deployment.subscriber().await;
        streams.push(subscribe(&client, "ticks").await);
        clients.push(client);
    }
    let first_ids: Vec<_> = streams.iter().map(Subscription::id).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicU64::new(0));
    let published = Arc::new(AtomicU64::new(0));
    let mut load = Vec::new();
    for _ in 0..2 {
        let (http, stop, failures, calls) = (
            deployment.http(),
            stop.clone(),
            failures.clone(),
            calls.clone(),
        );
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let answer: Result<i64, _> = http
                    .request("subtract", EncodedParams::from_value(&(42, 23)).unwrap())
                    .await;
                match answer {
                    Ok(19) => {
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures
                        .lock()
                        .unwrap()
                        .push(format!("subtract: {other:?}")),
                }
            }
        }));
    }
    {
        let (http, stop, failures, published) = (
            deployment.http(),
            stop.clone(),
            failures.clone(),
            published.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                match publish(&http, "ticks", n).await {
                    Ok(_) => published.store(n, Ordering::SeqCst),
                    Err(error) => failures
                        .lock()
                        .unwrap()
                        .push(format!("publish {n}: {error}")),
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for i in 0..deployment.instances.len() {
        deployment.instances[i].stop().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        deployment.instances[i].restart().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "calls lost during the restart: {failures:?}"
    );
    let last = published.load(Ordering::SeqCst);
    assert!(
        calls.load(Ordering::Relaxed) > 100 && last > 50,
        "the load ran"
    );
    eprintln!(
        "rolling restart: {} calls and {last} publishes, none lost",
        calls.load(Ordering::Relaxed)
    );
    for (items, first) in streams.iter_mut().zip(first_ids) {
        assert_eq!(
            read_until(items, last).await,
            numbers(1..=last),
            "every item once, in order, across the reconnects"
        );
        assert_ne!(
            items.id(),
            first,
            "every instance restarted: each subscriber moved"
        );
    }
}

#[tokio::test]
async fn redis_killed_and_restarted_fails_publishes_clearly_then_recovers() {
    let mut deployment = Deployment::start().await;
    let http = deployment.http();
    let client = deployment.subscriber().await;
    let mut items = subscribe(&client, "jobs").await;
    for n in 1..=5 {
        publish(&http, "jobs", n).await.unwrap();
    }
    assert_eq!(read_until(&mut items, 5).await, numbers(1..=5));

    deployment.redis.kill();
    match publish(&http, "jobs", 6).await {
        Err(ClientError::Rpc(error)) => {
            assert_eq!(error.code, -32010);
            assert!(
                error
                    .message
                    .starts_with("publish failed: broker unavailable: redis"),
                "{}",
                error.message
            );
        }
        other => panic!("a publish without Redis answered {other:?}"),
    }
    match tokio::time::timeout(WAIT, items.next()).await {
        Ok(Some(Err(SubscriptionError::Interrupted(reason)))) => {
            assert!(!reason.is_empty());
        }
        other => panic!("the subscriber was not told: {other:?}"),
    }

    deployment.redis.restart();
    let deadline = tokio::time::Instant::now() + WAIT;
    while publish(&http, "jobs", 6).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "publishing never worked again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for n in 7..=10 {
        publish(&http, "jobs", n).await.unwrap();
    }
    // Redis kept its data: no gap, every item once.
    assert_eq!(read_until(&mut items, 10).await, numbers(6..=10));
}

#[test]
fn the_deployment_guide_shows_the_config_the_test_runs() {
    let guide = include_str!("../../docs/deployment.md");
    let config = include_str!("../../examples/deploy/nginx.conf");
    assert!(
        guide.contains(&format!("```nginx\n{config}```")),
        "docs/deployment.md must show examples/deploy/nginx.conf verbatim"
    );
}

//! `#[subscription]` methods end to end: a trait served by the real server,
//! its generated client over WebSocket receiving typed items and
//! unsubscribing, the wire-name constants, and the OpenRPC entries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use rpc_client::{ClientError, EncodedParams, HttpClient, WsClient};
use rpc_runtime::client::Caller as _;
use rpc_runtime::openrpc::{Info, OpenRpcConfig};
use rpc_runtime::protocol::ErrorObject;
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::{rpc, Context};
use serde_json::{json, Value};

/// One item of `watch`.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Tick {
    /// The label the subscriber chose.
    pub label: String,
    /// Counts from zero.
    pub n: u64,
    /// Who logged in on the connection, if anyone.
    pub user: Option<String>,
}

struct User(String);

/// Clocks over JSON-RPC.
#[rpc(namespace = "clock")]
pub trait Clock {
    /// Counts from `start`, one number every `every_ms` milliseconds.
    ///
    /// Rejects `every_ms == 0` with code 4000.
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64);

    /// Ticks every few milliseconds, naming the connection's user.
    #[subscription(name = "watch", unsubscribe = "unwatch", notification = "watched", item = Tick)]
    fn watch(
        &self,
        pending: rpc_runtime::subscription::PendingSubscription<Tick>,
        ctx: &Context,
        #[param(rename = "label")] tag: String,
    );

    /// Names the connection's user (kept in its context).
    fn login(&self, ctx: &Context, name: String);
}

#[derive(Default)]
struct Clocks {
    /// Producers of `subscribe_count` that saw their subscription end.
    ended: Arc<AtomicUsize>,
}

impl Clock for Clocks {
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64) {
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
        self.ended.fetch_add(1, Ordering::SeqCst);
    }

    fn watch(&self, pending: PendingSubscription<Tick>, ctx: &Context, tag: String) {
        let user = ctx.get::<User>().map(|user| user.0.clone());
        // A sync subscribe method hands its sink to a task of its own.
        tokio::spawn(async move {
            let Ok(sink) = pending.accept() else { return };
            for n in 0.. {
                let tick = Tick {
                    label: tag.clone(),
                    n,
                    user: user.clone(),
                };
                if sink.send(&tick).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
    }

    fn login(&self, ctx: &Context, name: String) {
        ctx.insert(User(name));
    }
}

async fn start() -> (ServerHandle, String, Arc<AtomicUsize>) {
    let clocks = Clocks::default();
    let ended = clocks.ended.clone();
    let server = Server::builder()
        .info("Clocks", "1.0.0", None)
        .build(clocks.into_router());
    let handle = server.bind("127.0.0.1:0").await.unwrap();
    let addr = handle.local_addr().to_string();
    (handle, addr, ended)
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

#[test]
fn the_wire_names_are_constants_under_the_namespace() {
    assert_eq!(clock_methods::SUBSCRIBE_COUNT, "clock.subscribe_count");
    assert_eq!(
        clock_methods::SUBSCRIBE_COUNT_UNSUBSCRIBE,
        "clock.unsubscribe_count"
    );
    assert_eq!(clock_methods::SUBSCRIBE_COUNT_NOTIFICATION, "clock.count");
    assert_eq!(clock_methods::WATCH, "clock.watch");
    assert_eq!(clock_methods::WATCH_UNSUBSCRIBE, "clock.unwatch");
    assert_eq!(clock_methods::WATCH_NOTIFICATION, "clock.watched");
    assert_eq!(
        Clocks::default().into_router().method_names(),
        [
            "clock.login",
            "clock.subscribe_count",
            "clock.unsubscribe_count",
            "clock.unwatch",
            "clock.watch"
        ]
    );
}

#[tokio::test]
async fn the_generated_client_streams_typed_items_and_unsubscribes() {
    let (handle, addr, ended) = start().await;
    let client = ClockClient::new(WsClient::connect(&format!("ws://{addr}/")).await.unwrap());
    let mut counts = client.subscribe_count(5, 5).await.unwrap();
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

    // A rejection answers the subscribe call.
    match client.subscribe_count(0, 0).await {
        Err(ClientError::Rpc(object)) => assert_eq!(object.code, 4000),
        other => panic!("{other:?}"),
    }

    // The connection's context reaches the subscribe method; renamed params
    // and a sync method.
    client.login("ada".to_owned()).await.unwrap();
    let mut ticks = client.watch("t".to_owned()).await.unwrap();
    let first = ticks.next().await.unwrap().unwrap();
    assert_eq!(
        first,
        Tick {
            label: "t".to_owned(),
            n: 0,
            user: Some("ada".to_owned())
        }
    );
    assert_eq!(ticks.next().await.unwrap().unwrap().n, 1);
    assert!(ticks.unsubscribe().await.unwrap());
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_wire_format_uses_the_names_of_the_constants() {
    let (handle, addr, _) = start().await;
    let ws = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    // Named params under the JSON names, sent by hand.
    let mut ticks = ws
        .subscribe::<Value>(
            clock_methods::WATCH,
            EncodedParams::from_value(&json!({"label": "raw"})).unwrap(),
            clock_methods::WATCH_NOTIFICATION,
            clock_methods::WATCH_UNSUBSCRIBE,
        )
        .await
        .unwrap();
    let tick = ticks.next().await.unwrap().unwrap();
    assert_eq!(tick, json!({"label": "raw", "n": 0, "user": null}));
    let id = ticks.id().clone();
    drop(ticks);
    // Dropping the stream unsubscribed: the id is no longer known.
    let mut known = true;
    for _ in 0..200 {
        let params = EncodedParams::from_value(&[&id]).unwrap();
        known = ws
            .call::<bool>(clock_methods::WATCH_UNSUBSCRIBE, params)
            .await
            .unwrap();
        if !known {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!known);
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn over_http_a_subscription_is_unsupported() {
    let (handle, addr, _) = start().await;
    let client = ClockClient::new(HttpClient::new(&format!("http://{addr}/")).unwrap());
    assert!(matches!(
        client.subscribe_count(1, 1).await,
        Err(ClientError::Unsupported(_))
    ));
    handle.shutdown(Duration::from_secs(1)).await;
}

fn document(router: &rpc_runtime::Router) -> Value {
    serde_json::to_value(router.openrpc_document(&OpenRpcConfig::new(Info::new("Clocks", "1.0.0"))))
        .unwrap()
}

fn method<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no method {name} in {doc:#}"))
}

#[test]
fn openrpc_describes_the_subscribe_and_unsubscribe_methods() {
    let doc = document(&Clocks::default().into_router());
    let subscribe = method(&doc, "clock.subscribe_count");
    assert_eq!(
        subscribe["summary"],
        "Counts from `start`, one number every `every_ms` milliseconds."
    );
    let params: Vec<&str> = subscribe["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["start", "every_ms"]);
    assert_eq!(subscribe["result"]["name"], "subscription");
    let id_schema = &subscribe["result"]["schema"];
    assert_eq!(id_schema["$ref"], "#/components/schemas/SubscriptionId");
    assert_eq!(
        doc["components"]["schemas"]["SubscriptionId"]["type"],
        json!(["string", "integer"])
    );
    assert_eq!(
        subscribe["x-subscription"],
        json!({
            "notification": "clock.count",
            "unsubscribe": "clock.unsubscribe_count",
            "item": {"type": "integer", "format": "int64"}
        })
    );

    let unsubscribe = method(&doc, "clock.unsubscribe_count");
    assert_eq!(unsubscribe["x-unsubscribe-of"], "clock.subscribe_count");
    assert_eq!(unsubscribe["params"][0]["name"], "subscription");
    assert_eq!(unsubscribe["params"][0]["schema"], *id_schema);
    assert_eq!(unsubscribe["params"][0]["required"], true);
    assert_eq!(unsubscribe["result"]["schema"]["type"], "boolean");
    assert!(unsubscribe.get("x-subscription").is_none());

    // A named item type is a `$ref` into the components; the context is no param.
    let watch = method(&doc, "clock.watch");
    assert_eq!(watch["params"][0]["name"], "label");
    assert_eq!(watch["params"].as_array().unwrap().len(), 1);
    assert_eq!(watch["x-subscription"]["notification"], "clock.watched");
    assert_eq!(watch["x-subscription"]["unsubscribe"], "clock.unwatch");
    assert_eq!(
        watch["x-subscription"]["item"]["$ref"],
        "#/components/schemas/Tick"
    );
    assert_eq!(
        doc["components"]["schemas"]["Tick"]["description"],
        "One item of `watch`."
    );
    assert_eq!(
        method(&doc, "clock.unwatch")["x-unsubscribe-of"],
        "clock.watch"
    );
    // Plain methods carry neither extension.
    let login = method(&doc, "clock.login");
    assert!(login.get("x-subscription").is_none() && login.get("x-unsubscribe-of").is_none());
    assert_valid(&doc);
}

#[test]
fn a_prefix_renames_the_methods_a_subscription_names_but_not_its_notification() {
    let router = Clocks::default().into_router().with_prefix("v1.").unwrap();
    let doc = document(&router);
    let subscribe = method(&doc, "v1.clock.subscribe_count");
    assert_eq!(
        subscribe["x-subscription"]["unsubscribe"],
        "v1.clock.unsubscribe_count"
    );
    assert_eq!(subscribe["x-subscription"]["notification"], "clock.count");
    assert_eq!(
        method(&doc, "v1.clock.unsubscribe_count")["x-unsubscribe-of"],
        "v1.clock.subscribe_count"
    );
}

#[tokio::test]
async fn rpc_discover_serves_the_extensions() {
    let (handle, addr, _) = start().await;
    let ws = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    let doc: Value = ws
        .call("rpc.discover", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(
        method(&doc, "clock.subscribe_count")["x-subscription"]["notification"],
        "clock.count"
    );
    assert_valid(&doc);
    handle.shutdown(Duration::from_secs(1)).await;
}

/// The official meta-schema (see `tests/openrpc/README.md`), offline.
fn assert_valid(doc: &Value) {
    let read = |file: &str| -> Value {
        let path = format!("{}/openrpc/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let registry = jsonschema::Registry::new()
        .add(
            "https://meta.json-schema.tools",
            jsonschema::Draft::Draft7
                .create_resource(read("json-schema-tools-meta-schema-1.8.0.json")),
        )
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_registry(&registry)
        .offline()
        .build(&read("openrpc-meta-schema-1.14.9.json"))
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid document: {errors:#?}\n{doc:#}");
}

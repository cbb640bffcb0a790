//! The built-in layers on the core, in process: the metrics they record
//! (a test recorder), the span and the access log's `TRACE` detail (a test
//! subscriber), and the rate limit per connection and per address.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::MetricKind;
use rpc_runtime::middleware::{
    metric_names, AccessLogLayer, MetricsLayer, RateLimitLayer, SpanLayer, ACCESS_LOG_TARGET,
    SPAN_TARGET,
};
use rpc_runtime::protocol::{codes, ErrorObject, ErrorObjectOwned};
use rpc_runtime::{Context, Router};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt as _;

/// `add(a, b)` and `fail()`, which answers 4001.
fn methods(router: Router) -> Router {
    let mut router = router;
    router
        .register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| {
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    router
        .register_sync_args("fail", &[], |(): (), _| {
            Err::<(), _>(ErrorObject::new(4001, "no"))
        })
        .unwrap();
    router
}

fn call(router: &Router, text: &str, ctx: &Context) -> Option<String> {
    futures_executor::block_on(router.handle(text, ctx))
}

/// A metric's labels, as `name=value` pairs in order.
type Labels = Vec<(String, String)>;

fn snapshot(
    snapshotter: &metrics_util::debugging::Snapshotter,
) -> Vec<(MetricKind, String, Labels, DebugValue)> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let (kind, key) = key.into_parts();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            (kind, key.name().to_owned(), labels, value)
        })
        .collect()
}

fn label<'a>(labels: &'a Labels, name: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn metrics_count_calls_by_method_and_outcome_time_them_and_size_batches() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let ctx = Context::builder().transport("test").build();
    metrics::with_local_recorder(&recorder, || {
        let router = methods(Router::new().layer(MetricsLayer::new()));
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
            &ctx,
        );
        call(&router, r#"{"jsonrpc":"2.0","method":"fail","id":2}"#, &ctx);
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"made.up.1","id":3}"#,
            &ctx,
        );
        call(
            &router,
            r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":4},
                {"jsonrpc":"2.0","method":"add","params":[3,4]},
                {"jsonrpc":"2.0","method":"made.up.2","id":5}]"#,
            &ctx,
        );
    });
    let metrics = snapshot(&snapshotter);
    let calls = |method: &str, code: Option<&str>| -> u64 {
        metrics
            .iter()
            .filter(|(kind, name, labels, _)| {
                *kind == MetricKind::Counter
                    && name == metric_names::CALLS
                    && label(labels, "rpc.method") == Some(method)
                    && label(labels, "rpc.jsonrpc.error_code") == code
            })
            .map(|(_, _, labels, value)| {
                assert_eq!(label(labels, "rpc.system"), Some("jsonrpc"));
                assert_eq!(label(labels, "rpc.transport"), Some("test"));
                let outcome = if code.is_some() { "error" } else { "ok" };
                assert_eq!(label(labels, "outcome"), Some(outcome), "{labels:?}");
                match value {
                    DebugValue::Counter(n) => *n,
                    other => panic!("{other:?}"),
                }
            })
            .sum()
    };
    assert_eq!(calls("add", None), 3, "{metrics:#?}");
    assert_eq!(calls("fail", Some("4001")), 1);
    assert_eq!(calls("unknown", Some("-32601")), 2);
    // Made-up names never become labels.
    assert!(
        metrics
            .iter()
            .all(|(_, _, labels, _)| labels.iter().all(|(_, v)| !v.starts_with("made.up"))),
        "{metrics:#?}"
    );

    let histogram = |wanted: &str| -> Vec<f64> {
        metrics
            .iter()
            .filter(|(kind, name, _, _)| *kind == MetricKind::Histogram && name == wanted)
            .flat_map(|(_, _, _, value)| match value {
                DebugValue::Histogram(values) => values.iter().map(|v| v.0).collect::<Vec<_>>(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let durations = histogram(metric_names::DURATION);
    assert_eq!(durations.len(), 6, "{metrics:#?}");
    assert!(durations.iter().all(|s| (0.0..10.0).contains(s)));
    // Once per batch, with its length.
    assert_eq!(histogram(metric_names::BATCH_SIZE), [3.0]);

    let active: f64 = metrics
        .iter()
        .filter(|(_, name, _, _)| name == metric_names::ACTIVE_CALLS)
        .map(|(_, _, _, value)| match value {
            DebugValue::Gauge(v) => v.0,
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(active, 0.0, "every call that started ended");
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn refusal(reply: &str) -> Option<(i64, u64)> {
    let reply: Value = serde_json::from_str(reply).unwrap();
    let error = reply.get("error")?;
    Some((
        error["code"].as_i64().unwrap(),
        error["data"]["retry_after_ms"].as_u64().unwrap(),
    ))
}

const ADD: &str = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#;

#[test]
fn the_rate_limit_refuses_the_call_past_the_quota_of_a_connection() {
    let router = methods(
        Router::new().layer(RateLimitLayer::new().per_connection(nz(3), Duration::from_secs(60))),
    );
    let first = Context::new();
    for _ in 0..3 {
        assert_eq!(refusal(&call(&router, ADD, &first).unwrap()), None);
    }
    let (code, retry_after_ms) = refusal(&call(&router, ADD, &first).unwrap()).unwrap();
    assert_eq!(code, i64::from(codes::RATE_LIMITED));
    assert_eq!(code, -32005);
    // One call comes back every 20 s.
    assert!(
        (19_000..=20_000).contains(&retry_after_ms),
        "{retry_after_ms}"
    );
    // Another connection has its own quota.
    let second = Context::new();
    assert_eq!(refusal(&call(&router, ADD, &second).unwrap()), None);
    // Each member of a batch counts.
    let batch = format!("[{ADD},{ADD},{ADD}]");
    let replies: Vec<Value> =
        serde_json::from_str(&call(&router, &batch, &second).unwrap()).unwrap();
    let refused = replies.iter().filter(|r| r.get("error").is_some()).count();
    assert_eq!(refused, 1, "{replies:?}");
}

#[test]
fn the_rate_limit_per_address_counts_every_connection_of_one_ip() {
    let router = methods(
        Router::new().layer(RateLimitLayer::new().per_peer(nz(2), Duration::from_secs(60))),
    );
    let from = |addr: &str| {
        Context::builder()
            .transport("http")
            .peer_addr(addr.parse::<SocketAddr>().unwrap())
            .build()
    };
    assert_eq!(
        refusal(&call(&router, ADD, &from("10.0.0.1:1000")).unwrap()),
        None
    );
    assert_eq!(
        refusal(&call(&router, ADD, &from("10.0.0.1:1001")).unwrap()),
        None
    );
    let (code, _) = refusal(&call(&router, ADD, &from("10.0.0.1:1002")).unwrap()).unwrap();
    assert_eq!(code, -32005);
    assert_eq!(
        refusal(&call(&router, ADD, &from("10.0.0.2:1000")).unwrap()),
        None
    );
    // In-process calls have no address, so no address limit.
    for _ in 0..5 {
        assert_eq!(refusal(&call(&router, ADD, &Context::new()).unwrap()), None);
    }
}

/// An event's or a span's fields, by name.
type FieldMap = BTreeMap<String, String>;

/// What a test subscriber saw: events and closed spans, as field maps.
#[derive(Clone, Default)]
struct Seen {
    events: Arc<Mutex<Vec<(tracing::Level, FieldMap)>>>,
    spans: Arc<Mutex<BTreeMap<u64, FieldMap>>>,
    closed: Arc<Mutex<Vec<FieldMap>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == ACCESS_LOG_TARGET {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.events
                .lock()
                .unwrap()
                .push((*event.metadata().level(), fields));
        }
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if attrs.metadata().target() == SPAN_TARGET {
            let mut fields = BTreeMap::new();
            fields.insert("name".to_owned(), attrs.metadata().name().to_owned());
            fields.insert("level".to_owned(), attrs.metadata().level().to_string());
            attrs.record(&mut Fields(&mut fields));
            self.spans.lock().unwrap().insert(id.into_u64(), fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if let Some(fields) = self.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn on_close(&self, id: tracing::span::Id, _: tracing_subscriber::layer::Context<'_, S>) {
        if let Some(fields) = self.spans.lock().unwrap().remove(&id.into_u64()) {
            self.closed.lock().unwrap().push(fields);
        }
    }
}

#[test]
fn the_span_layer_opens_one_span_per_call_and_records_its_outcome() {
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry().with(seen.clone());
    tracing::subscriber::with_default(subscriber, || {
        let router = methods(Router::new().layer(SpanLayer::new()));
        let ctx = Context::new();
        call(&router, ADD, &ctx);
        call(
            &router,
            r#"{"jsonrpc":"2.0","method":"fail","id":"x"}"#,
            &ctx,
        );
    });
    let closed = seen.closed.lock().unwrap().clone();
    assert_eq!(closed.len(), 2, "{closed:#?}");
    let ok = &closed[0];
    assert_eq!(ok["name"], "rpc.call");
    assert_eq!(ok["level"], "DEBUG");
    assert_eq!(ok["rpc.system"], "jsonrpc");
    assert_eq!(ok["rpc.method"], "add");
    assert_eq!(ok["rpc.jsonrpc.request_id"], "1");
    assert_eq!(ok["otel.kind"], "server");
    assert_eq!(ok["outcome"], "ok");
    assert!(ok["duration_us"].parse::<u64>().is_ok(), "{ok:?}");
    assert!(!ok.contains_key("rpc.jsonrpc.error_code"));
    let failed = &closed[1];
    assert_eq!(failed["rpc.jsonrpc.request_id"], r#""x""#);
    assert_eq!(failed["outcome"], "4001");
    assert_eq!(failed["rpc.jsonrpc.error_code"], "4001");
    assert_eq!(failed["otel.status_code"], "ERROR");
}

#[test]
fn the_access_log_adds_params_and_result_only_at_trace() {
    let run = |level: tracing::level_filters::LevelFilter| {
        use tracing_subscriber::Layer as _;
        let seen = Seen::default();
        let subscriber = tracing_subscriber::registry().with(seen.clone().with_filter(level));
        tracing::subscriber::with_default(subscriber, || {
            let router = methods(Router::new().layer(AccessLogLayer::new()));
            call(&router, ADD, &Context::new());
            call(
                &router,
                r#"{"jsonrpc":"2.0","method":"nope"}"#,
                &Context::new(),
            );
        });
        let events = seen.events.lock().unwrap().clone();
        events
    };
    let info = run(tracing::level_filters::LevelFilter::INFO);
    assert_eq!(info.len(), 2, "{info:#?}");
    let (level, add) = &info[0];
    assert_eq!(*level, tracing::Level::INFO);
    assert_eq!(add["transport"], "in-process");
    assert_eq!(add["method"], "add");
    assert_eq!(add["id"], "1");
    assert_eq!(add["outcome"], "ok");
    assert!(add["elapsed_us"].parse::<u64>().is_ok());
    assert!(!add.contains_key("peer") && !add.contains_key("request_id"));
    let (_, nope) = &info[1];
    assert_eq!(nope["method"], "nope");
    assert_eq!(nope["outcome"], "-32601");
    assert!(!nope.contains_key("id"), "a notification has no id");

    let trace = run(tracing::level_filters::LevelFilter::TRACE);
    assert_eq!(trace.len(), 4, "{trace:#?}");
    let (level, detail) = &trace[1];
    assert_eq!(*level, tracing::Level::TRACE);
    assert_eq!(detail["params"], "[1,2]");
    assert_eq!(detail["result"], "3");
    assert_eq!(trace[3].1["result"], "Method not found");
}

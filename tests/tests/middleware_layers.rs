//! The middleware on real sockets, the standalone server on 127.0.0.1:0:
//! an asynchronous auth layer over HTTP and WebSocket, the access log's
//! fields (with `x-request-id`), the rate limit per connection and per
//! address, and the metrics the server records (calls, open connections).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use rpc_client::{Caller, ClientError, EncodedParams, HttpClient, WsClient};
use rpc_runtime::middleware::{
    check, metric_names, AccessLogLayer, Call, MetricsLayer, RateLimitLayer, ACCESS_LOG_TARGET,
};
use rpc_runtime::protocol::{codes, ErrorObject, ErrorObjectOwned};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::{MethodError, Router};
use tracing_subscriber::layer::SubscriberExt as _;

/// `ping` for everybody, `admin.reset` for admins, behind `router`'s layers.
fn methods(mut router: Router) -> Router {
    router
        .register_sync_args("ping", &[], |(): (), _| Ok::<_, ErrorObjectOwned>("pong"))
        .unwrap();
    router
        .register_sync_args("admin.reset", &[], |(): (), _| {
            Ok::<_, ErrorObjectOwned>(true)
        })
        .unwrap();
    router
}

async fn serve(router: Router) -> ServerHandle {
    Server::builder()
        .build(router)
        .bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// Who a bearer token belongs to: a lookup that waits, as a database would.
async fn role_of(token: Option<String>) -> Option<&'static str> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    match token.as_deref() {
        Some("admin-token") => Some("admin"),
        Some("user-token") => Some("user"),
        _ => None,
    }
}

fn auth(call: &Call<'_>) -> impl Future<Output = Result<(), MethodError>> + Send + 'static {
    let admin_only = call.method().starts_with("admin.");
    let token = call
        .context()
        .request_head()
        .and_then(|head| head.header("authorization"))
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned);
    async move {
        match role_of(token).await {
            None => Err(ErrorObject::new(4001, "unknown token").into()),
            Some("admin") => Ok(()),
            Some(_) if admin_only => Err(ErrorObject::new(4003, "admins only").into()),
            Some(_) => Ok(()),
        }
    }
}

fn code<T: std::fmt::Debug>(outcome: Result<T, ClientError>) -> i32 {
    match outcome {
        Err(ClientError::Rpc(error)) => error.code,
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// Every outcome the auth layer gives, through `client(token)`.
async fn check_auth<C: Caller>(client: impl Fn(Option<&str>) -> C) {
    let none = EncodedParams::none;
    let user = client(Some("user-token"));
    let pong: String = user.call("ping", none()).await.unwrap();
    assert_eq!(pong, "pong");
    assert_eq!(code(user.call::<bool>("admin.reset", none()).await), 4003);
    let admin = client(Some("admin-token"));
    assert!(admin.call::<bool>("admin.reset", none()).await.unwrap());
    assert_eq!(
        code(client(None).call::<String>("ping", none()).await),
        4001
    );
    // Unknown methods pass the check unasked.
    assert_eq!(
        code(user.call::<String>("nope", none()).await),
        codes::METHOD_NOT_FOUND
    );
}

#[tokio::test]
async fn an_async_auth_layer_refuses_one_method_and_allows_others_over_http() {
    let server = serve(methods(Router::new().layer(check(auth)))).await;
    let url = format!("http://{}/", server.local_addr());
    check_auth(|token| {
        let builder = HttpClient::builder(&url);
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
        .build()
        .unwrap()
    })
    .await;
}

#[tokio::test]
async fn an_async_auth_layer_refuses_one_method_and_allows_others_over_websocket() {
    let server = serve(methods(Router::new().layer(check(auth)))).await;
    let url = format!("ws://{}/", server.local_addr());
    let mut clients = BTreeMap::new();
    for token in ["user-token", "admin-token"] {
        let client = WsClient::builder(&url)
            .bearer_auth(token)
            .connect()
            .await
            .unwrap();
        clients.insert(token, client);
    }
    let anonymous = WsClient::connect(&url).await.unwrap();
    check_auth(|token| match token {
        Some(token) => clients[token].clone(),
        None => anonymous.clone(),
    })
    .await;
}

/// The access log's events, as field maps.
#[derive(Clone, Default)]
struct AccessEvents(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for AccessEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if meta.target() == ACCESS_LOG_TARGET && *meta.level() == tracing::Level::INFO {
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            self.0.lock().unwrap().push(fields);
        }
    }
}

/// One thread, so the server's tasks log to this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn the_access_log_has_one_event_per_call_with_the_request_id() {
    let events = AccessEvents::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    let server = serve(methods(Router::new().layer(AccessLogLayer::new()))).await;
    let addr = server.local_addr();

    let http = HttpClient::builder(&format!("http://{addr}/"))
        .header("x-request-id", "req-123")
        .build()
        .unwrap();
    let _: String = http.call("ping", EncodedParams::none()).await.unwrap();
    code(http.call::<String>("nope", EncodedParams::none()).await);
    let ws = WsClient::builder(&format!("ws://{addr}/"))
        .header("x-request-id", "ws-7")
        .connect()
        .await
        .unwrap();
    let _: bool = ws.call("admin.reset", EncodedParams::none()).await.unwrap();

    let events = events.0.lock().unwrap().clone();
    assert_eq!(events.len(), 3, "{events:#?}");
    let ping = &events[0];
    assert_eq!(ping["transport"], "http");
    assert!(ping["peer"].starts_with("127.0.0.1:"), "{ping:?}");
    assert_eq!(ping["request_id"], "req-123");
    assert_eq!(ping["method"], "ping");
    assert_eq!(ping["id"], "1");
    assert_eq!(ping["outcome"], "ok");
    assert!(ping["elapsed_us"].parse::<u64>().is_ok(), "{ping:?}");
    let nope = &events[1];
    assert_eq!(nope["method"], "nope");
    assert_eq!(nope["outcome"], "-32601");
    let reset = &events[2];
    assert_eq!(reset["transport"], "ws");
    assert_eq!(reset["request_id"], "ws-7", "the upgrade request's header");
    assert_eq!(reset["outcome"], "ok");
    ws.close().await;
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

async fn ping(client: &WsClient) -> Result<String, ClientError> {
    client.call("ping", EncodedParams::none()).await
}

/// The refusal's code and `retry_after_ms`.
fn refusal<T: std::fmt::Debug>(outcome: Result<T, ClientError>) -> (i32, u64) {
    match outcome {
        Err(ClientError::Rpc(error)) => {
            let data: serde_json::Value = error.data_as().unwrap().unwrap();
            (error.code, data["retry_after_ms"].as_u64().unwrap())
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_rate_limit_refuses_the_call_past_the_quota_per_connection_and_per_address() {
    let minute = Duration::from_secs(60);
    let limit = RateLimitLayer::new()
        .per_connection(nz(3), minute)
        .per_peer(nz(8), minute);
    let server = serve(methods(Router::new().layer(limit))).await;
    let addr = server.local_addr();

    // A WebSocket connection: three calls, then refused (for 20 s).
    let first = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    for _ in 0..3 {
        ping(&first).await.unwrap();
    }
    let (code, retry_after_ms) = refusal(ping(&first).await);
    assert_eq!(code, codes::RATE_LIMITED);
    assert!(
        (19_000..=20_000).contains(&retry_after_ms),
        "{retry_after_ms}"
    );

    // Another connection has a quota of its own; the address has 8 in all
    // (the refused call counted too): 5 used.
    let second = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    ping(&second).await.unwrap();

    // Over HTTP each request is its own context; the address limit holds.
    let http = HttpClient::new(&format!("http://{addr}/")).unwrap();
    for _ in 0..3 {
        let _: String = http.call("ping", EncodedParams::none()).await.unwrap();
    }
    let (code, retry_after_ms) = refusal(http.call::<String>("ping", EncodedParams::none()).await);
    assert_eq!(code, -32005);
    // One call back every 7.5 s.
    assert!((1..=7_500).contains(&retry_after_ms), "{retry_after_ms}");
    // A new connection from the same address starts refused.
    let third = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    assert_eq!(refusal(ping(&third).await).0, codes::RATE_LIMITED);
    for client in [first, second, third] {
        client.close().await;
    }
}

/// Gauges as their running totals: the debugging recorder hands each
/// snapshot's changes since the last.
#[derive(Default)]
struct Totals(BTreeMap<(String, Vec<(String, String)>), f64>);

impl Totals {
    fn update(&mut self, snapshotter: &Snapshotter) {
        for (key, _, _, value) in snapshotter.snapshot().into_vec() {
            let (_, key) = key.into_parts();
            let labels = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            let change = match value {
                DebugValue::Counter(n) => n as f64,
                DebugValue::Gauge(v) => v.0,
                DebugValue::Histogram(values) => values.len() as f64,
            };
            *self.0.entry((key.name().to_owned(), labels)).or_default() += change;
        }
    }

    /// The sum over the series of `name` whose labels include `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|((n, have), _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| have.iter().any(|(hk, hv)| hk == k && hv == v))
            })
            .map(|(_, total)| total)
            .sum()
    }
}

async fn until(
    snapshotter: &Snapshotter,
    totals: &mut Totals,
    what: &str,
    done: impl Fn(&Totals) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        totals.update(snapshotter);
        if done(totals) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}: {:#?}",
            totals.0
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A test recorder for this thread only, and a runtime on this thread, so
/// the server's tasks record to it.
#[test]
fn the_server_counts_calls_per_transport_and_open_connections() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let server = serve(methods(Router::new().layer(MetricsLayer::new()))).await;
            let addr = server.local_addr();
            let mut totals = Totals::default();
            let open = |transport: &'static str| {
                move |totals: &Totals| {
                    totals.get(
                        metric_names::OPEN_CONNECTIONS,
                        &[("rpc.transport", transport)],
                    )
                }
            };

            let a = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
            let b = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
            let http = HttpClient::new(&format!("http://{addr}/")).unwrap();
            for client in [&a, &b] {
                let _: String = client.call("ping", EncodedParams::none()).await.unwrap();
            }
            let _: String = http.call("ping", EncodedParams::none()).await.unwrap();
            code(http.call::<String>("made.up", EncodedParams::none()).await);
            until(
                &snapshotter,
                &mut totals,
                "2 ws and 1 http connections",
                |t| open("ws")(t) == 2.0 && open("http")(t) == 1.0,
            )
            .await;
            let calls = |t: &Totals, transport: &str, method: &str| {
                t.get(
                    metric_names::CALLS,
                    &[("rpc.transport", transport), ("rpc.method", method)],
                )
            };
            assert_eq!(calls(&totals, "ws", "ping"), 2.0);
            assert_eq!(calls(&totals, "http", "ping"), 1.0);
            assert_eq!(
                totals.get(
                    metric_names::CALLS,
                    &[
                        ("rpc.method", "unknown"),
                        ("rpc.jsonrpc.error_code", "-32601")
                    ]
                ),
                1.0
            );
            assert_eq!(
                totals.get(metric_names::DURATION, &[("rpc.system", "jsonrpc")]),
                4.0
            );

            a.close().await;
            until(&snapshotter, &mut totals, "1 ws connection", |t| {
                open("ws")(t) == 1.0
            })
            .await;
            b.close().await;
            drop(http);
            until(&snapshotter, &mut totals, "no connections", |t| {
                open("ws")(t) == 0.0 && open("http")(t) == 0.0
            })
            .await;
            assert_eq!(totals.get(metric_names::ACTIVE_CALLS, &[]), 0.0);
        });
    });
}

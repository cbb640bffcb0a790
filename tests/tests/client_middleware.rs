//! Client middleware on `HttpClient` and `WsClient`, against real servers
//! on 127.0.0.1: the order of layers, a layer that fails a call, the
//! timeout, retry (against a server that answers 503 at first), logging
//! (a recording `tracing` layer) and metrics (a debugging recorder).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use rpc_client::middleware::{
    outcome_label, ClientRequest, ClientResponse, ClientService, Layer, LoggingLayer, MetricsLayer,
    RetryLayer, RetryPolicy, TimeoutLayer, CALLS_TARGET,
};
use rpc_client::{BatchRequest, Caller, ClientError, EncodedParams, HttpClient, WsClient};
use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::{rpc, Context, Router, RpcError};
use serde_json::json;
use servers::{serve, Answer};
use tokio::net::TcpListener;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt as _;
use ws_server::WsServer;

const APP_ERROR: i32 = -32001;

fn router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("add", |p, _| {
            let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    router
        .register_sync("fail", |_, _| {
            Err::<i64, _>(ErrorObject::new(APP_ERROR, "it failed").into_owned())
        })
        .unwrap();
    router
        .register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(()))
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

fn pair(a: i64, b: i64) -> EncodedParams {
    EncodedParams::from_value(&[a, b]).unwrap()
}

// ---- a layer of the test's own: records what passes, in order ----

#[derive(Clone)]
struct Mark {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
}

struct Marked<S> {
    inner: S,
    mark: Mark,
}

impl<S> Layer<S> for Mark {
    type Service = Marked<S>;
    fn layer(&self, inner: S) -> Marked<S> {
        Marked {
            inner,
            mark: self.clone(),
        }
    }
}

impl<S: ClientService> ClientService for Marked<S> {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        let entry = format!(
            "{} > {} {}",
            self.mark.name,
            request.kind(),
            request.method_label()
        );
        self.mark.log.lock().unwrap().push(entry);
        let outcome = self.inner.call(request).await;
        let exit = format!("{} < {}", self.mark.name, outcome_label(&outcome));
        self.mark.log.lock().unwrap().push(exit);
        outcome
    }
}

fn marks() -> (Mark, Mark, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let outer = Mark {
        name: "outer",
        log: Arc::clone(&log),
    };
    let inner = Mark {
        name: "inner",
        log: Arc::clone(&log),
    };
    (outer, inner, log)
}

/// A call, a notification, a batch and a failing call, through `Caller`.
async fn exercise<C: Caller>(client: &C) {
    let sum: i64 = client.call("add", pair(2, 3)).await.unwrap();
    assert_eq!(sum, 5);
    client
        .notify("log", EncodedParams::from_value(&["hi"]).unwrap())
        .await
        .unwrap();
    let mut batch = BatchRequest::new();
    let a = batch.call::<i64>("add", pair(1, 1));
    let b = batch.call::<i64>("add", pair(2, 2));
    let answers = client.batch(batch).await.unwrap();
    assert_eq!((answers.get(a).unwrap(), answers.get(b).unwrap()), (2, 4));
    let error = client.call::<i64>("fail", EncodedParams::none()).await;
    assert_eq!(error.unwrap_err().rpc_error().unwrap().code, APP_ERROR);
}

fn expected_order() -> Vec<String> {
    [
        "outer > call add",
        "inner > call add",
        "inner < ok",
        "outer < ok",
        "outer > notification log",
        "inner > notification log",
        "inner < ok",
        "outer < ok",
        "outer > batch add,add",
        "inner > batch add,add",
        "inner < ok",
        "outer < ok",
        "outer > call fail",
        "inner > call fail",
        "inner < rpc_error",
        "outer < rpc_error",
    ]
    .map(String::from)
    .to_vec()
}

#[tokio::test]
async fn http_layers_run_first_added_outermost() {
    let server = serve(Answer::router(router())).await;
    let (outer, inner, log) = marks();
    let client = HttpClient::builder(&server.url())
        .layer(outer)
        .layer(inner)
        .build()
        .unwrap();
    exercise(&client).await;
    assert_eq!(*log.lock().unwrap(), expected_order());
    // The inherent methods go through the layers too, and so do clones
    // and clients with extra headers (whose headers still reach the server).
    log.lock().unwrap().clear();
    let mut headers = rpc_client::header::HeaderMap::new();
    headers.insert("x-trace", "t-1".parse().unwrap());
    let traced = client.clone().with_headers(headers);
    let sum: i64 = traced.request("add", pair(20, 22)).await.unwrap();
    assert_eq!(sum, 42);
    assert_eq!(log.lock().unwrap().len(), 4);
    assert_eq!(server.seen().last().unwrap().headers["x-trace"], "t-1");
}

#[tokio::test]
async fn ws_layers_run_first_added_outermost() {
    let server = WsServer::start(router(), WsConfig::default()).await;
    let (outer, inner, log) = marks();
    let client = WsClient::builder(&server.url)
        .layer(outer)
        .layer(inner)
        .connect()
        .await
        .unwrap();
    exercise(&client).await;
    assert_eq!(*log.lock().unwrap(), expected_order());
    client.close().await;
}

/// A layer that refuses a method before it reaches the transport.
#[derive(Clone)]
struct Deny(&'static str);

struct Denied<S> {
    inner: S,
    method: &'static str,
}

impl<S> Layer<S> for Deny {
    type Service = Denied<S>;
    fn layer(&self, inner: S) -> Denied<S> {
        Denied {
            inner,
            method: self.0,
        }
    }
}

impl<S: ClientService> ClientService for Denied<S> {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        if request.method() == Some(self.method) {
            return Err(ClientError::Transport("denied by policy".into()));
        }
        self.inner.call(request).await
    }
}

#[tokio::test]
async fn a_layer_can_fail_a_call_before_it_is_sent() {
    let server = serve(Answer::router(router())).await;
    let client = HttpClient::builder(&server.url())
        .layer(Deny("add"))
        .build()
        .unwrap();
    let error = client.request::<i64>("add", pair(1, 2)).await.unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(server.seen().is_empty());
    client.notify("log", EncodedParams::none()).await.unwrap();
    assert_eq!(server.seen().len(), 1);
}

// ---- timeout ----

fn sleep_ms(ms: u64) -> EncodedParams {
    EncodedParams::from_value(&[ms]).unwrap()
}

async fn assert_times_out<C: Caller>(name: &str, client: &C, limit: Duration) {
    let started = Instant::now();
    let error = client
        .call::<u64>("sleep", sleep_ms(2_000))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Timeout(d) if d == limit),
        "{name}: {error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(1), "{name}");
}

#[tokio::test]
async fn timeout_layer_fails_a_slow_call_on_http_and_ws() {
    let limit = Duration::from_millis(150);
    let http_server = serve(Answer::router(router())).await;
    let http = HttpClient::builder(&http_server.url())
        .layer(TimeoutLayer::new(limit))
        .build()
        .unwrap();
    let ws_server = WsServer::start(router(), WsConfig::default()).await;
    let ws = WsClient::builder(&ws_server.url)
        .layer(TimeoutLayer::new(limit))
        .connect()
        .await
        .unwrap();

    assert_times_out("http", &http, limit).await;
    assert_times_out("ws", &ws, limit).await;
    // A fast call is untouched.
    assert_eq!(http.request::<u64>("sleep", sleep_ms(1)).await.unwrap(), 1);
    assert_eq!(
        Caller::call::<u64>(&ws, "sleep", sleep_ms(1))
            .await
            .unwrap(),
        1
    );
    ws.close().await;
}

// ---- retry: a server that answers 503 to its first `failures` requests ----

struct Flaky {
    url: String,
    attempts: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Flaky {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Flaky {
    fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }
}

async fn flaky(failures: usize, status: u16) -> Flaky {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let attempts = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let router = Arc::new(router());
    let task = tokio::spawn({
        let attempts = Arc::clone(&attempts);
        let bodies = Arc::clone(&bodies);
        async move {
            while let Ok((stream, _)) = listener.accept().await {
                let attempts = Arc::clone(&attempts);
                let bodies = Arc::clone(&bodies);
                let router = Arc::clone(&router);
                let service = service_fn(move |request: Request<Incoming>| {
                    let attempts = Arc::clone(&attempts);
                    let bodies = Arc::clone(&bodies);
                    let router = Arc::clone(&router);
                    async move {
                        let bytes = request.into_body().collect().await.unwrap().to_bytes();
                        let text = String::from_utf8(bytes.to_vec()).unwrap();
                        bodies
                            .lock()
                            .unwrap()
                            .push(serde_json::from_str(&text).unwrap());
                        let (status, body) = if attempts.fetch_add(1, Ordering::SeqCst) < failures {
                            (status, "busy".to_owned())
                        } else {
                            match router.handle(&text, &Context::new()).await {
                                Some(reply) => (200, reply),
                                None => (204, String::new()),
                            }
                        };
                        let response = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(Bytes::from(body)))
                            .unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(async move {
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    });
    Flaky {
        url,
        attempts,
        bodies,
        task,
    }
}

fn quick_retries(max_retries: u32) -> RetryLayer {
    RetryLayer::new(
        RetryPolicy::default()
            .max_retries(max_retries)
            .initial_backoff(Duration::from_millis(5))
            .max_backoff(Duration::from_millis(20)),
    )
    .idempotent(["add"])
    .idempotent_if(|method| method.starts_with("get_"))
}

#[tokio::test]
async fn an_idempotent_call_succeeds_after_retries_with_its_own_params() {
    let server = flaky(2, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    let sum: i64 = client.request("add", pair(40, 2)).await.unwrap();
    assert_eq!(sum, 42);
    assert_eq!(server.attempts(), 3);
    let bodies = server.bodies.lock().unwrap();
    for body in bodies.iter() {
        assert_eq!(body["method"], "add");
        assert_eq!(body["params"], json!([40, 2]));
    }
    // Each attempt is a request of its own, with a fresh id.
    assert_ne!(bodies[0]["id"], bodies[1]["id"]);
}

#[tokio::test]
async fn status_429_is_retried_and_a_predicate_marks_methods_idempotent() {
    let server = flaky(1, 429).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    // Not registered: the retried attempt reaches the router, which says so.
    let error = client
        .request::<i64>("get_missing", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, -32601);
    assert_eq!(server.attempts(), 2);
}

#[tokio::test]
async fn a_call_not_marked_idempotent_is_not_retried() {
    let server = flaky(1, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    let error = client
        .request::<i64>("sleep", sleep_ms(1))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::HttpStatus { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_notification_is_never_retried() {
    let server = flaky(1, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    let error = client.notify("add", pair(1, 2)).await.unwrap_err();
    assert!(matches!(error, ClientError::HttpStatus { status: 503, .. }));
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn retry_gives_up_after_max_retries_with_the_last_error() {
    let server = flaky(usize::MAX, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(2))
        .build()
        .unwrap();
    let error = client.request::<i64>("add", pair(1, 2)).await.unwrap_err();
    assert!(
        matches!(error, ClientError::HttpStatus { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(server.attempts(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn a_json_rpc_error_object_is_not_retried() {
    let server = flaky(0, 503).await;
    let retry = quick_retries(3).idempotent(["fail"]);
    let client = HttpClient::builder(&server.url)
        .layer(retry)
        .build()
        .unwrap();
    let error = client
        .request::<i64>("fail", EncodedParams::none())
        .await
        .unwrap_err();
    assert_eq!(error.rpc_error().unwrap().code, APP_ERROR);
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_batch_of_idempotent_calls_is_retried_one_with_a_notification_is_not() {
    let server = flaky(1, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    let mut batch = BatchRequest::new();
    let slot = batch.call::<i64>("add", pair(3, 4));
    let answers = client.batch(batch).await.unwrap();
    assert_eq!(answers.get(slot).unwrap(), 7);
    assert_eq!(server.attempts(), 2);

    let server = flaky(1, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(quick_retries(3))
        .build()
        .unwrap();
    let mut batch = BatchRequest::new();
    let _ = batch.call::<i64>("add", pair(3, 4));
    batch.notify("add", pair(0, 0));
    assert!(client.batch(batch).await.is_err());
    assert_eq!(server.attempts(), 1);
}

#[tokio::test]
async fn a_timeout_inside_retry_limits_each_attempt() {
    let server = serve(Answer::router(router())).await;
    let client = HttpClient::builder(&server.url())
        .layer(quick_retries(2).idempotent(["sleep"]))
        .layer(TimeoutLayer::new(Duration::from_millis(50)))
        .build()
        .unwrap();
    let error = client
        .request::<u64>("sleep", sleep_ms(1_000))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Timeout(_)), "{error:?}");
    assert_eq!(server.seen().len(), 3);
}

// ---- logging: a tracing layer that records the fields of each event ----

type Fields = HashMap<String, String>;

#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<(tracing::Level, Fields)>>>);

struct Record<'a>(&'a mut Fields);

impl Visit for Record<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != CALLS_TARGET {
            return;
        }
        let mut fields = Fields::new();
        event.record(&mut Record(&mut fields));
        self.0
            .lock()
            .unwrap()
            .push((*event.metadata().level(), fields));
    }
}

fn assert_logged(events: &Events) {
    let events = events.0.lock().unwrap();
    let by_method: Vec<_> = events
        .iter()
        .map(|(_, f)| {
            (
                f["method"].as_str(),
                f["kind"].as_str(),
                f["outcome"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        by_method,
        [
            ("add", "call", "ok"),
            ("log", "notification", "ok"),
            ("add,add", "batch", "ok"),
            ("fail", "call", "rpc_error"),
        ]
    );
    for (level, fields) in events.iter() {
        assert_eq!(*level, tracing::Level::INFO);
        let elapsed: f64 = fields["elapsed_ms"].parse().unwrap();
        assert!((0.0..10_000.0).contains(&elapsed), "{fields:?}");
    }
    let failed = &events[3].1;
    assert_eq!(failed["error_code"], APP_ERROR.to_string());
    assert!(failed["error"].contains("it failed"), "{failed:?}");
    assert!(!events[0].1.contains_key("error_code"));
}

#[tokio::test]
async fn logging_layer_logs_each_call_on_http_and_ws() {
    let events = Events::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));

    let server = serve(Answer::router(router())).await;
    let http = HttpClient::builder(&server.url())
        .layer(LoggingLayer::new())
        .build()
        .unwrap();
    exercise(&http).await;
    assert_logged(&events);

    events.0.lock().unwrap().clear();
    let ws_server = WsServer::start(router(), WsConfig::default()).await;
    let ws = WsClient::builder(&ws_server.url)
        .layer(LoggingLayer::new())
        .connect()
        .await
        .unwrap();
    exercise(&ws).await;
    assert_logged(&events);
    ws.close().await;
}

#[tokio::test]
async fn logging_layer_names_transport_errors() {
    let events = Events::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(events.clone()));
    let server = flaky(usize::MAX, 503).await;
    let client = HttpClient::builder(&server.url)
        .layer(LoggingLayer::new())
        .build()
        .unwrap();
    let _ = client.request::<i64>("add", pair(1, 2)).await.unwrap_err();
    let events = events.0.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1["outcome"], "http_status");
    assert_eq!(events[0].1["http_status"], "503");
}

// ---- metrics: a debugging recorder, installed for this thread ----

/// Sorted `(key, value)` labels.
type Labels = Vec<(String, String)>;

/// (name, labels) → value, for the recorder's counters and histograms.
fn snapshot(recorder: &DebuggingRecorder) -> Vec<(String, Labels, DebugValue)> {
    recorder
        .snapshotter()
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_owned(), l.value().to_owned()))
                .collect();
            labels.sort();
            (key.name().to_owned(), labels, value)
        })
        .collect()
}

fn labels(method: &str, outcome: &str, code: Option<i32>) -> Labels {
    let mut labels = vec![
        ("outcome".to_owned(), outcome.to_owned()),
        ("rpc.method".to_owned(), method.to_owned()),
        ("rpc.system".to_owned(), "jsonrpc".to_owned()),
    ];
    if let Some(code) = code {
        labels.push(("rpc.jsonrpc.error_code".to_owned(), code.to_string()));
    }
    labels.sort();
    labels
}

async fn assert_metrics<C: Caller>(client: &C) {
    let recorder = DebuggingRecorder::new();
    let _guard = metrics::set_default_local_recorder(&recorder);
    exercise(client).await;
    client.call::<i64>("add", pair(0, 0)).await.unwrap();
    let seen = snapshot(&recorder);
    let counter = |name: &str, labels: &[(String, String)]| {
        seen.iter()
            .find_map(|(n, l, v)| match v {
                DebugValue::Counter(count) if n == name && l == labels => Some(*count),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no counter {name} {labels:?} in {seen:?}"))
    };
    assert_eq!(counter("rpc.client.calls", &labels("add", "ok", None)), 2);
    assert_eq!(counter("rpc.client.calls", &labels("log", "ok", None)), 1);
    assert_eq!(
        counter("rpc.client.calls", &labels("[batch]", "ok", None)),
        1
    );
    assert_eq!(
        counter(
            "rpc.client.calls",
            &labels("fail", "rpc_error", Some(APP_ERROR))
        ),
        1
    );
    let durations: Vec<f64> = seen
        .iter()
        .filter(|(n, l, _)| n == "rpc.client.duration" && *l == labels("add", "ok", None))
        .flat_map(|(_, _, v)| match v {
            DebugValue::Histogram(values) => values.iter().map(|v| v.into_inner()).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(durations.len(), 2, "{seen:?}");
    assert!(durations.iter().all(|s| (0.0..10.0).contains(s)));
}

#[tokio::test]
async fn metrics_layer_counts_and_times_calls_on_http_and_ws() {
    let server = serve(Answer::router(router())).await;
    let http = HttpClient::builder(&server.url())
        .layer(MetricsLayer::new())
        .build()
        .unwrap();
    assert_metrics(&http).await;

    let ws_server = WsServer::start(router(), WsConfig::default()).await;
    let ws = WsClient::builder(&ws_server.url)
        .layer(MetricsLayer::new())
        .layer(LoggingLayer::new())
        .connect()
        .await
        .unwrap();
    assert_metrics(&ws).await;
    ws.close().await;
}

// ---- generated stubs call through `Caller`, so through the layers ----

/// Why a greeting failed.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum GreetError {
    /// Nobody to greet.
    #[error("no name")]
    #[rpc(code = 3001)]
    NoName,
}

/// A greeter.
#[rpc(namespace = "greeter")]
pub trait Greeter {
    /// Greets `name`.
    async fn greet(&self, name: String) -> Result<String, GreetError>;
}

struct Polite;

impl Greeter for Polite {
    async fn greet(&self, name: String) -> Result<String, GreetError> {
        if name.is_empty() {
            return Err(GreetError::NoName);
        }
        Ok(format!("hello {name}"))
    }
}

async fn greet_through<C: Caller>(client: GreeterClient<C>, log: &Mutex<Vec<String>>) {
    assert_eq!(client.greet("ann".to_owned()).await.unwrap(), "hello ann");
    match client.greet(String::new()).await {
        Err(ClientError::Application(error)) => assert_eq!(error, GreetError::NoName),
        other => panic!("expected the typed error, got {other:?}"),
    }
    assert_eq!(
        *log.lock().unwrap(),
        [
            "outer > call greeter.greet",
            "inner > call greeter.greet",
            "inner < ok",
            "outer < ok",
            "outer > call greeter.greet",
            "inner > call greeter.greet",
            "inner < rpc_error",
            "outer < rpc_error",
        ]
    );
}

#[tokio::test]
async fn generated_stubs_go_through_the_layers_on_http_and_ws() {
    let server = serve(Answer::router(Polite.into_router())).await;
    let (outer, inner, log) = marks();
    let http = HttpClient::builder(&server.url())
        .layer(outer)
        .layer(inner)
        .build()
        .unwrap();
    greet_through(GreeterClient::new(http), &log).await;

    let ws_server = WsServer::start(Polite.into_router(), WsConfig::default()).await;
    let (outer, inner, log) = marks();
    let ws = WsClient::builder(&ws_server.url)
        .layer(outer)
        .layer(inner)
        .connect()
        .await
        .unwrap();
    greet_through(GreeterClient::new(ws.clone()), &log).await;
    ws.close().await;
}

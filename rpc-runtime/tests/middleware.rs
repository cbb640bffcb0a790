//! RPC middleware on the core, on strings alone: what a layer sees (every
//! call, each batch member and notification, unknown methods), the order
//! layers run in, rewriting, waiting, and a layer that panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt as _;
use rpc_runtime::middleware::{Call, CallService, Next};
use rpc_runtime::params::Params;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Answer, Context, MethodOutput, Router};
use serde_json::value::RawValue;

/// `add(a, b)` (sync, by argument types), `raw` (sync, decodes its own
/// params), `later(n)` (async) and `log(line)` (a notification's target).
fn methods() -> Router {
    let mut r = Router::new();
    r.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| {
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r.register_sync("raw", |p, _| p.parse::<Vec<i64>>())
        .unwrap();
    r.register_async_args("later", &["n"], |(n,): (i64,), _| async move {
        tokio::task::yield_now().await;
        Ok::<_, ErrorObjectOwned>(n * 2)
    })
    .unwrap();
    r.register_sync_args("log", &["line"], |(_line,): (String,), _| {
        Ok::<_, ErrorObjectOwned>(())
    })
    .unwrap();
    r
}

/// What a recording layer saw of one call.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    method: String,
    id: Option<String>,
    params: Option<String>,
    batch: Option<(usize, usize)>,
    /// The error code of the outcome; `None` for a result.
    code: Option<i32>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Records every call it passes on, with its outcome.
struct Record {
    next: Next,
    log: Log,
}

impl CallService for Record {
    fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a {
        let mut seen = Seen {
            method: call.method().to_owned(),
            id: call.id().map(|id| id.as_json().to_owned()),
            params: call.params().as_json().map(str::to_owned),
            batch: call.batch().map(|b| (b.index, b.len)),
            code: None,
        };
        async move {
            let outcome = self.next.call(call).await;
            seen.code = outcome.as_ref().err().map(|e| e.object().code);
            self.log.lock().unwrap().push(seen);
            outcome
        }
    }
}

fn recording(log: &Log) -> impl tower_layer::Layer<Next, Service = Record> + Send + Sync + 'static {
    let log = Arc::clone(log);
    tower_layer::layer_fn(move |next| Record {
        next,
        log: Arc::clone(&log),
    })
}

async fn answer(router: &Router, text: &str) -> Option<String> {
    router.handle(text, &Context::new()).await
}

#[tokio::test]
async fn a_layer_sees_every_call_each_batch_member_and_each_notification() {
    let log = Log::default();
    let router = methods().layer(recording(&log));
    let batch = r#"[
        {"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},
        {"jsonrpc":"2.0","method":"log","params":["hi"]},
        {"jsonrpc":"2.0","method":1,"id":2},
        {"jsonrpc":"2.0","method":"nope","id":3},
        {"jsonrpc":"2.0","method":"later","params":{"n":4},"id":"x"}
    ]"#;
    let reply = answer(&router, batch).await.unwrap();
    assert_eq!(
        reply,
        concat!(
            r#"[{"jsonrpc":"2.0","result":3,"id":1},"#,
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"\"method\" must be a string"},"id":2},"#,
            r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":3},"#,
            r#"{"jsonrpc":"2.0","result":8,"id":"x"}]"#
        )
    );
    let mut seen = log.lock().unwrap().clone();
    seen.sort_by_key(|s| s.batch);
    let want = |method: &str, id: Option<&str>, params: Option<&str>, index, code| Seen {
        method: method.to_owned(),
        id: id.map(str::to_owned),
        params: params.map(str::to_owned),
        batch: Some((index, 5)),
        code,
    };
    assert_eq!(
        seen,
        [
            want("add", Some("1"), Some("[1,2]"), 0, None),
            want("log", None, Some(r#"["hi"]"#), 1, None),
            // The invalid member (index 2) is no call: no layer sees it.
            want("nope", Some("3"), None, 3, Some(-32601)),
            want("later", Some(r#""x""#), Some(r#"{"n":4}"#), 4, None),
        ]
    );

    // A single call and a lone notification, by the single-pass shape.
    log.lock().unwrap().clear();
    let single = r#"{"jsonrpc":"2.0","method":"add","params":[2,3],"id":9}"#;
    assert_eq!(
        answer(&router, single).await.unwrap(),
        r#"{"jsonrpc":"2.0","result":5,"id":9}"#
    );
    let note = r#"{"jsonrpc":"2.0","method":"log","params":["x"]}"#;
    assert_eq!(answer(&router, note).await, None);
    let seen = log.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].method.as_str(), seen[0].batch), ("add", None));
    assert_eq!(
        (seen[1].method.as_str(), seen[1].id.as_deref()),
        ("log", None)
    );
}

/// Pushes `name` on the way in and on the way out; generic over what it
/// wraps, as a layer must be to stack in a `tower::ServiceBuilder`.
struct Mark<S> {
    name: &'static str,
    trail: Arc<Mutex<Vec<String>>>,
    next: S,
}

impl<S: CallService> CallService for Mark<S> {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        self.trail.lock().unwrap().push(format!("{} in", self.name));
        let outcome = self.next.call(call).await;
        self.trail
            .lock()
            .unwrap()
            .push(format!("{} out", self.name));
        outcome
    }
}

#[derive(Clone)]
struct MarkLayer {
    name: &'static str,
    trail: Arc<Mutex<Vec<String>>>,
}

impl<S> tower_layer::Layer<S> for MarkLayer {
    type Service = Mark<S>;

    fn layer(&self, next: S) -> Mark<S> {
        Mark {
            name: self.name,
            trail: Arc::clone(&self.trail),
            next,
        }
    }
}

fn mark(name: &'static str, trail: &Arc<Mutex<Vec<String>>>) -> MarkLayer {
    MarkLayer {
        name,
        trail: Arc::clone(trail),
    }
}

#[tokio::test]
async fn layers_run_in_the_order_added_the_first_outermost() {
    let trail = Arc::new(Mutex::new(Vec::new()));
    let router = methods().layer(mark("a", &trail)).layer(mark("b", &trail));
    answer(
        &router,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
    )
    .await;
    assert_eq!(*trail.lock().unwrap(), ["a in", "b in", "b out", "a out"]);

    // A tower::ServiceBuilder is one layer, in its own order: the same.
    trail.lock().unwrap().clear();
    let stack = tower::ServiceBuilder::new()
        .layer(mark("a", &trail))
        .layer(mark("b", &trail));
    let router = methods().layer(stack).layer(mark("c", &trail));
    answer(
        &router,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
    )
    .await;
    assert_eq!(
        *trail.lock().unwrap(),
        ["a in", "b in", "c in", "c out", "b out", "a out"]
    );
}

/// Sends `old` to `add`, and `sum` to `raw` with its params wrapped.
struct Rewrite(Next);

impl CallService for Rewrite {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        let mut call = call;
        match call.method() {
            "old" => {
                call.set_method("add");
                self.0.call(call).await
            }
            "sum" => {
                // Params of the layer's own making, borrowed for the call.
                let doubled: Box<RawValue> = RawValue::from_string(format!(
                    "[{0},{0}]",
                    call.params().as_json().unwrap_or("0")
                ))
                .unwrap();
                let mut call = call;
                call.set_method("raw_total");
                call.set_params(Params::from_raw(&doubled).unwrap());
                self.0.call(call).await
            }
            _ => self.0.call(call).await,
        }
    }
}

#[tokio::test]
async fn a_layer_may_rewrite_the_method_and_the_params() {
    let mut router = methods().layer(tower_layer::layer_fn(Rewrite));
    router
        .register_sync("raw_total", |p, _| {
            Ok::<_, ErrorObjectOwned>(p.parse::<Vec<Vec<i64>>>()?.concat().iter().sum::<i64>())
        })
        .unwrap();
    assert_eq!(
        answer(
            &router,
            r#"{"jsonrpc":"2.0","method":"old","params":[40,2],"id":1}"#
        )
        .await
        .unwrap(),
        r#"{"jsonrpc":"2.0","result":42,"id":1}"#
    );
    assert_eq!(
        answer(
            &router,
            r#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":2}"#
        )
        .await
        .unwrap(),
        r#"{"jsonrpc":"2.0","result":6,"id":2}"#
    );
}

/// Panics for `add`, passes the rest on.
struct Fragile(Next);

impl CallService for Fragile {
    fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a {
        assert_ne!(call.method(), "add", "a bug in the layer");
        self.0.call(call)
    }
}

/// Panics for `later` once awaited, passes the rest on.
struct FragileLater(Next);

impl CallService for FragileLater {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        tokio::task::yield_now().await;
        assert_ne!(call.method(), "later", "a bug in the layer");
        self.0.call(call).await
    }
}

#[tokio::test]
async fn a_panicking_layer_fails_only_its_call() {
    const INTERNAL: &str = r#"{"code":-32603,"message":"Internal error"}"#;
    let batch = r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"later","params":[2],"id":2}]"#;
    let router = methods().layer(tower_layer::layer_fn(Fragile));
    assert_eq!(
        answer(&router, batch).await.unwrap(),
        format!(
            r#"[{{"jsonrpc":"2.0","error":{INTERNAL},"id":1}},{{"jsonrpc":"2.0","result":4,"id":2}}]"#
        )
    );
    let router = methods().layer(tower_layer::layer_fn(FragileLater));
    assert_eq!(
        answer(&router, batch).await.unwrap(),
        format!(
            r#"[{{"jsonrpc":"2.0","result":3,"id":1}},{{"jsonrpc":"2.0","error":{INTERNAL},"id":2}}]"#
        )
    );
    // The router goes on serving.
    assert_eq!(
        answer(
            &router,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,1],"id":3}"#
        )
        .await
        .unwrap(),
        r#"{"jsonrpc":"2.0","result":2,"id":3}"#
    );
}

/// Waits for a signal before letting `add` through.
struct Gate {
    open: Arc<tokio::sync::Notify>,
    next: Next,
}

impl CallService for Gate {
    async fn call<'a>(&'a self, call: Call<'a>) -> MethodOutput {
        self.open.notified().await;
        self.next.call(call).await
    }
}

#[tokio::test]
async fn a_layer_that_waits_makes_the_answer_a_future_one_that_does_not_answers_now() {
    let open = Arc::new(tokio::sync::Notify::new());
    let gate = Arc::clone(&open);
    let router = methods().layer(tower_layer::layer_fn(move |next| Gate {
        open: Arc::clone(&gate),
        next,
    }));
    let ctx = Context::new();
    let text = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#;
    let Answer::Later(future) = router.message(text, &ctx) else {
        panic!("the gate is shut: the answer must wait");
    };
    assert!(future.now_or_never().is_none());
    let Answer::Later(future) = router.message(text.to_owned(), &ctx) else {
        panic!("the gate is shut: the answer must wait");
    };
    open.notify_one();
    assert_eq!(
        future.await.unwrap(),
        r#"{"jsonrpc":"2.0","result":3,"id":1}"#
    );

    let log = Log::default();
    let router = methods().layer(recording(&log));
    let Answer::Now(reply) = router.message(text, &ctx) else {
        panic!("a layer that does not wait answers at once");
    };
    assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":3,"id":1}"#);
}

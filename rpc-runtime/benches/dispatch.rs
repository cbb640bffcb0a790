//! In-process dispatch: one call with two positional params (to a method
//! registered by argument types, read in one pass, and to one that decodes
//! its own params), the same with named params, and a batch of 100, through
//! `Router::handle`; beside them, the floor: a typed, borrowed serde_json
//! parse of the same request plus serializing its response, with no routing
//! at all.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use futures_util::FutureExt as _;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, Router};
use serde::{Deserialize, Serialize};

fn router() -> Router {
    let mut r = Router::new();
    r.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| {
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r.register_sync("add_decoding", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r
}

fn handle(router: &Router, ctx: &Context, text: &str) -> Option<String> {
    // Synchronous handlers complete at the first poll: no executor needed.
    router
        .handle(text, ctx)
        .now_or_never()
        .expect("a sync handler completes at once")
}

const POSITIONAL: &str = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#;
const POSITIONAL_DECODING: &str =
    r#"{"jsonrpc":"2.0","method":"add_decoding","params":[1,2],"id":1}"#;
const NAMED: &str = r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}"#;

#[derive(Deserialize)]
struct FloorRequest<'a> {
    #[allow(dead_code)]
    jsonrpc: &'a str,
    #[allow(dead_code)]
    method: &'a str,
    params: (i64, i64),
    #[serde(borrow)]
    id: &'a serde_json::value::RawValue,
}

#[derive(Serialize)]
struct FloorResponse<'a> {
    jsonrpc: &'static str,
    result: i64,
    id: &'a serde_json::value::RawValue,
}

fn floor(text: &str) -> String {
    let req: FloorRequest<'_> = serde_json::from_str(text).unwrap();
    serde_json::to_string(&FloorResponse {
        jsonrpc: "2.0",
        result: req.params.0 + req.params.1,
        id: req.id,
    })
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let router = router();
    let ctx = Context::new();
    let batch = format!("[{}]", vec![POSITIONAL; 100].join(","));
    assert_eq!(
        handle(&router, &ctx, POSITIONAL).unwrap(),
        r#"{"jsonrpc":"2.0","result":3,"id":1}"#
    );
    assert_eq!(floor(POSITIONAL), r#"{"jsonrpc":"2.0","result":3,"id":1}"#);

    let mut group = c.benchmark_group("dispatch");
    group.throughput(Throughput::Elements(1));
    group.bench_function("floor: typed parse + serialize", |b| {
        b.iter(|| floor(black_box(POSITIONAL)))
    });
    group.bench_function("positional", |b| {
        b.iter(|| handle(&router, &ctx, black_box(POSITIONAL)))
    });
    group.bench_function("positional, handler decodes its params", |b| {
        b.iter(|| handle(&router, &ctx, black_box(POSITIONAL_DECODING)))
    });
    group.bench_function("named", |b| {
        b.iter(|| handle(&router, &ctx, black_box(NAMED)))
    });
    group.throughput(Throughput::Elements(100));
    group.bench_function("batch of 100", |b| {
        b.iter(|| handle(&router, &ctx, black_box(&batch)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

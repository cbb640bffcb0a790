//! In-process dispatch cost, no sockets: ns per call for our `Router`, for
//! jsonrpsee's `RpcModule` on the same request, and for the floor, a typed
//! borrowed serde_json parse plus serializing the response (one floor per
//! params form: a tuple for positional params, a struct for named ones).

use std::hint::black_box;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use rpc_runtime::middleware::{AccessLogLayer, Call, CallService, MetricsLayer, Next};
use rpc_runtime::{Context, MethodOutput, Router};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::servers::{self, BoxError};

const POSITIONAL: &str = r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#;
const NAMED: &str = r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}"#;
const POSITIONAL_DECODING: &str =
    r#"{"jsonrpc":"2.0","method":"add_decoding","params":[1,2],"id":1}"#;
const ANSWER: &str = r#"{"jsonrpc":"2.0","result":3,"id":1}"#;
const BATCH_LEN: usize = 100;

/// One row: the median ns per call over the timing loops.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) ns_per_call: Option<f64>,
    pub(crate) jsonrpsee_ns_per_call: Option<f64>,
    /// Which floor the row is compared with.
    pub(crate) form: Form,
}

/// The params form of a row, which picks its floor.
#[derive(Clone, Copy)]
pub(crate) enum Form {
    Positional,
    Named,
}

/// The rows plus the floors.
pub(crate) struct Results {
    pub(crate) rows: Vec<Row>,
    pub(crate) floor_positional_ns: f64,
    pub(crate) floor_named_ns: f64,
    pub(crate) loops: usize,
}

impl Results {
    /// The floor a row is compared with.
    pub(crate) fn floor(&self, form: Form) -> f64 {
        match form {
            Form::Positional => self.floor_positional_ns,
            Form::Named => self.floor_named_ns,
        }
    }
}

/// Times every case `loops` times for about `per_loop` each and keeps the
/// median. Every case's output is checked once before it is timed.
pub(crate) fn run(loops: usize, per_loop: Duration) -> Result<Results, BoxError> {
    let router = servers::ours::router()?;
    let pass_on = router.clone().layer(tower_layer::layer_fn(PassOn));

    let module = servers::jsonrpsee::module()?;
    let ctx = Context::new();
    let batch = format!("[{}]", vec![POSITIONAL; BATCH_LEN].join(","));
    // jsonrpsee's `raw_json_request` is async: each timing loop runs inside
    // one `block_on` of a current-thread runtime, so the runtime's cost is
    // paid once per loop, not per call.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let jsonrpsee = |text: &'static str| {
        let module = &module;
        let runtime = &runtime;
        move |iterations: u64| {
            runtime.block_on(async {
                for _ in 0..iterations {
                    let reply = module.raw_json_request(black_box(text), 1).await;
                    black_box(reply.map(|(r, _)| r).ok());
                }
            });
        }
    };

    check(&ours(&router, &ctx, POSITIONAL), ANSWER, "ours positional")?;
    check(&ours(&router, &ctx, NAMED), ANSWER, "ours named")?;
    check(
        &ours(&pass_on, &ctx, POSITIONAL),
        ANSWER,
        "ours, no-op layer",
    )?;
    check(
        &ours(&router, &ctx, POSITIONAL_DECODING),
        ANSWER,
        "ours, handler decoding",
    )?;
    let expected_batch = format!("[{}]", vec![ANSWER; BATCH_LEN].join(","));
    check(&ours(&router, &ctx, &batch), &expected_batch, "ours batch")?;
    check(&floor(POSITIONAL)?, ANSWER, "floor")?;
    check(&floor_named(NAMED)?, ANSWER, "named floor")?;
    for text in [POSITIONAL, NAMED] {
        let reply = runtime
            .block_on(module.raw_json_request(text, 1))?
            .0
            .get()
            .to_owned();
        check(&reply, ANSWER, "jsonrpsee")?;
    }

    let time = |f: &dyn Fn(u64), calls_per_iteration: u64| {
        median_ns_per_call(loops, per_loop, calls_per_iteration, f)
    };
    let mut rows = vec![
        Row {
            name: "positional `add(1,2)`",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&router, &ctx, POSITIONAL)))),
                1,
            )),
            jsonrpsee_ns_per_call: Some(time(&jsonrpsee(POSITIONAL), 1)),
            form: Form::Positional,
        },
        Row {
            name: "positional, handler decodes its params (`register_sync`)",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&router, &ctx, POSITIONAL_DECODING)))),
                1,
            )),
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
        Row {
            name: "positional, through one no-op layer",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&pass_on, &ctx, POSITIONAL)))),
                1,
            )),
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
        Row {
            name: "named `add{a,b}`",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&router, &ctx, NAMED)))),
                1,
            )),
            jsonrpsee_ns_per_call: Some(time(&jsonrpsee(NAMED), 1)),
            form: Form::Named,
        },
        Row {
            name: "batch of 100 (per call)",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&router, &ctx, &batch)))),
                BATCH_LEN as u64,
            )),
            // `RpcModule::raw_json_request` takes single calls only; its
            // batches exist only inside the server.
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
    ];
    // Last, so no row above runs with a subscriber or a recorder installed:
    // `observed` installs those the two layers report to.
    let observed = servers::ours::observed(router.clone());
    let access_log = router.clone().layer(AccessLogLayer::new());
    let metrics = router.clone().layer(MetricsLayer::new());
    check(
        &ours(&access_log, &ctx, POSITIONAL),
        ANSWER,
        "ours, access log",
    )?;
    check(&ours(&metrics, &ctx, POSITIONAL), ANSWER, "ours, metrics")?;
    check(&ours(&observed, &ctx, POSITIONAL), ANSWER, "ours, both")?;
    rows.extend([
        Row {
            name: "positional, access log (INFO, formatted, written nowhere)",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&access_log, &ctx, POSITIONAL)))),
                1,
            )),
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
        Row {
            name: "positional, metrics layer (Prometheus recorder)",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&metrics, &ctx, POSITIONAL)))),
                1,
            )),
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
        Row {
            name: "positional, access log + metrics",
            ns_per_call: Some(time(
                &|n| (0..n).for_each(|_| drop(black_box(ours(&observed, &ctx, POSITIONAL)))),
                1,
            )),
            jsonrpsee_ns_per_call: None,
            form: Form::Positional,
        },
    ]);
    let floor_positional_ns = time(
        &|n| (0..n).for_each(|_| drop(black_box(floor(POSITIONAL)))),
        1,
    );
    let floor_named_ns = time(
        &|n| (0..n).for_each(|_| drop(black_box(floor_named(NAMED)))),
        1,
    );
    Ok(Results {
        rows,
        floor_positional_ns,
        floor_named_ns,
        loops,
    })
}

/// `bench count CASE N`: answers the in-process case `CASE` (`plain`,
/// `decoding`, `named`, `pass-on`, `access-log`, `metrics`, `batch`, or a
/// floor: `floor`, `floor-named`) `N` times and
/// nothing else, for an instruction count under callgrind, which unlike
/// timings is the same however busy the machine is.
pub(crate) fn count(args: &[String]) -> Result<(), BoxError> {
    let usage =
        "usage: bench count plain|decoding|named|pass-on|access-log|metrics|batch|floor|floor-named N";
    let (case, n) = match args {
        [case, n] => (
            case.as_str(),
            n.parse::<u64>().map_err(|e| format!("{n}: {e}"))?,
        ),
        _ => return Err(usage.into()),
    };
    if matches!(case, "floor" | "floor-named") {
        return count_floor(case, n);
    }
    let plain = servers::ours::router()?;
    let batch = format!("[{}]", vec![POSITIONAL; BATCH_LEN].join(","));
    let (router, text) = match case {
        "plain" => (plain, POSITIONAL),
        "decoding" => (plain, POSITIONAL_DECODING),
        "named" => (plain, NAMED),
        "batch" => (plain, batch.as_str()),
        "pass-on" => (plain.layer(tower_layer::layer_fn(PassOn)), POSITIONAL),
        "access-log" => {
            let _ = servers::ours::observed(Router::new());
            (plain.layer(AccessLogLayer::new()), POSITIONAL)
        }
        "metrics" => {
            let _ = servers::ours::observed(Router::new());
            (plain.layer(MetricsLayer::new()), POSITIONAL)
        }
        _ => return Err(usage.into()),
    };
    let ctx = Context::new();
    for _ in 0..n {
        black_box(ours(&router, &ctx, text));
    }
    Ok(())
}

/// The floors' share of `bench count`: `floor` and `floor-named`.
fn count_floor(case: &str, n: u64) -> Result<(), BoxError> {
    for _ in 0..n {
        let reply = match case {
            "floor" => floor(POSITIONAL),
            _ => floor_named(NAMED),
        };
        black_box(reply?);
    }
    Ok(())
}

/// A layer that only passes each call on: the cost of the seam itself.
struct PassOn(Next);

impl CallService for PassOn {
    fn call<'a>(
        &'a self,
        call: Call<'a>,
    ) -> impl std::future::Future<Output = MethodOutput> + Send + 'a {
        self.0.call(call)
    }
}

fn ours(router: &Router, ctx: &Context, text: &str) -> String {
    // Sync handlers complete at the first poll, so no executor is needed.
    match router.handle(black_box(text), ctx).now_or_never() {
        Some(Some(reply)) => reply,
        Some(None) => String::new(),
        None => "(did not complete at once)".to_owned(),
    }
}

#[derive(Deserialize)]
struct FloorRequest<'a> {
    #[allow(dead_code)]
    jsonrpc: &'a str,
    #[allow(dead_code)]
    method: &'a str,
    params: (i64, i64),
    #[serde(borrow)]
    id: &'a RawValue,
}

#[derive(Serialize)]
struct FloorResponse<'a> {
    jsonrpc: &'static str,
    result: i64,
    id: &'a RawValue,
}

fn floor(text: &str) -> Result<String, serde_json::Error> {
    let request: FloorRequest<'_> = serde_json::from_str(black_box(text))?;
    serde_json::to_string(&FloorResponse {
        jsonrpc: "2.0",
        result: request.params.0 + request.params.1,
        id: request.id,
    })
}

#[derive(Deserialize)]
struct NamedParams {
    a: i64,
    b: i64,
}

#[derive(Deserialize)]
struct FloorNamedRequest<'a> {
    #[allow(dead_code)]
    jsonrpc: &'a str,
    #[allow(dead_code)]
    method: &'a str,
    params: NamedParams,
    #[serde(borrow)]
    id: &'a RawValue,
}

fn floor_named(text: &str) -> Result<String, serde_json::Error> {
    let request: FloorNamedRequest<'_> = serde_json::from_str(black_box(text))?;
    serde_json::to_string(&FloorResponse {
        jsonrpc: "2.0",
        result: request.params.a + request.params.b,
        id: request.id,
    })
}

fn check(got: &str, want: &str, what: &str) -> Result<(), BoxError> {
    let got: serde_json::Value = serde_json::from_str(got)?;
    let want: serde_json::Value = serde_json::from_str(want)?;
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got}, expected {want}").into())
    }
}

/// Calibrates an iteration count that takes about `per_loop`, then times
/// `loops` loops of it and returns the median ns per call.
fn median_ns_per_call(
    loops: usize,
    per_loop: Duration,
    calls_per_iteration: u64,
    f: &dyn Fn(u64),
) -> f64 {
    let mut iterations = 1u64;
    loop {
        let start = Instant::now();
        f(iterations);
        let took = start.elapsed();
        if took >= per_loop / 4 || iterations >= 1 << 30 {
            let scale = per_loop.as_secs_f64() / took.as_secs_f64().max(1e-9);
            iterations = ((iterations as f64 * scale) as u64).max(1);
            break;
        }
        iterations *= 2;
    }
    let mut samples: Vec<f64> = (0..loops.max(1))
        .map(|_| {
            let start = Instant::now();
            f(iterations);
            start.elapsed().as_nanos() as f64 / (iterations * calls_per_iteration) as f64
        })
        .collect();
    crate::report::median(&mut samples)
}

//! Our clients vs jsonrpsee's, calling the same server (jsonrpsee's, the
//! one complete on both transports today): calls/s, latency and the
//! client process's CPU per call, N callers sharing one client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::core::client::ClientT;
use rpc_client::{Caller, PositionalParams};

use crate::measure::{drive, Measurement, Recorder, Timing};
use crate::process::{own_cpu_time, ServerProcess};
use crate::servers::{BoxError, Kind};

/// A client-side workload.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Workload {
    pub(crate) websocket: bool,
    /// Concurrent callers sharing one client.
    pub(crate) callers: usize,
}

impl Workload {
    pub(crate) const ALL: [Workload; 4] = [
        Workload {
            websocket: false,
            callers: 1,
        },
        Workload {
            websocket: false,
            callers: 32,
        },
        Workload {
            websocket: true,
            callers: 1,
        },
        Workload {
            websocket: true,
            callers: 64,
        },
    ];

    pub(crate) fn describe(self) -> String {
        let transport = if self.websocket { "WS" } else { "HTTP" };
        let plural = if self.callers == 1 { "" } else { "s" };
        format!("{transport} client, {} caller{plural}", self.callers)
    }
}

/// Starts the shared server.
pub(crate) fn server() -> Result<ServerProcess, BoxError> {
    Ok(ServerProcess::spawn(Kind::Jsonrpsee)?)
}

/// One run of our client (`HttpClient` or `WsClient`).
pub(crate) async fn run_ours(
    server: &ServerProcess,
    workload: Workload,
    timing: Timing,
) -> Measurement {
    let addr = server.addr();
    if workload.websocket {
        match rpc_client::WsClient::connect(&format!("ws://{addr}/")).await {
            Ok(client) => drive_ours(Arc::new(client), workload, timing).await,
            Err(e) => failed(format!("our WsClient: {e}")),
        }
    } else {
        match rpc_client::HttpClient::new(&format!("http://{addr}/")) {
            Ok(client) => drive_ours(Arc::new(client), workload, timing).await,
            Err(e) => failed(format!("our HttpClient: {e}")),
        }
    }
}

/// Drives `add(a, b)` calls through any of our clients.
async fn drive_ours<C: Caller + 'static>(
    client: Arc<C>,
    workload: Workload,
    timing: Timing,
) -> Measurement {
    drive(
        workload.callers,
        timing,
        own_cpu_time,
        move |caller, recorder| {
            let client = client.clone();
            caller_loop(caller, recorder, move |a, b| {
                let client = client.clone();
                async move {
                    let mut params = PositionalParams::new();
                    params.push("a", &a).map_err(|e| e.to_string())?;
                    params.push("b", &b).map_err(|e| e.to_string())?;
                    client
                        .call::<i64>("add", params.finish())
                        .await
                        .map_err(|e| e.to_string())
                }
            })
        },
    )
    .await
}

/// One run of jsonrpsee's client (HTTP or WebSocket).
pub(crate) async fn run_jsonrpsee(
    server: &ServerProcess,
    workload: Workload,
    timing: Timing,
) -> Measurement {
    let addr = server.addr();
    if workload.websocket {
        match jsonrpsee::ws_client::WsClientBuilder::default()
            .build(format!("ws://{addr}/"))
            .await
        {
            Ok(client) => drive_jsonrpsee(Arc::new(client), workload, timing).await,
            Err(e) => failed(format!("jsonrpsee WsClient: {e}")),
        }
    } else {
        match jsonrpsee::http_client::HttpClientBuilder::default().build(format!("http://{addr}/"))
        {
            Ok(client) => drive_jsonrpsee(Arc::new(client), workload, timing).await,
            Err(e) => failed(format!("jsonrpsee HttpClient: {e}")),
        }
    }
}

/// Drives `add(a, b)` calls through any of jsonrpsee's clients.
async fn drive_jsonrpsee<C: ClientT + Send + Sync + 'static>(
    client: Arc<C>,
    workload: Workload,
    timing: Timing,
) -> Measurement {
    drive(
        workload.callers,
        timing,
        own_cpu_time,
        move |caller, recorder| {
            let client = client.clone();
            caller_loop(caller, recorder, move |a, b| {
                let client = client.clone();
                async move {
                    client
                        .request::<i64, _>("add", jsonrpsee::rpc_params![a, b])
                        .await
                        .map_err(|e| e.to_string())
                }
            })
        },
    )
    .await
}

/// Calls `add(a, b)` through `call` with varying arguments until the run
/// ends, checking every result.
async fn caller_loop<F, Fut>(caller: usize, mut recorder: Recorder, call: F) -> Recorder
where
    F: Fn(i64, i64) -> Fut,
    Fut: std::future::Future<Output = Result<i64, String>>,
{
    let base = i64::try_from(caller).unwrap_or(0) * 1_000_003;
    let mut n = 0i64;
    while recorder.running() {
        n += 1;
        let (a, b) = (base + n, 5 - 2 * n);
        let sent = Instant::now();
        match call(a, b).await {
            Ok(sum) if sum == a + b => recorder.record(sent, 1),
            Ok(sum) => recorder.fail(format!("add({a},{b}) returned {sum}")),
            Err(e) => recorder.fail(e),
        }
    }
    recorder
}

fn failed(error: String) -> Measurement {
    Measurement {
        calls_per_sec: 0.0,
        p50: Duration::ZERO,
        p99: Duration::ZERO,
        cpu_us_per_call: 0.0,
        error: Some(error),
    }
}

/// `bench count-client CLIENT N`: `N` calls one at a time through one
/// client (`ours-http`, `jsonrpsee-http`, `ours-ws`, `jsonrpsee-ws`) to
/// jsonrpsee's server in its own process, and nothing else, for an
/// instruction count of the client's process under callgrind.
pub(crate) fn count(args: &[String]) -> Result<(), BoxError> {
    let usage = "usage: bench count-client ours-http|jsonrpsee-http|ours-ws|jsonrpsee-ws N";
    let (client, n) = match args {
        [client, n] => (
            client.as_str(),
            n.parse::<i64>().map_err(|e| format!("{n}: {e}"))?,
        ),
        _ => return Err(usage.into()),
    };
    let server = server()?;
    let http = format!("http://{}/", server.addr());
    let ws = format!("ws://{}/", server.addr());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match client {
            "ours-http" => count_ours(rpc_client::HttpClient::new(&http)?, n).await,
            "ours-ws" => count_ours(rpc_client::WsClient::connect(&ws).await?, n).await,
            "jsonrpsee-http" => {
                let client = jsonrpsee::http_client::HttpClientBuilder::default().build(http)?;
                count_jsonrpsee(client, n).await
            }
            "jsonrpsee-ws" => {
                let client = jsonrpsee::ws_client::WsClientBuilder::default()
                    .build(ws)
                    .await?;
                count_jsonrpsee(client, n).await
            }
            _ => Err(usage.into()),
        }
    })
}

async fn count_ours<C: Caller>(client: C, n: i64) -> Result<(), BoxError> {
    for a in 0..n {
        let mut params = PositionalParams::new();
        params.push("a", &a)?;
        params.push("b", &2)?;
        let sum: i64 = client.call("add", params.finish()).await?;
        if sum != a + 2 {
            return Err(format!("add({a},2) returned {sum}").into());
        }
    }
    Ok(())
}

async fn count_jsonrpsee<C: ClientT>(client: C, n: i64) -> Result<(), BoxError> {
    for a in 0..n {
        let sum: i64 = client.request("add", jsonrpsee::rpc_params![a, 2]).await?;
        if sum != a + 2 {
            return Err(format!("add({a},2) returned {sum}").into());
        }
    }
    Ok(())
}

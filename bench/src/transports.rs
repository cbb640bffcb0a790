//! Our transports side by side, client and server ours: the same router
//! served over WebSocket (`Server`), TCP (`StreamServer`, newline and
//! `Content-Length` framing) and ZeroMQ (`ZmqServer` on ROUTER, called from
//! a DEALER `ZmqClient`) by one server process (this binary
//! re-executed as `serve-transports`, 2 workers), driven from this process
//! by `WsClient` and `StreamClient` with N connections × M calls in
//! flight. The server's CPU time per call comes from `/proc`, so it does
//! not count the load generator; each row is the median of the runs.
//!
//! `cargo run --release -p bench -- transports [--runs N] [--secs S]`

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rpc_client::stream::{Framing, StreamClient, StreamConfig};
use rpc_client::{Caller, PositionalParams, WsClient, ZmqClient};
use rpc_runtime::stream::StreamServer;
use rpc_runtime::zmq::{ZmqConfig, ZmqServer};

use crate::chart::{Better, Chart};
use crate::output::Table;
use crate::servers::BoxError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Ws,
    Tcp(Framing),
    /// ZeroMQ, a DEALER client to a ROUTER server.
    Zmq,
}

/// Every transport, in table order.
const TRANSPORTS: [Transport; 4] = [
    Transport::Ws,
    Transport::Tcp(Framing::Newline),
    Transport::Tcp(Framing::ContentLength),
    Transport::Zmq,
];

/// The loads: connections × calls in flight on each.
const LOADS: [(usize, usize); 2] = [(1, 1), (4, 64)];

impl Transport {
    fn name(self) -> String {
        match self {
            Transport::Ws => "WebSocket".to_owned(),
            Transport::Tcp(framing) => format!("TCP, {framing}"),
            Transport::Zmq => "ZeroMQ, DEALER → ROUTER".to_owned(),
        }
    }

    /// The label the server process announces this endpoint with.
    fn label(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Tcp(Framing::Newline) => "tcp-newline",
            Transport::Tcp(Framing::ContentLength) => "tcp-content-length",
            // `Framing` is non-exhaustive; a new one is not served yet.
            Transport::Tcp(_) => "tcp-other",
            Transport::Zmq => "zmq-router",
        }
    }
}

/// In the server process: every endpoint on one runtime of 2 workers, one
/// `label ADDR` line each on stdout; exits when stdin closes.
pub(crate) fn serve() -> Result<(), BoxError> {
    crate::process::exit_when_stdin_closes();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let ws = rpc_runtime::server::Server::builder()
            .build(crate::servers::ours::router()?)
            .bind("127.0.0.1:0")
            .await?;
        println!("{} {}", Transport::Ws.label(), ws.local_addr());
        let mut streams = Vec::new();
        for framing in [Framing::Newline, Framing::ContentLength] {
            let handle =
                StreamServer::new(crate::servers::ours::router()?, StreamConfig::new(framing))
                    .bind_tcp("127.0.0.1:0")
                    .await?;
            let addr = handle.local_addr().ok_or("no address")?;
            println!("{} {addr}", Transport::Tcp(framing).label());
            streams.push(handle);
        }
        let zmq = ZmqServer::new(crate::servers::ours::router()?, ZmqConfig::new())
            .bind_router("tcp://127.0.0.1:0")
            .await?;
        let addr = zmq.local_addr().ok_or("no address")?;
        println!("{} {addr}", Transport::Zmq.label());
        println!("ready");
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// The server process and its endpoints; killed when dropped.
struct Servers {
    child: Child,
    endpoints: Vec<(String, String)>,
}

impl Servers {
    fn spawn() -> Result<Self, BoxError> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("serve-transports")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("child stdout not piped")?;
        let mut servers = Self {
            child,
            endpoints: Vec::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if line == "ready" {
                return Ok(servers);
            }
            let (label, addr) = line.split_once(' ').ok_or("a bad endpoint line")?;
            servers.endpoints.push((label.to_owned(), addr.to_owned()));
        }
        Err("the server process ended before it was ready".into())
    }

    fn endpoint(&self, transport: Transport) -> Result<&str, BoxError> {
        self.endpoints
            .iter()
            .find(|(label, _)| label == transport.label())
            .map(|(_, addr)| addr.as_str())
            .ok_or_else(|| format!("no {} endpoint", transport.label()).into())
    }

    fn cpu_time(&self) -> Duration {
        crate::process::cpu_time_of_pid(self.child.id())
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One load on one transport, in one run.
#[derive(Clone, Copy, Debug)]
struct Sample {
    calls_per_sec: f64,
    p99: Duration,
    server_cpu_per_call: Duration,
    /// This process's CPU time per call: the clients and the load loop.
    client_cpu_per_call: Duration,
}

/// Runs every transport with each load `runs` times and returns the table
/// of the medians.
pub(crate) fn run(secs: f64, runs: usize) -> Result<Table, BoxError> {
    let servers = Servers::spawn()?;
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let window = Duration::from_secs_f64(secs);
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); LOADS.len() * TRANSPORTS.len()];
    for run in 1..=runs {
        for (l, &(connections, in_flight)) in LOADS.iter().enumerate() {
            for (t, &transport) in TRANSPORTS.iter().enumerate() {
                eprintln!(
                    "run {run}/{runs}: {connections} × {in_flight}, {} ...",
                    transport.name()
                );
                let addr: SocketAddr = servers.endpoint(transport)?.parse()?;
                // The CPU time spans the warm-up too, so it is divided by
                // every call answered, the warm-up's included.
                let before = (servers.cpu_time(), crate::process::own_cpu_time());
                let (total, latencies) = client_runtime.block_on(load(
                    transport,
                    addr,
                    connections,
                    in_flight,
                    window,
                ))?;
                let cpu = (
                    servers.cpu_time().saturating_sub(before.0),
                    crate::process::own_cpu_time().saturating_sub(before.1),
                );
                samples[l * TRANSPORTS.len() + t].push(sample(total, latencies, secs, cpu)?);
            }
        }
    }
    Ok(table(&samples, runs))
}

/// A run's figures: `latencies` are the calls within the window, `total`
/// every call answered (the warm-up's too).
fn sample(
    total: u64,
    mut latencies: Vec<Duration>,
    secs: f64,
    (server, client): (Duration, Duration),
) -> Result<Sample, BoxError> {
    if latencies.is_empty() {
        return Err("no call was answered".into());
    }
    latencies.sort_unstable();
    let p99 = latencies[((latencies.len() - 1) as f64 * 0.99).round() as usize];
    Ok(Sample {
        calls_per_sec: latencies.len() as f64 / secs,
        p99,
        server_cpu_per_call: Duration::from_secs_f64(server.as_secs_f64() / total as f64),
        client_cpu_per_call: Duration::from_secs_f64(client.as_secs_f64() / total as f64),
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The medians, one row per load and transport, with each transport's
/// calls/s against WebSocket's under the same load; the chart shows calls/s.
fn table(samples: &[Vec<Sample>], runs: usize) -> Table {
    let mut chart = Chart::new(
        "Our transports side by side, calls/s",
        &format!("median of {runs} runs; client and server ours; ratios against WebSocket"),
    );
    let mut out = format!(
        "median of {runs} runs\n\n| load | transport | calls/s | × WebSocket | p99 | server CPU per call | client CPU per call |\n|---|---|---|---|---|---|---|\n"
    );
    for (l, &(connections, in_flight)) in LOADS.iter().enumerate() {
        let row = |t: usize| &samples[l * TRANSPORTS.len() + t];
        let rate =
            |t: usize| median(&mut row(t).iter().map(|s| s.calls_per_sec).collect::<Vec<_>>());
        let ws_rate = rate(0);
        chart.group(
            &format!("{connections} conn × {in_flight} in flight"),
            "calls/s",
            Better::Higher,
        );
        for (t, transport) in TRANSPORTS.iter().enumerate() {
            let mut label = crate::report::thousands(rate(t));
            if t > 0 {
                label.push_str(&format!(" · {:.2} × WebSocket", rate(t) / ws_rate));
            }
            chart.bar(&transport.name(), Some(rate(t)), &label);
            let p99 = median(
                &mut row(t)
                    .iter()
                    .map(|s| s.p99.as_secs_f64())
                    .collect::<Vec<_>>(),
            );
            let cpu = |of: fn(&Sample) -> Duration| {
                median(
                    &mut row(t)
                        .iter()
                        .map(|s| of(s).as_secs_f64())
                        .collect::<Vec<_>>(),
                )
            };
            out.push_str(&format!(
                "| {connections} conn × {in_flight} in flight | {} | {:.0} | {:.2} | {:.0} µs | {:.1} µs | {:.1} µs |\n",
                transport.name(),
                rate(t),
                rate(t) / ws_rate,
                p99 * 1e6,
                cpu(|s| s.server_cpu_per_call) * 1e6,
                cpu(|s| s.client_cpu_per_call) * 1e6,
            ));
        }
    }
    Table {
        name: "transports",
        markdown: out,
        chart,
    }
}

/// `connections` clients, `in_flight` callers each, calling `add` in a
/// closed loop for `window` after a warm-up: how many calls were answered
/// (and checked) in all, and the latency of each within the window.
async fn load(
    transport: Transport,
    addr: SocketAddr,
    connections: usize,
    in_flight: usize,
    window: Duration,
) -> Result<(u64, Vec<Duration>), BoxError> {
    let mut tasks = Vec::new();
    let warm = Instant::now() + Duration::from_millis(300);
    let end = warm + window;
    for _ in 0..connections {
        let client = match transport {
            Transport::Ws => Client::Ws(WsClient::connect(&format!("ws://{addr}/")).await?),
            Transport::Tcp(framing) => Client::Tcp(StreamClient::connect_tcp(addr, framing).await?),
            Transport::Zmq => {
                Client::Zmq(ZmqClient::connect_dealer(&format!("tcp://{addr}")).await?)
            }
        };
        for caller in 0..in_flight {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = 0_i64;
                loop {
                    let started = Instant::now();
                    if started >= end {
                        break;
                    }
                    let mut params = PositionalParams::new();
                    params.push("a", &n)?;
                    params.push("b", &(caller as i64))?;
                    let sum: i64 = match &client {
                        Client::Ws(c) => c.call("add", params.finish()).await?,
                        Client::Tcp(c) => c.call("add", params.finish()).await?,
                        Client::Zmq(c) => c.call("add", params.finish()).await?,
                    };
                    if sum != n + caller as i64 {
                        return Err(format!("add({n}, {caller}) answered {sum}").into());
                    }
                    if started >= warm {
                        latencies.push(started.elapsed());
                    }
                    n += 1;
                }
                Ok::<_, BoxError>((n as u64, latencies))
            }));
        }
    }
    let (mut total, mut all) = (0, Vec::new());
    for task in tasks {
        let (calls, latencies) = task.await??;
        total += calls;
        all.extend(latencies);
    }
    Ok((total, all))
}

#[derive(Clone)]
enum Client {
    Ws(WsClient),
    Tcp(StreamClient),
    Zmq(ZmqClient),
}

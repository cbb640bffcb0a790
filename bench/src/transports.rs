//! Our transports side by side, client and server ours: the same router
//! served over WebSocket (`Server`) and TCP (`StreamServer`, newline and
//! `Content-Length` framing), driven by `WsClient` and `StreamClient` with
//! N connections × M calls in flight. Client and server share this process
//! (the server on a runtime of its own, 2 workers), so the figures compare
//! the transports with each other, not with the other suites.
//!
//! `cargo run --release -p bench -- transports [--secs S]`

use std::time::{Duration, Instant};

use rpc_client::stream::{Framing, StreamClient, StreamConfig};
use rpc_client::{Caller, PositionalParams, WsClient};
use rpc_runtime::stream::StreamServer;

use crate::servers::BoxError;

#[derive(Clone, Copy, Debug)]
enum Transport {
    Ws,
    Tcp(Framing),
}

impl Transport {
    fn name(self) -> String {
        match self {
            Transport::Ws => "WebSocket".to_owned(),
            Transport::Tcp(framing) => format!("TCP, {framing}"),
        }
    }
}

/// Runs every transport with each load and prints a markdown table.
pub(crate) fn run(secs: f64) -> Result<(), BoxError> {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (ws, newline, content_length) = server_runtime.block_on(async {
        let ws = rpc_runtime::server::Server::builder()
            .build(crate::servers::ours::router()?)
            .bind("127.0.0.1:0")
            .await?;
        let newline = StreamServer::new(
            crate::servers::ours::router()?,
            StreamConfig::new(Framing::Newline),
        )
        .bind_tcp("127.0.0.1:0")
        .await?;
        let content_length = StreamServer::new(
            crate::servers::ours::router()?,
            StreamConfig::new(Framing::ContentLength),
        )
        .bind_tcp("127.0.0.1:0")
        .await?;
        Ok::<_, BoxError>((ws, newline, content_length))
    })?;
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let window = Duration::from_secs_f64(secs);
    let mut out =
        String::from("| load | transport | calls/s | p50 | p99 |\n|---|---|---|---|---|\n");
    for (connections, in_flight) in [(1, 1), (4, 64)] {
        for transport in [
            Transport::Ws,
            Transport::Tcp(Framing::Newline),
            Transport::Tcp(Framing::ContentLength),
        ] {
            let addr = match transport {
                Transport::Ws => ws.local_addr(),
                Transport::Tcp(Framing::ContentLength) => {
                    content_length.local_addr().ok_or("no address")?
                }
                Transport::Tcp(_) => newline.local_addr().ok_or("no address")?,
            };
            eprintln!("{} × {in_flight}, {} ...", connections, transport.name());
            let (calls, mut latencies) =
                client_runtime.block_on(load(transport, addr, connections, in_flight, window))?;
            latencies.sort_unstable();
            let at = |q: f64| {
                let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
                latencies.get(i).copied().unwrap_or_default()
            };
            out.push_str(&format!(
                "| {connections} conn × {in_flight} in flight | {} | {:.0} | {:.0} µs | {:.0} µs |\n",
                transport.name(),
                calls as f64 / secs,
                at(0.5).as_secs_f64() * 1e6,
                at(0.99).as_secs_f64() * 1e6,
            ));
        }
    }
    println!("{out}");
    Ok(())
}

/// `connections` clients, `in_flight` callers each, calling `add` in a
/// closed loop for `window`: how many calls were answered (and checked),
/// and each call's latency.
async fn load(
    transport: Transport,
    addr: std::net::SocketAddr,
    connections: usize,
    in_flight: usize,
    window: Duration,
) -> Result<(u64, Vec<Duration>), BoxError> {
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let client = match transport {
            Transport::Ws => Client::Ws(WsClient::connect(&format!("ws://{addr}/")).await?),
            Transport::Tcp(framing) => Client::Tcp(StreamClient::connect_tcp(addr, framing).await?),
        };
        for caller in 0..in_flight {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                let warm = Instant::now() + Duration::from_millis(300);
                let end = warm + window;
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
                    };
                    if sum != n + caller as i64 {
                        return Err(format!("add({n}, {caller}) answered {sum}").into());
                    }
                    if started >= warm {
                        latencies.push(started.elapsed());
                    }
                    n += 1;
                }
                Ok::<_, BoxError>(latencies)
            }));
        }
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok((all.len() as u64, all))
}

#[derive(Clone)]
enum Client {
    Ws(WsClient),
    Tcp(StreamClient),
}

//! Benchmarks for the toolkit: our server vs jsonrpsee vs raw hyper and raw
//! WebSocket limits over the wire, in-process dispatch, memory per
//! connection, our clients vs jsonrpsee's, and subscriptions. See `bench/README.md`.
//!
//! ```text
//! cargo run --release -p bench -- all [--runs N] [--secs S] [--charts DIR]
//! cargo run --release -p bench -- http|ws|inprocess|memory|clients|subscriptions [--runs N] [--secs S]
//! cargo run --release -p bench -- transports|deployment [--runs N] [--secs S] [--charts DIR]
//! cargo run --release -p bench -- serve 127.0.0.1:PORT
//! ```
//!
//! Every table also goes to `DIR/NAME.md` and, as a bar chart,
//! `DIR/NAME.svg` (default `target/bench-charts`; see `output.rs`).

mod chart;
mod clients;
mod deployment;
mod inprocess;
mod load;
mod measure;
mod memory;
mod output;
mod process;
mod report;
mod servers;
mod subscriptions;
mod transports;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::load::Load;
use crate::measure::Timing;
use crate::output::Table;
use crate::process::ServerProcess;
use crate::report::{ClientResults, LoadResults};
use crate::servers::{BoxError, Kind};

const USAGE: &str = "usage:
  bench all|http|ws|inprocess|memory|clients|subscriptions [--runs N] [--secs S] [--warmup S] [--charts DIR]
  bench transports [--runs N] [--secs S] [--charts DIR]  (our WebSocket and TCP side by side, our clients)
  bench deployment [--runs N] [--secs S] [--charts DIR]  (Redis, 3 spec_server instances, nginx: fan-out, HTTP)
  bench serve 127.0.0.1:PORT      (our server alone, HTTP and WebSocket on one port)
  --charts DIR: where each table goes as NAME.md and NAME.svg (default target/bench-charts)";

/// The HTTP configurations, in table order.
const HTTP_LOADS: [Load; 3] = [
    Load::Http {
        connections: 1,
        batch: 1,
    },
    Load::Http {
        connections: 32,
        batch: 1,
    },
    Load::Http {
        connections: 4,
        batch: servers::raw_http::RAW_BATCH_LEN,
    },
];

/// The WebSocket configurations, in table order.
const WS_LOADS: [Load; 2] = [
    Load::Ws {
        connections: 1,
        in_flight: 1,
    },
    Load::Ws {
        connections: 4,
        in_flight: 64,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    Http,
    Ws,
    InProcess,
    Memory,
    Clients,
    Subscriptions,
}

struct Options {
    suites: Vec<Suite>,
    runs: usize,
    timing: Timing,
    charts: PathBuf,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, default: f64| match args.iter().position(|a| a == flag) {
        Some(at) => args
            .get(at + 1)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(default),
        None => default,
    };
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..], Kind::Ours, false),
        Some("count") => inprocess::count(&args[1..]),
        Some("count-client") => clients::count(&args[1..]),
        Some("transports") => output::charts_dir(&args)
            .map_err(BoxError::from)
            .and_then(|dir| {
                let (secs, runs) = (number("--secs", 3.0), number("--runs", 3.0) as usize);
                let table = transports::run(secs, runs)?;
                publish(&dir, vec![table], &format!("{runs} run(s) × {secs} s"))
            }),
        Some("deployment") => output::charts_dir(&args)
            .map_err(BoxError::from)
            .and_then(|dir| {
                let (secs, runs) = (number("--secs", 3.0), number("--runs", 3.0) as usize);
                let table = deployment::run(secs, runs)?;
                publish(&dir, vec![table], &format!("{runs} run(s) × {secs} s"))
            }),
        Some("serve-transports") => transports::serve(),
        Some(command) if Kind::from_serve_command(command).is_some() => {
            let exit_on_eof = args.iter().any(|a| a == "--exit-on-stdin-eof");
            match Kind::from_serve_command(command) {
                Some(kind) => serve(&args[1..], kind, exit_on_eof),
                None => Err(USAGE.into()),
            }
        }
        _ => parse_options(&args).and_then(|options| benchmark(&options)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints each table's markdown and writes it with its chart into `dir`;
/// the charts' small print says when, where and `how`.
fn publish(dir: &Path, mut tables: Vec<Table>, how: &str) -> Result<(), BoxError> {
    for table in &tables {
        println!("{}", table.markdown);
    }
    let note = format!(
        "bench, {how}, {}; {}",
        output::date(),
        process::machine_line()
    );
    let written = output::write(dir, &mut tables, &note)
        .map_err(|e| format!("writing into {}: {e}", dir.display()))?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn serve(args: &[String], kind: Kind, exit_on_eof: bool) -> Result<(), BoxError> {
    let addr: SocketAddr = args
        .first()
        .ok_or(USAGE)?
        .parse()
        .map_err(|e| format!("address: {e}"))?;
    if exit_on_eof {
        process::exit_when_stdin_closes();
    }
    servers::run_process(kind, addr)
}

fn parse_options(args: &[String]) -> Result<Options, BoxError> {
    let mut suites = Vec::new();
    let mut runs = 3;
    let mut secs = 3.0;
    let mut warmup = 0.5;
    let charts = output::charts_dir(args)?;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<f64, BoxError> {
            let v = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            let v: f64 = v.parse().map_err(|e| format!("{name} {v}: {e}"))?;
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(format!("{name} must be a non-negative number").into())
            }
        };
        match arg.as_str() {
            "all" => suites.extend([
                Suite::InProcess,
                Suite::Http,
                Suite::Ws,
                Suite::Clients,
                Suite::Memory,
                Suite::Subscriptions,
            ]),
            "http" => suites.push(Suite::Http),
            "ws" => suites.push(Suite::Ws),
            "inprocess" => suites.push(Suite::InProcess),
            "memory" => suites.push(Suite::Memory),
            "clients" => suites.push(Suite::Clients),
            "subscriptions" => suites.push(Suite::Subscriptions),
            "--runs" => runs = (value("--runs")? as usize).clamp(1, 100),
            "--secs" => secs = value("--secs")?.clamp(0.1, 600.0),
            "--warmup" => warmup = value("--warmup")?.min(60.0),
            // Read above by `charts_dir`.
            "--charts" => {
                args.next();
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    if suites.is_empty() {
        return Err(USAGE.into());
    }
    suites.dedup();
    Ok(Options {
        suites,
        charts,
        runs,
        timing: Timing {
            warmup: Duration::from_secs_f64(warmup),
            measure: Duration::from_secs_f64(secs),
        },
    })
}

fn benchmark(options: &Options) -> Result<(), BoxError> {
    let date = output::date();
    let mut out = report::header(
        options.runs,
        options.timing.measure.as_secs_f64(),
        &date,
        &process::machine_line(),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut tables = Vec::new();
    for suite in &options.suites {
        let table = match suite {
            Suite::InProcess => {
                eprintln!("in-process dispatch ...");
                // Outside the runtime: jsonrpsee's case runs its own.
                let loops = (2 * options.runs + 1).max(3);
                report::inprocess_table(&inprocess::run(loops, Duration::from_millis(200))?)
            }
            Suite::Http => report::load_table(
                "http",
                "HTTP",
                &runtime.block_on(over_the_wire(&HTTP_LOADS, options))?,
            ),
            Suite::Ws => report::load_table(
                "ws",
                "WebSocket",
                &runtime.block_on(over_the_wire(&WS_LOADS, options))?,
            ),
            Suite::Clients => report::clients_table(&runtime.block_on(clients_suite(options))?),
            Suite::Memory => {
                eprintln!("memory per idle WebSocket connection ...");
                report::memory_table(&runtime.block_on(memory::run()))
            }
            Suite::Subscriptions => {
                eprintln!("subscriptions ...");
                runtime.block_on(subscriptions::suite(options.runs, options.timing))?
            }
        };
        out.push_str(&table.markdown);
        out.push('\n');
        tables.push(table);
    }
    println!("{out}");
    let note = format!(
        "bench, {} run(s) × {} s, {date}; {}",
        options.runs,
        options.timing.measure.as_secs_f64(),
        process::machine_line()
    );
    let written = output::write(&options.charts, &mut tables, &note)
        .map_err(|e| format!("writing into {}: {e}", options.charts.display()))?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Runs every load against every server that speaks its transport, run
/// after run, so each run's servers are compared under the same conditions.
async fn over_the_wire(loads: &[Load], options: &Options) -> Result<Vec<LoadResults>, BoxError> {
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| loads.iter().any(|l| speaks(*k, *l)))
        .collect();
    let servers = kinds
        .iter()
        .map(|&k| ServerProcess::spawn(k))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results: Vec<LoadResults> = loads
        .iter()
        .map(|&load| LoadResults {
            load,
            runs: Vec::new(),
        })
        .collect();
    for run in 0..options.runs {
        for result in &mut results {
            let mut by_kind = HashMap::new();
            // Each run starts with a different server so none is always
            // measured first (or last) while the machine's load drifts.
            let mut order: Vec<&ServerProcess> = servers
                .iter()
                .filter(|s| speaks(s.kind(), result.load))
                .collect();
            let len = order.len().max(1);
            order.rotate_left(run % len);
            for server in order {
                let m = load::run(server, result.load, options.timing).await;
                eprintln!(
                    "run {}/{}: {} / {}: {:.0} calls/s, server {:.2} µs/call{}",
                    run + 1,
                    options.runs,
                    result.load.describe(),
                    server.kind().label(),
                    m.calls_per_sec,
                    m.cpu_us_per_call,
                    m.error
                        .as_deref()
                        .map_or(String::new(), |e| format!(", FAILED: {e}")),
                );
                by_kind.insert(server.kind(), m);
            }
            result.runs.push(by_kind);
        }
    }
    Ok(results)
}

fn speaks(kind: Kind, load: Load) -> bool {
    if load.is_ws() {
        kind.speaks_ws()
    } else {
        kind.speaks_http()
    }
}

async fn clients_suite(options: &Options) -> Result<Vec<ClientResults>, BoxError> {
    let server = clients::server()?;
    let mut results: Vec<ClientResults> = clients::Workload::ALL
        .into_iter()
        .map(|workload| ClientResults {
            workload,
            runs: Vec::new(),
        })
        .collect();
    for run in 0..options.runs {
        for result in &mut results {
            let ours = Some(clients::run_ours(&server, result.workload, options.timing).await);
            let theirs = clients::run_jsonrpsee(&server, result.workload, options.timing).await;
            eprintln!(
                "run {}/{}: {}: ours {}, jsonrpsee {:.0} calls/s{}",
                run + 1,
                options.runs,
                result.workload.describe(),
                ours.as_ref().map_or("n/a".to_owned(), |m| format!(
                    "{:.0} calls/s{}",
                    m.calls_per_sec,
                    m.error
                        .as_deref()
                        .map_or(String::new(), |e| format!(" FAILED: {e}"))
                )),
                theirs.calls_per_sec,
                theirs
                    .error
                    .as_deref()
                    .map_or(String::new(), |e| format!(" FAILED: {e}")),
            );
            result.runs.push((ours, theirs));
        }
    }
    Ok(results)
}

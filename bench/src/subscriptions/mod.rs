//! The `subscriptions` suite: notifications per second from one topic to 1
//! and to 1,000 subscribers, the server's CPU per notification, and memory
//! per idle subscription; ours and jsonrpsee's side by side (see
//! `bench/README.md`).

mod rounds;
mod table;
pub(crate) mod wire;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::measure::Timing;
use crate::process::{own_cpu_time, ServerProcess};
use crate::report::thousands;
use crate::servers::{jsonrpsee_topic, BoxError, Kind};
use rounds::{Control, Readers};
use wire::Ws;

/// The servers compared.
const KINDS: [Kind; 2] = [Kind::Ours, Kind::Jsonrpsee];

/// Subscribers of the one topic and the items each round floods.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fanout {
    pub(super) connections: usize,
    pub(super) per_connection: usize,
    /// At most the broadcast capacity of jsonrpsee's channel, so nothing
    /// is dropped by a receiver that keeps up.
    pub(super) round: u64,
}

pub(super) const FANOUTS: [Fanout; 2] = [
    Fanout {
        connections: 1,
        per_connection: 1,
        round: 4000,
    },
    Fanout {
        connections: 10,
        per_connection: 100,
        round: 100,
    },
];

const _: () = assert!(FANOUTS[0].round as usize <= jsonrpsee_topic::CAPACITY);
const _: () = assert!(FANOUTS[1].round as usize <= jsonrpsee_topic::CAPACITY);

impl Fanout {
    fn subscribers(self) -> u64 {
        (self.connections * self.per_connection) as u64
    }

    pub(super) fn describe(self) -> String {
        match self.subscribers() {
            1 => "subscriptions: 1 subscriber".to_owned(),
            n => format!("subscriptions: {} subscribers", thousands(n as f64)),
        }
    }
}

/// The memory measurement: this many connections × subscriptions each.
pub(super) const MEMORY_CONNECTIONS: usize = 10;
pub(super) const MEMORY_PER_CONNECTION: usize = 1_000;

/// One run of one fanout on one server.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rate {
    pub(super) per_sec: f64,
    pub(super) cpu_us: f64,
    /// The load generator's (this process's) CPU per notification: with
    /// the server it shares the cores, so a reader of the figures should
    /// know what it costs.
    generator_cpu_us: f64,
}

/// Per fanout, per run, each server's outcome.
pub(super) type Runs = Vec<HashMap<Kind, Result<Rate, String>>>;

/// Resident set sizes in KiB, before and after the subscriptions.
pub(super) struct Rss {
    pub(super) before_kib: u64,
    pub(super) after_kib: u64,
}

impl Rss {
    pub(super) fn per_subscription_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64
            / (MEMORY_CONNECTIONS * MEMORY_PER_CONNECTION) as f64
    }
}

/// Runs the suite and returns its table.
pub(crate) async fn suite(runs: usize, timing: Timing) -> Result<crate::output::Table, BoxError> {
    let servers = KINDS
        .into_iter()
        .map(ServerProcess::spawn)
        .collect::<Result<Vec<_>, _>>()?;
    let mut results: Vec<Runs> = vec![Vec::new(); FANOUTS.len()];
    for run in 0..runs {
        for (fanout, result) in FANOUTS.iter().zip(&mut results) {
            let mut by_kind = HashMap::new();
            // Each run starts with a different server.
            let mut order: Vec<&ServerProcess> = servers.iter().collect();
            order.rotate_left(run % KINDS.len());
            for server in order {
                let outcome = measure(server, *fanout, timing).await;
                eprintln!(
                    "run {}/{runs}: {} / {}: {}",
                    run + 1,
                    fanout.describe(),
                    server.kind().label(),
                    match &outcome {
                        Ok(r) => format!(
                            "{:.0} notifications/s, server {:.2} µs/notification, \
                             load generator {:.2} µs/notification",
                            r.per_sec, r.cpu_us, r.generator_cpu_us
                        ),
                        Err(e) => format!("FAILED: {e}"),
                    }
                );
                by_kind.insert(server.kind(), outcome);
            }
            result.push(by_kind);
        }
    }
    drop(servers);
    let mut memory = Vec::new();
    for kind in KINDS {
        eprintln!("memory per idle subscription / {} ...", kind.label());
        memory.push((kind, measure_memory(kind).await));
    }
    Ok(table::render(&results, &memory))
}

/// Subscribes, then floods in rounds: a warm-up, then whole rounds until
/// the measuring time is over.
async fn measure(server: &ServerProcess, fanout: Fanout, timing: Timing) -> Result<Rate, String> {
    let addr = server.addr();
    let mut control = Control::connect(addr).await?;
    let mut connections = Vec::with_capacity(fanout.connections);
    for _ in 0..fanout.connections {
        let ws = Ws::connect(addr).await?;
        connections.push(rounds::subscribe(ws, fanout.per_connection).await?);
    }
    control.await_subscribers(fanout.subscribers()).await?;
    let mut readers = rounds::read(connections, fanout.round);
    let warm_until = Instant::now() + timing.warmup;
    loop {
        readers.round(&mut control, fanout.round).await?;
        if Instant::now() >= warm_until {
            break;
        }
    }
    let cpu_before = server.cpu_time();
    let own_before = own_cpu_time();
    let start = Instant::now();
    let mut rounds = 0_u64;
    while rounds == 0 || start.elapsed() < timing.measure {
        readers.round(&mut control, fanout.round).await?;
        rounds += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = server.cpu_time().saturating_sub(cpu_before);
    let own = own_cpu_time().saturating_sub(own_before);
    let delivered = (rounds * fanout.round * readers.subscriptions()) as f64;
    Ok(Rate {
        per_sec: delivered / elapsed,
        cpu_us: cpu.as_secs_f64() * 1e6 / delivered,
        generator_cpu_us: own.as_secs_f64() * 1e6 / delivered,
    })
}

/// A fresh server: RSS with the connections open and idle, then with their
/// subscriptions made on the idle topic; one item then reaches them all.
async fn measure_memory(kind: Kind) -> Result<Rss, String> {
    let server = ServerProcess::spawn(kind)?;
    let addr = server.addr();
    let mut control = Control::connect(addr).await?;
    let mut sockets = Vec::with_capacity(MEMORY_CONNECTIONS);
    for _ in 0..MEMORY_CONNECTIONS {
        sockets.push(Ws::connect(addr).await?);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_kib = server.rss_kib().ok_or("no VmRSS")?;
    let mut connections = Vec::with_capacity(MEMORY_CONNECTIONS);
    for ws in sockets {
        connections.push(rounds::subscribe(ws, MEMORY_PER_CONNECTION).await?);
    }
    control
        .await_subscribers((MEMORY_CONNECTIONS * MEMORY_PER_CONNECTION) as u64)
        .await?;
    // Let the server finish setting every subscription up.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_kib = server.rss_kib().ok_or("no VmRSS")?;
    let mut readers: Readers = rounds::read(connections, 1);
    readers
        .round(&mut control, 1)
        .await
        .map_err(|e| format!("the idle subscriptions are not live: {e}"))?;
    Ok(Rss {
        before_kib,
        after_kib,
    })
}

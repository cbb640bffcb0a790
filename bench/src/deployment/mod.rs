//! The multi-instance deployment measured (issue 17): Redis, three
//! `spec_server --broker` instances and nginx in front, all real processes
//! on this machine (see `cluster`). Each run measures, in turn:
//!
//! - fan-out latency from a `publish` over HTTP on instance A to the
//!   delivery on WebSocket subscribers connected directly to B and C (and,
//!   for reference, to A itself), p50 and p99 over 2,000 items;
//! - items/s through one topic to 1,000 subscriptions spread over the
//!   three instances, with every delivery checked;
//! - `subtract` calls/s and p99 from 32 closed-loop HTTP/1.1 keep-alive
//!   callers: straight to one instance, through nginx to one instance,
//!   through nginx to three.
//!
//! Each row is the median of the runs. Everything shares the machine's
//! cores, the load generator (this process) included, so the table also
//! says how busy each part was.
//!
//! `cargo run --release -p bench -- deployment [--secs S] [--runs N]`

mod cluster;
mod fanout;
mod http;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::chart::{Better, Chart};
use crate::measure::Timing;
use crate::output::Table;
use crate::report::thousands;
use crate::servers::BoxError;
use cluster::{Cluster, Cpu};

/// Closed-loop HTTP callers, one keep-alive connection each.
const HTTP_CALLERS: usize = 32;

/// Where the HTTP load goes, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Direct,
    NginxOne,
    NginxThree,
}

const TARGETS: [Target; 3] = [Target::Direct, Target::NginxOne, Target::NginxThree];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Direct => "HTTP `subtract`, straight to instance A (no nginx)",
            Target::NginxOne => "HTTP `subtract`, nginx → 1 instance",
            Target::NginxThree => "HTTP `subtract`, nginx → 3 instances",
        }
    }

    fn addr(self, cluster: &Cluster) -> SocketAddr {
        match self {
            Target::Direct => cluster.instances()[0],
            Target::NginxOne => cluster.nginx_one.addr,
            Target::NginxThree => cluster.nginx_three.addr,
        }
    }
}

/// Cores busy on average: CPU time over wall time, by part.
#[derive(Debug, Clone, Copy, Default)]
struct Busy {
    instances: f64,
    redis: f64,
    nginx: f64,
    bench: f64,
}

impl Busy {
    fn of(cpu: Cpu, wall: Duration) -> Self {
        let secs = wall.as_secs_f64().max(1e-9);
        Self {
            instances: cpu.instances.as_secs_f64() / secs,
            redis: cpu.redis.as_secs_f64() / secs,
            nginx: cpu.nginx.as_secs_f64() / secs,
            bench: cpu.bench.as_secs_f64() / secs,
        }
    }
}

/// One run's latency figures.
struct LatencyRun {
    remote: (Duration, Duration),
    local: (Duration, Duration),
    per_sec: f64,
    busy: Busy,
}

/// One run's HTTP figures.
struct HttpRun {
    calls_per_sec: f64,
    p50: Duration,
    p99: Duration,
    busy: Busy,
}

/// Every run's outcome, by measurement.
#[derive(Default)]
struct Runs {
    latency: Vec<Result<LatencyRun, String>>,
    throughput: Vec<Result<(fanout::Throughput, Busy), String>>,
    http: [Vec<Result<HttpRun, String>>; 3],
}

/// Starts the deployment, runs every measurement `runs` times and returns
/// the table of the medians.
pub(crate) fn run(secs: f64, runs: usize) -> Result<Table, BoxError> {
    let runs = runs.clamp(1, 100);
    let timing = Timing {
        warmup: Duration::from_millis(500),
        measure: Duration::from_secs_f64(secs.clamp(0.1, 600.0)),
    };
    let cluster = Cluster::start()?;
    // The load generator gets the same two workers as everyone else.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let results = runtime.block_on(measure(&cluster, runs, timing));
    drop(runtime);
    drop(cluster);
    let markdown = table(&results, runs, timing);
    Ok(Table {
        name: "deployment",
        markdown,
        chart: chart(&results, runs),
    })
}

/// The chart: fan-out latency, deliveries/s to 1,000 subscriptions and
/// HTTP calls/s by target, each on its own axis (they share no unit).
fn chart(results: &Runs, runs: usize) -> Chart {
    let mut chart = Chart::new(
        "Deployment: 3 instances on Redis behind nginx",
        &format!("median of {runs} runs; everything on one machine"),
    );
    let lat = &results.latency;
    chart.group(
        "fan-out latency, publish over HTTP on A → WebSocket subscribers (bar: p50)",
        "µs",
        Better::Lower,
    );
    for (series, pick) in [
        (
            "subscribers on B and C",
            (|l: &LatencyRun| l.remote) as fn(&LatencyRun) -> (Duration, Duration),
        ),
        ("subscriber on A (reference)", |l: &LatencyRun| l.local),
    ] {
        let p50 = median(lat, |l| pick(l).0.as_secs_f64() * 1e6);
        let p99 = median(lat, |l| pick(l).1.as_secs_f64() * 1e6);
        let label = match (p50, p99) {
            (Some(p50), Some(p99)) => format!("p50 {p50:.0} µs · p99 {p99:.0} µs"),
            _ => "FAILED".to_owned(),
        };
        chart.bar(series, p50, &label);
    }
    let thr = &results.throughput;
    chart.group(
        &format!(
            "one topic → {} subscriptions over the 3 instances",
            thousands((fanout::CONNECTIONS * fanout::PER_CONNECTION) as f64)
        ),
        "deliveries/s",
        Better::Higher,
    );
    let deliveries = median(thr, |(t, _)| t.deliveries_per_sec);
    let label = deliveries.map_or_else(|| "FAILED".to_owned(), thousands);
    chart.bar("1,000 subscriptions", deliveries, &label);
    chart.group(
        &format!("HTTP `subtract`, {HTTP_CALLERS} keep-alive callers"),
        "calls/s",
        Better::Higher,
    );
    let direct = median(&results.http[0], |h| h.calls_per_sec);
    for (t, (target, series)) in TARGETS
        .iter()
        .zip(["straight to A", "nginx → 1 instance", "nginx → 3 instances"])
        .enumerate()
    {
        let calls = median(&results.http[t], |h| h.calls_per_sec);
        let mut label = calls.map_or_else(|| "FAILED".to_owned(), thousands);
        if let (Some(calls), Some(direct), false) = (calls, direct, *target == Target::Direct) {
            label.push_str(&format!(" · {:.2} × straight to A", calls / direct));
        }
        chart.bar(series, calls, &label);
    }
    chart
}

async fn measure(cluster: &Cluster, runs: usize, timing: Timing) -> Runs {
    let mut results = Runs::default();
    let instances = cluster.instances();
    for run in 1..=runs {
        eprintln!("run {run}/{runs}: fan-out latency ...");
        let (cpu, wall) = (cluster.cpu(), Instant::now());
        let outcome = fanout::latency(&instances, &format!("latency-{run}"))
            .await
            .map_err(|e| e.to_string())
            .map(|mut l| {
                let busy = Busy::of(cluster.cpu().since(cpu), wall.elapsed());
                LatencyRun {
                    remote: percentiles(&mut l.remote),
                    local: percentiles(&mut l.local),
                    per_sec: l.published_per_sec,
                    busy,
                }
            });
        match &outcome {
            Ok(l) => eprintln!(
                "  A → B, C: p50 {:?}, p99 {:?}; A → A: p50 {:?}, p99 {:?}",
                l.remote.0, l.remote.1, l.local.0, l.local.1
            ),
            Err(e) => eprintln!("  FAILED: {e}"),
        }
        results.latency.push(outcome);

        eprintln!("run {run}/{runs}: one topic → 1,000 subscribers ...");
        let outcome = fanout::throughput(
            cluster,
            &format!("flood-{run}"),
            timing.warmup,
            timing.measure,
        )
        .await
        .map_err(|e| e.to_string())
        .map(|t| {
            let busy = Busy::of(t.cpu, timing.measure);
            (t, busy)
        });
        match &outcome {
            Ok((t, _)) => eprintln!(
                "  {:.0} items/s, {:.0} deliveries/s; {} published, {} deliveries missing",
                t.published_per_sec, t.deliveries_per_sec, t.published, t.missing
            ),
            Err(e) => eprintln!("  FAILED: {e}"),
        }
        results.throughput.push(outcome);

        // Each run starts with a different target, so that none is always
        // measured first while the machine's load drifts.
        let mut order: Vec<(usize, Target)> = TARGETS.into_iter().enumerate().collect();
        order.rotate_left((run - 1) % TARGETS.len());
        for (t, target) in order {
            eprintln!("run {run}/{runs}: {} ...", target.name());
            let (cpu, wall) = (cluster.cpu(), Instant::now());
            let m = http::subtract_load(target.addr(cluster), HTTP_CALLERS, timing, || {
                Duration::ZERO
            })
            .await;
            let busy = Busy::of(cluster.cpu().since(cpu), wall.elapsed());
            let outcome = match m.error {
                Some(e) => Err(e),
                None => Ok(HttpRun {
                    calls_per_sec: m.calls_per_sec,
                    p50: m.p50,
                    p99: m.p99,
                    busy,
                }),
            };
            match &outcome {
                Ok(h) => eprintln!("  {:.0} calls/s, p99 {:?}", h.calls_per_sec, h.p99),
                Err(e) => eprintln!("  FAILED: {e}"),
            }
            results.http[t].push(outcome);
        }
    }
    results
}

/// p50 and p99 of `values`.
fn percentiles(values: &mut [Duration]) -> (Duration, Duration) {
    values.sort_unstable();
    let at = |q: f64| {
        values
            .get(((values.len().saturating_sub(1)) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    (at(0.50), at(0.99))
}

/// The median of what `of` gives for each successful run.
fn median<T>(runs: &[Result<T, String>], of: impl Fn(&T) -> f64) -> Option<f64> {
    let mut values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(of)
        .collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

fn busy_cell<T>(runs: &[Result<T, String>], busy: impl Fn(&T) -> Busy) -> String {
    let part = |of: fn(&Busy) -> f64| {
        median(runs, |r| of(&busy(r))).map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
    };
    format!(
        "{} / {} / {} / {}",
        part(|b| b.instances),
        part(|b| b.redis),
        part(|b| b.nginx),
        part(|b| b.bench)
    )
}

/// "failed in k of n runs: first error", or nothing.
fn failures<T>(runs: &[Result<T, String>]) -> String {
    let failed: Vec<&String> = runs.iter().filter_map(|r| r.as_ref().err()).collect();
    match failed.first() {
        None => String::new(),
        Some(first) => format!(
            " **FAILED in {} of {} runs**: {first}",
            failed.len(),
            runs.len()
        ),
    }
}

fn micros(d: Option<f64>) -> String {
    d.map_or_else(|| "–".to_owned(), |s| format!("{:.0} µs", s * 1e6))
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), thousands)
}

/// The median of a rate with the runs' range, as `median (min–max)`.
fn rate_range<T>(runs: &[Result<T, String>], of: impl Fn(&T) -> f64) -> String {
    let values: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(&of)
        .collect();
    let (min, max) = values
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    match median(runs, of) {
        Some(m) if values.len() > 1 => {
            format!("{} ({}–{})", thousands(m), thousands(min), thousands(max))
        }
        m => rate(m),
    }
}

fn table(results: &Runs, runs: usize, timing: Timing) -> String {
    let mut out = format!(
        "## Deployment: 3 instances on Redis behind nginx (median of {runs} runs)\n\n\
         Machine: {} — shared by everything below: redis-server, the 3 spec_server instances \
         (2 tokio workers each), nginx (1 worker) and this load generator (2 workers).\n\n\
         | measurement | rate | p50 | p99 | checked | CPU busy (cores): instances / Redis / nginx / bench |\n\
         |---|---|---|---|---|---|\n",
        crate::process::machine_line()
    );
    let lat = &results.latency;
    for (label, pick) in [
        (
            "fan-out latency, `publish` on A → WebSocket subscribers on B and C",
            (|l: &LatencyRun| l.remote) as fn(&LatencyRun) -> (Duration, Duration),
        ),
        (
            "fan-out latency, `publish` on A → WebSocket subscriber on A (reference)",
            |l: &LatencyRun| l.local,
        ),
    ] {
        let _ = writeln!(
            out,
            "| {label} | {} items/s published | {} | {} | every item, in order{} | {} |",
            rate(median(lat, |l| l.per_sec)),
            micros(median(lat, |l| pick(l).0.as_secs_f64())),
            micros(median(lat, |l| pick(l).1.as_secs_f64())),
            failures(lat),
            busy_cell(lat, |l| l.busy),
        );
    }
    let thr = &results.throughput;
    let missing = thr
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|(t, _)| (t.missing, t.gaps, t.repeats, t.published))
        .fold((0, 0, 0, 0), |a, b| {
            (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3)
        });
    let subscribers = (fanout::CONNECTIONS * fanout::PER_CONNECTION) as u64;
    let checked = if missing.0 == 0 && missing.2 == 0 {
        format!(
            "all {} deliveries arrived, none twice",
            thousands((missing.3 * subscribers) as f64)
        )
    } else {
        format!(
            "**{} of {} deliveries missing ({} skipped in a sequence), {} repeated**",
            thousands(missing.0 as f64),
            thousands((missing.3 * subscribers) as f64),
            thousands(missing.1 as f64),
            thousands(missing.2 as f64)
        )
    };
    let note = thr
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .find_map(|(t, _)| t.note.clone())
        .map_or_else(String::new, |n| format!("; first odd notification: `{n}`"));
    let _ = writeln!(
        out,
        "| one topic → {} subscriptions ({} WebSocket connections × {}, spread over the 3 \
         instances), {} HTTP publishers | {} items/s published = {} deliveries/s | – | – | \
         {checked}{note}{} | {} |",
        thousands(subscribers as f64),
        fanout::CONNECTIONS,
        fanout::PER_CONNECTION,
        fanout::PUBLISHERS,
        rate_range(thr, |(t, _)| t.published_per_sec),
        rate(median(thr, |(t, _)| t.deliveries_per_sec)),
        failures(thr),
        busy_cell(thr, |(_, b)| *b),
    );
    let calls = |t: usize| median(&results.http[t], |h| h.calls_per_sec);
    for (t, target) in TARGETS.iter().enumerate() {
        let runs = &results.http[t];
        let ratio = match (target, calls(1), calls(2)) {
            (Target::NginxThree, Some(one), Some(three)) if one > 0.0 => {
                format!(" (× {:.2} nginx → 1)", three / one)
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {}, {HTTP_CALLERS} keep-alive callers | {} calls/s{ratio} | {} | {} | every answer{} | {} |",
            target.name(),
            rate_range(runs, |h| h.calls_per_sec),
            micros(median(runs, |h| h.p50.as_secs_f64())),
            micros(median(runs, |h| h.p99.as_secs_f64())),
            failures(runs),
            busy_cell(runs, |h| h.busy),
        );
    }
    let _ = write!(
        out,
        "\nLatency: {} items published one at a time over HTTP on A (the next once the last is \
         answered, at most one per {:?}), each carrying its send time in µs since a start shared \
         with the subscribers (one process); latency = arrival at the subscriber − send time \
         (taken just before the HTTP request is written, so it covers the HTTP call into A, \
         Redis and the WebSocket delivery), p50/p99 over every delivery of the run (B and C: {} deliveries). Items/s: {} HTTP \
         publishers (round robin over the instances, one call at a time each, pausing while over \
         {} items are undelivered on average), measured over {:.1} s after a {:.1} s warm-up; \
         deliveries = items × subscriptions reached; after the window the subscribers get up to \
         10 s to catch up, then every subscription's items are checked per publisher for gaps \
         and repeats. HTTP: {HTTP_CALLERS} closed-loop callers, one HTTP/1.1 keep-alive \
         connection each, every answer checked, {:.1} s after a {:.1} s warm-up; nginx is \
         examples/deploy/nginx.conf (worker_processes 1, upstream keepalive 64). Rates: the median, \
         (min–max) over the runs. CPU busy: utime+stime from /proc over the measurement (HTTP: \
         warm-up included), in cores (2 = the whole machine).\n",
        fanout::LATENCY_ITEMS,
        Duration::from_millis(1),
        2 * fanout::LATENCY_ITEMS,
        fanout::PUBLISHERS,
        fanout::WINDOW,
        timing.measure.as_secs_f64(),
        timing.warmup.as_secs_f64(),
        timing.measure.as_secs_f64(),
        timing.warmup.as_secs_f64(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_measured_nothing_still_charts() {
        let svg = chart(&Runs::default(), 1).to_svg();
        assert!(svg.ends_with("</svg>\n"));
        // Six bars' labels, none drawn: every measurement failed.
        assert_eq!(svg.matches(">FAILED</text>").count(), 6);
        assert!(!svg.contains(r#"class="bar""#));
    }
}

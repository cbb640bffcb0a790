//! Medians across runs, ratios within a run, and the markdown tables.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::chart::{Better, Chart, Role, Scale};
use crate::clients::Workload;
use crate::inprocess;
use crate::load::Load;
use crate::measure::Measurement;
use crate::memory;
use crate::output::Table;
use crate::servers::Kind;

/// The subtitle of every chart of medians with ratios.
const MEDIANS: &str =
    "medians over runs; ratios: the median of the per-run ratios, as in the table";

/// The colour a server's bars get.
pub(crate) fn role(kind: Kind) -> Role {
    match kind {
        Kind::Ours => Role::Ours,
        Kind::OursLayered => Role::OursVariant,
        Kind::Jsonrpsee => Role::Theirs,
        Kind::RawHttp | Kind::RawWs => Role::Limit,
    }
}

/// A bar's label: the value, then each ratio that is a number.
fn bar_label(value: &str, ratios: &[(&str, &str)]) -> String {
    let mut label = value.to_owned();
    for (ratio, of) in ratios {
        if ratio.parse::<f64>().is_ok() {
            label.push_str(&format!(" · {ratio} × {of}"));
        }
    }
    label
}

/// The median of `values` (sorts them); 0 when empty.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Every run of one configuration: per run, each server's measurement.
pub(crate) struct LoadResults {
    pub(crate) load: Load,
    pub(crate) runs: Vec<HashMap<Kind, Measurement>>,
}

/// Every run of one client workload.
pub(crate) struct ClientResults {
    pub(crate) workload: Workload,
    /// Per run: ours (None while that client does not exist), jsonrpsee.
    pub(crate) runs: Vec<(Option<Measurement>, Measurement)>,
}

/// The header: when, where, how many runs.
pub(crate) fn header(runs: usize, secs: f64, date: &str, machine: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmark results\n");
    let _ = writeln!(out, "- date: {date}; machine: {machine}");
    let _ = writeln!(
        out,
        "- {runs} run(s) of {secs} s per configuration (after a warm-up); figures are medians \
         over runs (spread: ±half the min–max range of calls/s, relative to the median), ratios \
         are taken within each run and then their median is shown"
    );
    let _ = writeln!(out, "- ours = {}", crate::servers::ours::TRANSPORT);
    let _ = writeln!(
        out,
        "- raw = the limit: no JSON work, a canned `add(1,2)` answer with the id copied in by a \
         byte scan (batches: a precomputed answer); the generator checks every id and result of \
         every server, raw included"
    );
    let _ = writeln!(
        out,
        "- servers run in their own processes (2 tokio workers) sharing the 2 cores with the \
         load generator; server CPU is utime+stime from /proc per call; latency is per request \
         (per batch for batch rows)\n"
    );
    out
}

/// The load table, one row per configuration and server; its chart shows
/// calls/s.
pub(crate) fn load_table(name: &'static str, title: &str, results: &[LoadResults]) -> Table {
    let mut out = String::new();
    let mut chart = Chart::new(
        &format!("Over the wire: {title}, calls/s"),
        &format!("{MEDIANS}; raw = the limit, a server doing no JSON work"),
    );
    for kind in Kind::ALL {
        if results
            .iter()
            .any(|r| r.runs.iter().any(|m| m.contains_key(&kind)))
        {
            chart.series(kind.label(), role(kind));
        }
    }
    let _ = writeln!(out, "## Over the wire: {title}\n");
    let _ = writeln!(
        out,
        "| configuration | server | calls/s | spread | p50 µs | p99 µs | server CPU µs/call | \
         calls/s vs jsonrpsee | calls/s vs raw | CPU/call vs jsonrpsee |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for result in results {
        chart.group(&result.load.describe(), "calls/s", Better::Higher);
        for kind in Kind::ALL {
            let mine: Vec<&Measurement> = result.runs.iter().filter_map(|r| r.get(&kind)).collect();
            if mine.is_empty() {
                continue;
            }
            let config = result.load.describe();
            let label = kind.label();
            if let Some(error) = first_error(&mine) {
                chart.bar(label, None, "FAILED");
                let _ = writeln!(
                    out,
                    "| {config} | {label} | FAILED: {} | | | | | | | |",
                    error.replace('|', "/")
                );
                continue;
            }
            let raw = if result.load.is_ws() {
                Kind::RawWs
            } else {
                Kind::RawHttp
            };
            let ratio = |other: Kind, f: fn(&Measurement) -> f64| {
                if other == kind {
                    return "–".to_owned();
                }
                let mut ratios: Vec<f64> = result
                    .runs
                    .iter()
                    .filter_map(|r| match (r.get(&kind), r.get(&other)) {
                        (Some(a), Some(b)) if a.error.is_none() && b.error.is_none() => {
                            Some(f(a) / f(b))
                        }
                        _ => None,
                    })
                    .collect();
                if ratios.is_empty() {
                    "n/a".to_owned()
                } else {
                    format!("{:.2}", median(&mut ratios))
                }
            };
            let vs_raw = if kind.is_raw() {
                "–".to_owned()
            } else {
                ratio(raw, |m| m.calls_per_sec)
            };
            let rate = med(&mine, |m| m.calls_per_sec);
            let vs_jsonrpsee = ratio(Kind::Jsonrpsee, |m| m.calls_per_sec);
            chart.bar(
                label,
                Some(rate),
                &bar_label(
                    &thousands(rate),
                    &[(&vs_jsonrpsee, "jsonrpsee"), (&vs_raw, "raw")],
                ),
            );
            let _ = writeln!(
                out,
                "| {config} | {label} | {} | {} | {} | {} | {:.2} | {} | {} | {} |",
                thousands(rate),
                spread(&mine),
                micros(med(&mine, |m| secs(m.p50))),
                micros(med(&mine, |m| secs(m.p99))),
                med(&mine, |m| m.cpu_us_per_call),
                ratio(Kind::Jsonrpsee, |m| m.calls_per_sec),
                vs_raw,
                ratio(Kind::Jsonrpsee, |m| m.cpu_us_per_call),
            );
        }
    }
    Table {
        name,
        markdown: out,
        chart,
    }
}

/// The in-process table; its chart shows ns per call against jsonrpsee
/// and the floor of the row's params form.
pub(crate) fn inprocess_table(results: &inprocess::Results) -> Table {
    let mut out = String::new();
    // One axis: every row is ns per call of the same small request, and
    // how much a layer adds is the point.
    let mut chart = Chart::new(
        "In-process dispatch, ns per call",
        &format!(
            "median of {} timing loops; floor = typed serde_json parse + serialize of the same \
             request; jsonrpsee takes no batches and has no layers here",
            results.loops
        ),
    )
    .scale(Scale::Shared);
    chart
        .series("ours", Role::Ours)
        .series("jsonrpsee", Role::Theirs)
        .series("floor", Role::Limit);
    let _ = writeln!(
        out,
        "## In-process dispatch (median of {} timing loops)\n",
        results.loops
    );
    let _ = writeln!(
        out,
        "| case | ours ns/call | jsonrpsee ns/call | ours/jsonrpsee | ours/floor |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let cell = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.0}"));
    for row in &results.rows {
        let vs = match (row.ns_per_call, row.jsonrpsee_ns_per_call) {
            (Some(a), Some(b)) => format!("{:.2}", a / b),
            _ => "n/a".to_owned(),
        };
        let floor = results.floor(row.form);
        let vs_floor = row
            .ns_per_call
            .map_or("n/a".to_owned(), |a| format!("{:.2}", a / floor));
        chart.group(row.name, "ns/call", Better::Lower);
        if let Some(ns) = row.ns_per_call {
            let label = bar_label(
                &format!("{ns:.0}"),
                &[(&vs, "jsonrpsee"), (&vs_floor, "floor")],
            );
            chart.bar("ours", Some(ns), &label);
        } else {
            chart.bar("ours", None, "n/a");
        }
        if let Some(ns) = row.jsonrpsee_ns_per_call {
            chart.bar("jsonrpsee", Some(ns), &format!("{ns:.0}"));
        }
        chart.bar("floor", Some(floor), &format!("{floor:.0}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {vs} | {vs_floor} |",
            row.name,
            cell(row.ns_per_call),
            cell(row.jsonrpsee_ns_per_call),
        );
    }
    let _ = writeln!(
        out,
        "| floor, positional: typed borrowed serde_json parse (params a tuple) + serialize | {:.0} | | | 1.00 |",
        results.floor_positional_ns
    );
    let _ = writeln!(
        out,
        "| floor, named: the same with params a struct `{{a, b}}` | {:.0} | | | 1.00 |",
        results.floor_named_ns
    );
    let _ = writeln!(
        out,
        "\njsonrpsee: `RpcModule::raw_json_request` (async; one current-thread `block_on` per \
         timing loop); it takes single calls only, so it has no batch figure. Each row is \
         compared with the floor of its params form; the batch row with the positional one."
    );
    Table {
        name: "inprocess",
        markdown: out,
        chart,
    }
}

/// The memory table; its chart shows KiB per connection.
pub(crate) fn memory_table(rows: &[memory::Row]) -> Table {
    let mut out = String::new();
    let mut chart = Chart::new(
        "Memory per idle WebSocket connection, KiB",
        &format!(
            "RSS after − before {} idle connections, per connection; a fresh server each, one \
             measurement",
            memory::CONNECTIONS
        ),
    );
    for row in rows {
        chart.series(row.kind.label(), role(row.kind));
    }
    chart.group(
        &format!("{} idle WebSocket connections", memory::CONNECTIONS),
        "KiB per connection",
        Better::Lower,
    );
    let _ = writeln!(
        out,
        "## Memory per idle WebSocket connection ({} connections, fresh server each)\n",
        memory::CONNECTIONS
    );
    let _ = writeln!(
        out,
        "| server | RSS before MiB | RSS after MiB | KiB per connection | vs jsonrpsee |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let jsonrpsee = rows.iter().find_map(|r| match (&r.result, r.kind) {
        (Ok(rss), Kind::Jsonrpsee) => Some(rss.per_connection_kib()),
        _ => None,
    });
    for row in rows {
        let label = row.kind.label();
        match &row.result {
            Ok(rss) => {
                let per = rss.per_connection_kib();
                let vs = match jsonrpsee {
                    Some(j) if j > 0.0 && row.kind != Kind::Jsonrpsee => format!("{:.2}", per / j),
                    _ => "–".to_owned(),
                };
                chart.bar(
                    label,
                    Some(per),
                    &bar_label(&format!("{per:.1}"), &[(&vs, "jsonrpsee")]),
                );
                let _ = writeln!(
                    out,
                    "| {label} | {:.1} | {:.1} | {per:.1} | {vs} |",
                    rss.before_kib as f64 / 1024.0,
                    rss.after_kib as f64 / 1024.0,
                );
            }
            Err(e) => {
                chart.bar(label, None, "FAILED");
                let _ = writeln!(out, "| {label} | FAILED: {} | | | |", e.replace('|', "/"));
            }
        }
    }
    let _ = writeln!(
        out,
        "\nOne measurement per server (RSS is not noisy the way throughput is)."
    );
    Table {
        name: "memory",
        markdown: out,
        chart,
    }
}

/// The clients table; its chart shows calls/s.
pub(crate) fn clients_table(results: &[ClientResults]) -> Table {
    let mut out = String::new();
    let mut chart = Chart::new(
        "Clients calling the same server (jsonrpsee's), calls/s",
        MEDIANS,
    );
    chart
        .series("ours", Role::Ours)
        .series("jsonrpsee", Role::Theirs);
    let _ = writeln!(
        out,
        "## Clients calling the same server (jsonrpsee's), callers sharing one client\n"
    );
    let _ = writeln!(
        out,
        "| workload | client | calls/s | spread | p50 µs | p99 µs | client CPU µs/call | \
         calls/s vs jsonrpsee | CPU/call vs jsonrpsee |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for result in results {
        let workload = result.workload.describe();
        chart.group(&workload, "calls/s", Better::Higher);
        let ours: Vec<&Measurement> = result.runs.iter().filter_map(|r| r.0.as_ref()).collect();
        let theirs: Vec<&Measurement> = result.runs.iter().map(|r| &r.1).collect();
        for (label, runs) in [("ours", &ours), ("jsonrpsee", &theirs)] {
            if runs.is_empty() {
                chart.bar(label, None, "no runs");
                let _ = writeln!(out, "| {workload} | {label} | no runs | | | | | | |");
                continue;
            }
            if let Some(error) = first_error(runs) {
                chart.bar(label, None, "FAILED");
                let _ = writeln!(
                    out,
                    "| {workload} | {label} | FAILED: {} | | | | | | |",
                    error.replace('|', "/")
                );
                continue;
            }
            let ratio = |f: fn(&Measurement) -> f64| {
                if label != "ours" {
                    return "–".to_owned();
                }
                let mut ratios: Vec<f64> = result
                    .runs
                    .iter()
                    .filter_map(|(o, j)| {
                        let o = o.as_ref()?;
                        (o.error.is_none() && j.error.is_none()).then(|| f(o) / f(j))
                    })
                    .collect();
                if ratios.is_empty() {
                    "n/a".to_owned()
                } else {
                    format!("{:.2}", median(&mut ratios))
                }
            };
            let rate = med(runs, |m| m.calls_per_sec);
            let vs = ratio(|m| m.calls_per_sec);
            chart.bar(
                label,
                Some(rate),
                &bar_label(&thousands(rate), &[(&vs, "jsonrpsee")]),
            );
            let _ = writeln!(
                out,
                "| {workload} | {label} | {} | {} | {} | {} | {:.2} | {} | {} |",
                thousands(rate),
                spread(runs),
                micros(med(runs, |m| secs(m.p50))),
                micros(med(runs, |m| secs(m.p99))),
                med(runs, |m| m.cpu_us_per_call),
                vs,
                ratio(|m| m.cpu_us_per_call),
            );
        }
    }
    Table {
        name: "clients",
        markdown: out,
        chart,
    }
}

fn first_error<'a>(runs: &[&'a Measurement]) -> Option<&'a str> {
    runs.iter().find_map(|m| m.error.as_deref())
}

fn med(runs: &[&Measurement], f: fn(&Measurement) -> f64) -> f64 {
    let mut values: Vec<f64> = runs.iter().map(|m| f(m)).collect();
    median(&mut values)
}

/// (max − min) / median of calls/s across runs: how far to trust the median.
fn spread(runs: &[&Measurement]) -> String {
    if runs.len() < 2 {
        return "–".to_owned();
    }
    let rates = runs.iter().map(|m| m.calls_per_sec);
    let (min, max) = rates.fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(r), hi.max(r)));
    let median = med(runs, |m| m.calls_per_sec);
    if median > 0.0 {
        format!("±{:.0}%", 50.0 * (max - min) / median)
    } else {
        "–".to_owned()
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn micros(secs: f64) -> String {
    format!("{:.1}", secs * 1e6)
}

pub(crate) fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_thousands() {
        assert!((median(&mut [3.0, 1.0, 2.0]) - 2.0).abs() < f64::EPSILON);
        assert!((median(&mut [4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < f64::EPSILON);
        assert!(median(&mut []).abs() < f64::EPSILON);
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }
}

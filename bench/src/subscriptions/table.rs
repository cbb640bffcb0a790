//! The subscription suite's table, in `report.rs` style: medians over runs,
//! ratios taken within each run and then their median.

use std::fmt::Write as _;

use super::{
    jsonrpsee_topic, Kind, Rate, Rss, Runs, FANOUTS, MEMORY_CONNECTIONS, MEMORY_PER_CONNECTION,
};
use crate::chart::{Better, Chart};
use crate::output::Table;
use crate::report::{median, role, thousands};

/// One row per measure of a fanout: its name, its figure, whether it is a
/// rate (shown with its spread), and its unit in the chart.
type Row = (&'static str, fn(&Rate) -> f64, bool, &'static str);

const ROWS: [Row; 2] = [
    (
        "notifications/s (spread)",
        |r| r.per_sec,
        true,
        "notifications/s",
    ),
    (
        "server CPU µs/notification",
        |r| r.cpu_us,
        false,
        "µs/notification",
    ),
];

/// The table and its chart: every row a group, ours beside jsonrpsee.
pub(super) fn render(results: &[Runs], memory: &[(Kind, Result<Rss, String>)]) -> Table {
    let mut out = String::new();
    let mut chart = Chart::new(
        "Subscriptions: one topic over WebSocket",
        "medians over runs; ratios: the median of the per-run ratios, as in the table",
    );
    for kind in [Kind::Ours, Kind::Jsonrpsee] {
        chart.series(kind.label(), role(kind));
    }
    let _ = writeln!(out, "## Subscriptions: one topic over WebSocket\n");
    let _ = writeln!(
        out,
        "| case | measure | ours | jsonrpsee | ours/jsonrpsee |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for (fanout, runs) in FANOUTS.iter().zip(results) {
        let case = fanout.describe();
        for (measure, f, is_rate, unit) in ROWS {
            let better = if is_rate {
                Better::Higher
            } else {
                Better::Lower
            };
            chart.group(&case, unit, better);
            let cell = |kind: Kind| {
                let mine: Vec<&Result<Rate, String>> =
                    runs.iter().filter_map(|r| r.get(&kind)).collect();
                if let Some(Err(e)) = mine.iter().find(|r| r.is_err()) {
                    return format!("FAILED: {}", e.replace('|', "/"));
                }
                let mut values: Vec<f64> =
                    mine.iter().filter_map(|r| r.as_ref().ok()).map(f).collect();
                if values.is_empty() {
                    return "n/a".to_owned();
                }
                if is_rate {
                    format!(
                        "{} ({})",
                        thousands(median(&mut values.clone())),
                        spread(&mut values)
                    )
                } else {
                    format!("{:.2}", median(&mut values))
                }
            };
            let mut ratios: Vec<f64> = runs
                .iter()
                .filter_map(|r| match (r.get(&Kind::Ours), r.get(&Kind::Jsonrpsee)) {
                    (Some(Ok(a)), Some(Ok(b))) => Some(f(a) / f(b)),
                    _ => None,
                })
                .collect();
            let ratio = if ratios.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{:.2}", median(&mut ratios))
            };
            for kind in [Kind::Ours, Kind::Jsonrpsee] {
                let mut values: Vec<f64> = runs
                    .iter()
                    .filter_map(|r| r.get(&kind)?.as_ref().ok())
                    .map(f)
                    .collect();
                let failed = runs.iter().any(|r| matches!(r.get(&kind), Some(Err(_))));
                if failed || values.is_empty() {
                    chart.bar(kind.label(), None, if failed { "FAILED" } else { "n/a" });
                    continue;
                }
                let value = median(&mut values);
                let mut label = if is_rate {
                    thousands(value)
                } else {
                    format!("{value:.2}")
                };
                if kind == Kind::Ours && ratio != "n/a" {
                    label.push_str(&format!(" · {ratio} × jsonrpsee"));
                }
                chart.bar(kind.label(), Some(value), &label);
            }
            let _ = writeln!(
                out,
                "| {case} | {measure} | {} | {} | {ratio} |",
                cell(Kind::Ours),
                cell(Kind::Jsonrpsee)
            );
        }
    }
    let memory_cell = |kind: Kind| match memory.iter().find(|(k, _)| *k == kind) {
        Some((_, Ok(rss))) => format!(
            "{:.2} ({:.1} → {:.1})",
            rss.per_subscription_kib(),
            rss.before_kib as f64 / 1024.0,
            rss.after_kib as f64 / 1024.0
        ),
        Some((_, Err(e))) => format!("FAILED: {}", e.replace('|', "/")),
        None => "n/a".to_owned(),
    };
    let per = |kind: Kind| {
        memory.iter().find_map(|(k, r)| match r {
            Ok(rss) if *k == kind => Some(rss.per_subscription_kib()),
            _ => None,
        })
    };
    let ratio = match (per(Kind::Ours), per(Kind::Jsonrpsee)) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    };
    chart.group(
        &format!(
            "memory per idle subscription ({} subscriptions)",
            thousands((MEMORY_CONNECTIONS * MEMORY_PER_CONNECTION) as f64)
        ),
        "KiB per subscription",
        Better::Lower,
    );
    for kind in [Kind::Ours, Kind::Jsonrpsee] {
        match per(kind) {
            Some(kib) => {
                let mut label = format!("{kib:.2}");
                if kind == Kind::Ours && ratio != "n/a" {
                    label.push_str(&format!(" · {ratio} × jsonrpsee"));
                }
                chart.bar(kind.label(), Some(kib), &label);
            }
            None => {
                chart.bar(kind.label(), None, "FAILED");
            }
        }
    }
    let _ = writeln!(
        out,
        "| memory per idle subscription | KiB per subscription (RSS MiB before → after {}) | {} | {} | {ratio} |",
        thousands((MEMORY_CONNECTIONS * MEMORY_PER_CONNECTION) as f64),
        memory_cell(Kind::Ours),
        memory_cell(Kind::Jsonrpsee),
    );
    let [one, many] = FANOUTS;
    let _ = writeln!(
        out,
        "\nOne topic; the subscribers on WebSocket connections ({} × {} and {} × {}), a separate \
         connection calling `flood(k)` in rounds: each round publishes 0..k (k = {} and {}) and \
         ends when every subscriber has received its k items, each checked in order (a lost \
         item fails the run). notifications/s = items delivered / time over the measured rounds \
         after a warm-up; server CPU is utime+stime from /proc per notification. ours: `Topic` \
         with the default policy (buffer 16, Wait); jsonrpsee: a `tokio::sync::broadcast` \
         channel (capacity {}) and one forwarding task per subscription (`sink.send(..).await`). \
         Memory: a fresh server each, RSS with {} idle connections open, then after {} \
         subscriptions each on the idle topic (one measurement).",
        one.connections,
        one.per_connection,
        many.connections,
        many.per_connection,
        one.round,
        many.round,
        jsonrpsee_topic::CAPACITY,
        MEMORY_CONNECTIONS,
        thousands(MEMORY_PER_CONNECTION as f64),
    );
    Table {
        name: "subscriptions",
        markdown: out,
        chart,
    }
}

/// ±half the min–max range relative to the median.
fn spread(values: &mut [f64]) -> String {
    if values.len() < 2 {
        return "–".to_owned();
    }
    let m = median(values);
    let (min, max) = (values[0], values[values.len() - 1]);
    if m > 0.0 {
        format!("±{:.0}%", 50.0 * (max - min) / m)
    } else {
        "–".to_owned()
    }
}

//! One timed run: closed-loop workers, a warm-up that is not counted, a
//! fixed measuring window, per-request latencies and the CPU a process
//! spent during the window.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a run lasts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) warmup: Duration,
    pub(crate) measure: Duration,
}

/// What a worker records; handed to it by [`drive`] and returned when done.
pub(crate) struct Recorder {
    measure_start: Instant,
    end: Instant,
    calls: u64,
    latencies_ns: Vec<u64>,
    error: Option<String>,
}

impl Recorder {
    /// Whether a worker may start another request.
    pub(crate) fn running(&self) -> bool {
        self.error.is_none() && Instant::now() < self.end
    }

    /// Records a request sent at `sent` that carried `calls` calls, all
    /// answered and checked; requests sent during warm-up are not counted.
    pub(crate) fn record(&mut self, sent: Instant, calls: u64) {
        if sent >= self.measure_start {
            self.calls += calls;
            let ns = u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.latencies_ns.push(ns);
        }
    }

    /// Marks the run failed; the worker should stop.
    pub(crate) fn fail(&mut self, error: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(error.into());
        }
    }
}

/// The outcome of one run.
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    pub(crate) calls_per_sec: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    /// CPU time of the measured process per call, in µs.
    pub(crate) cpu_us_per_call: f64,
    /// Why the run failed; a failed run has no figures worth reporting.
    pub(crate) error: Option<String>,
}

/// Runs `workers` copies of `worker` until `timing` is over and measures
/// them; `cpu` reads the CPU time of the process whose cost is reported.
pub(crate) async fn drive<F, Fut>(
    workers: usize,
    timing: Timing,
    cpu: impl Fn() -> Duration,
    worker: F,
) -> Measurement
where
    F: Fn(usize, Recorder) -> Fut,
    Fut: Future<Output = Recorder> + Send + 'static,
{
    let start = Instant::now();
    let measure_start = start + timing.warmup;
    let end = measure_start + timing.measure;
    // A stuck server must not hang the benchmark: every worker is cut off
    // a while after the window ends.
    let cutoff = end + Duration::from_secs(10);
    let tasks: Vec<_> = (0..workers)
        .map(|index| {
            let recorder = Recorder {
                measure_start,
                end,
                calls: 0,
                latencies_ns: Vec::new(),
                error: None,
            };
            let run = worker(index, recorder);
            tokio::spawn(async move {
                tokio::time::timeout_at(cutoff.into(), run)
                    .await
                    .map_err(|_| "timed out: the server stopped answering".to_owned())
            })
        })
        .collect();
    tokio::time::sleep_until(measure_start.into()).await;
    let cpu_before = cpu();
    let mut calls = 0;
    let mut latencies = Vec::new();
    let mut error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(recorder)) => {
                calls += recorder.calls;
                latencies.extend(recorder.latencies_ns);
                error = error.or(recorder.error);
            }
            Ok(Err(timeout)) => error = error.or(Some(timeout)),
            Err(join) => error = error.or(Some(format!("worker panicked: {join}"))),
        }
    }
    let cpu_spent = cpu().saturating_sub(cpu_before);
    if calls == 0 && error.is_none() {
        error = Some("no call completed in the window".to_owned());
    }
    latencies.sort_unstable();
    Measurement {
        calls_per_sec: calls as f64 / timing.measure.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        cpu_us_per_call: cpu_spent.as_secs_f64() * 1e6 / calls.max(1) as f64,
        error,
    }
}

fn percentile(sorted_ns: &[u64], q: f64) -> Duration {
    if sorted_ns.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted_ns.len() - 1) as f64 * q).round() as usize;
    Duration::from_nanos(sorted_ns[rank.min(sorted_ns.len() - 1)])
}

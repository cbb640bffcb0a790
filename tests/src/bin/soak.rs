//! The soak test: one in-process server under a bounded storm, checked
//! message by message. Not part of `cargo test`; run it with
//!
//! ```text
//! cargo run --release -p tests --features soak --bin soak
//! ```
//!
//! Phases:
//! 1. Warm-up: a small load, then the baseline RSS of the process.
//! 2. Load, twice: 500 WebSocket connections × 200 messages each (about 10 %
//!    notifications, 5 % slow calls of up to 100 ms, the rest `add`), all
//!    pipelined, beside 64 HTTP connections sending batches of 20 (with
//!    notifications and slow calls mixed in). Every id must be answered
//!    exactly once with the right result, no notification answered, and
//!    every notification must reach its handler.
//! 3. Settle after each round: every connection closed; the RSS must come
//!    back near the baseline (within 25 % of it or 32 MiB, whichever is
//!    larger; clients and server share the process, so this counts both),
//!    and must not grow from the first round to the second by more than a
//!    quarter or 12 MiB (the allocator's fragmentation grows a little every
//!    round, less each time; a leak grows by the same amount each time).
//!    The run re-executes itself with glibc's `MALLOC_TRIM_THRESHOLD_` and
//!    `MALLOC_MMAP_THRESHOLD_` at 128 KiB, so freed memory goes back to the
//!    OS and RSS shows what is live rather than the allocator's cache.
//!    The number of live Tokio tasks must be back at its baseline too: a
//!    connection whose task never ends is a leak whatever RSS says.
//! 4. Connection limit: a second server with `max_connections = 100` is
//!    offered 150 WebSocket connections at once; 100 must be served and 50
//!    refused fast (closed on arrival, the handshake fails within 2 s),
//!    with the server's refused counter agreeing.
//!
//! The whole run is capped at 60 s. It prints a summary and exits 1 on any
//! violation (2 when the file descriptor limit is too low to try).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::HttpClient;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, ServerHandle, Shutdown};
use rpc_runtime::Router;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

const WS_CONNECTIONS: usize = 500;
const MESSAGES_PER_WS: usize = 200;
const HTTP_CONNECTIONS: usize = 64;
const BATCHES_PER_HTTP: usize = 100;
const BATCH_LEN: usize = 20;
const LIMIT: usize = 100;
const OFFERED: usize = 150;
/// The load runs this many times (`SOAK_ROUNDS` overrides it): RSS that
/// grows from one round to the next is a leak.
const ROUNDS: usize = 2;
const HARD_CAP: Duration = Duration::from_secs(60);
/// Sockets the run holds at once (both ends are in this process), plus
/// slack for the runtime and the allocator.
const FDS_NEEDED: u64 = (2 * (WS_CONNECTIONS + HTTP_CONNECTIONS + OFFERED) + 256) as u64;

fn main() -> ExitCode {
    if let Some(code) = rerun_with_trimming_allocator() {
        return code;
    }
    if let Some(limit) = open_files_limit() {
        if limit < FDS_NEEDED {
            eprintln!(
                "soak: the open-files limit is {limit}, the run needs about {FDS_NEEDED}; \
                 raise it first (`ulimit -n 4096`)"
            );
            return ExitCode::from(2);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let began = Instant::now();
    let outcome = runtime.block_on(async { tokio::time::timeout(HARD_CAP, soak()).await });
    let Ok(report) = outcome else {
        println!("soak: FAILED, the hard cap of {HARD_CAP:?} passed");
        return ExitCode::FAILURE;
    };
    report.print(began.elapsed());
    if report.violations.is_empty() {
        println!("soak: PASSED");
        ExitCode::SUCCESS
    } else {
        println!("soak: FAILED");
        ExitCode::FAILURE
    }
}

/// What went wrong, shared by every task (the first 20 are kept).
#[derive(Clone, Default)]
struct Violations {
    list: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

impl Violations {
    fn add(&self, what: String) {
        if self.count.fetch_add(1, Ordering::Relaxed) < 20 {
            self.list.lock().unwrap().push(what);
        }
    }
}

#[derive(Default)]
struct Report {
    load_times: Vec<Duration>,
    ws_answers: usize,
    ws_notifications: usize,
    http_batches: usize,
    http_answers: usize,
    http_notifications: usize,
    notifications_handled: u64,
    rss_baseline: u64,
    rss_peak: u64,
    tasks_baseline: usize,
    tasks_after: Vec<usize>,
    rss_after: Vec<u64>,
    shutdown: Option<Shutdown>,
    limit_admitted: usize,
    limit_refused: usize,
    limit_refused_by_server: usize,
    limit_slowest_refusal: Duration,
    violations: Vec<String>,
    violation_count: usize,
}

impl Report {
    fn print(&self, total: Duration) {
        let mib = |kib: u64| kib as f64 / 1024.0;
        println!("soak summary ({total:.1?} in all)");
        println!(
            "  load:         {} rounds of {WS_CONNECTIONS} WS × {MESSAGES_PER_WS} messages + {HTTP_CONNECTIONS} HTTP × {BATCHES_PER_HTTP} batches of {BATCH_LEN}, took {:.1?}",
            self.load_times.len(),
            self.load_times
        );
        println!(
            "  WebSocket:    {} answers checked, {} notifications sent",
            self.ws_answers, self.ws_notifications
        );
        println!(
            "  HTTP:         {} batches, {} answers checked, {} notifications sent",
            self.http_batches, self.http_answers, self.http_notifications
        );
        println!(
            "  notifications handled by the server: {}",
            self.notifications_handled
        );
        let after: Vec<String> = self
            .rss_after
            .iter()
            .map(|kib| format!("{:.1}", mib(*kib)))
            .collect();
        println!(
            "  RSS:          baseline {:.1} MiB, peak {:.1} MiB, after each round {} MiB",
            mib(self.rss_baseline),
            mib(self.rss_peak),
            after.join(", ")
        );
        println!(
            "  tasks alive:  baseline {}, after each round {:?}",
            self.tasks_baseline, self.tasks_after
        );
        println!("  shutdown:     {:?}", self.shutdown);
        println!(
            "  limit phase:  max_connections {LIMIT}, offered {OFFERED}: {} served, {} refused (server counted {}), slowest refusal {:.1?}",
            self.limit_admitted,
            self.limit_refused,
            self.limit_refused_by_server,
            self.limit_slowest_refusal
        );
        println!("  violations:   {}", self.violation_count);
        for violation in &self.violations {
            println!("    - {violation}");
        }
    }
}

async fn soak() -> Report {
    let violations = Violations::default();
    let handled = Arc::new(AtomicU64::new(0));
    let handle = Server::builder()
        .build(api(Arc::clone(&handled)))
        .bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let mut report = Report::default();

    // Warm-up: every code path once, at a small scale.
    let warm = Violations::default();
    run_load(&handle, 20, 4, 10, &warm).await;
    wait_until_closed(&handle).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    report.rss_baseline = rss_kib();
    let metrics = tokio::runtime::Handle::current().metrics();
    // The RSS sampler below is one more task for the rest of the run.
    report.tasks_baseline = metrics.num_alive_tasks() + 1;

    let peak = Arc::new(AtomicU64::new(report.rss_baseline));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let rounds = std::env::var("SOAK_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ROUNDS);
    for round in 0..rounds {
        let handled_before = handled.load(Ordering::SeqCst);
        let began = Instant::now();
        let load = run_load(
            &handle,
            WS_CONNECTIONS,
            HTTP_CONNECTIONS,
            BATCHES_PER_HTTP,
            &violations,
        )
        .await;
        report.load_times.push(began.elapsed());
        report.ws_answers += load.ws_answers;
        report.ws_notifications += load.ws_notifications;
        report.http_batches += load.http_batches;
        report.http_answers += load.http_answers;
        report.http_notifications += load.http_notifications;

        // Every notification reaches its handler (one may still be running
        // when the last answer is read, so allow a moment).
        let sent = (load.ws_notifications + load.http_notifications) as u64;
        let deadline = Instant::now() + Duration::from_secs(5);
        while handled.load(Ordering::SeqCst) - handled_before < sent && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let handled_now = handled.load(Ordering::SeqCst) - handled_before;
        report.notifications_handled += handled_now;
        if handled_now != sent {
            violations.add(format!(
                "round {round}: {sent} notifications sent, {handled_now} handled"
            ));
        }

        if !wait_until_closed(&handle).await {
            violations.add(format!(
                "round {round}: {} connections still open after the load",
                handle.connections_active()
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        report.rss_after.push(rss_kib());
        // A connection whose task (driver, writer, HTTP connection) never
        // ends is a leak, whatever the allocator does with memory.
        let tasks = metrics.num_alive_tasks();
        report.tasks_after.push(tasks);
        if tasks > report.tasks_baseline {
            violations.add(format!(
                "round {round}: {tasks} tasks alive after the load, {} before",
                report.tasks_baseline
            ));
        }
    }
    sampler.abort();
    report.rss_peak = peak.load(Ordering::Relaxed);
    // Near the baseline: within 25 % of it or 32 MiB, whichever is more.
    let allowed = (report.rss_baseline / 4).max(32 * 1024);
    let last = report.rss_after.last().copied().unwrap_or(0);
    if last > report.rss_baseline + allowed {
        violations.add(format!(
            "RSS after the load is {last} KiB, baseline {} KiB (allowed +{allowed} KiB)",
            report.rss_baseline
        ));
    }
    // A leak grows by the same amount every round. glibc's fragmentation
    // also grows, but less each round (12 rounds of the WebSocket load alone:
    // +4.3, +3.2, +2.6, ... +0.4 MiB, while the task count stays flat), so
    // one round may add up to a quarter of the first round's RSS or 12 MiB.
    let first = report.rss_after.first().copied().unwrap_or(0);
    let growth_allowed = (first / 4).max(12 * 1024);
    if last > first + growth_allowed {
        violations.add(format!(
            "RSS grew from {first} KiB after the first round to {last} KiB after the last"
        ));
    }
    if handle.connections_refused() != 0 {
        violations.add(format!(
            "{} connections refused under the default limit",
            handle.connections_refused()
        ));
    }
    report.shutdown = Some(handle.shutdown(Duration::from_secs(5)).await);

    limit_phase(&mut report, &handled, &violations).await;

    report.violation_count = violations.count.load(Ordering::Relaxed);
    report.violations = violations.list.lock().unwrap().clone();
    report
}

/// `add(a, b)`, `slow(ms, x)` answering `x` after `ms`, and `note(..)`
/// (meant as a notification) counting into `handled`.
fn api(handled: Arc<AtomicU64>) -> Router {
    let mut router = Router::new();
    router
        .register_sync("add", |p, _| {
            let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .unwrap();
    router
        .register_async("slow", |p, _| {
            let args = p.decode::<(u64, i64)>(&["ms", "x"]);
            async move {
                let (ms, x) = args?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>(x)
            }
        })
        .unwrap();
    router
        .register_sync("note", move |_, _| {
            handled.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ErrorObjectOwned>(())
        })
        .unwrap();
    router
}

/// A small deterministic generator (xorshift), one per connection.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// One message of the mix: its text, and the answer expected for its id
/// (`None` for a notification).
fn message(rng: &mut Rng, id: u64, salt: i64) -> (String, Option<i64>) {
    let roll = rng.next() % 100;
    if roll < 10 {
        (
            format!(r#"{{"jsonrpc":"2.0","method":"note","params":[{id}]}}"#),
            None,
        )
    } else if roll < 15 {
        let ms = rng.next() % 100;
        let x = salt * 100_000 + id as i64;
        (
            format!(r#"{{"jsonrpc":"2.0","method":"slow","params":[{ms},{x}],"id":{id}}}"#),
            Some(x),
        )
    } else {
        (
            format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{id},{salt}],"id":{id}}}"#),
            Some(id as i64 + salt),
        )
    }
}

/// Checks one response object against what its id expects; counts it.
fn check_answer(
    answer: &Value,
    expected: &HashMap<u64, i64>,
    seen: &mut HashMap<u64, usize>,
    who: &str,
    violations: &Violations,
) {
    let Some(id) = answer["id"].as_u64() else {
        violations.add(format!("{who}: an answer without a known id: {answer}"));
        return;
    };
    let Some(want) = expected.get(&id) else {
        violations.add(format!("{who}: an answer to id {id}, which needs none"));
        return;
    };
    let count = seen.entry(id).or_default();
    *count += 1;
    if *count > 1 {
        violations.add(format!("{who}: id {id} answered {count} times"));
    }
    if answer["result"].as_i64() != Some(*want) {
        violations.add(format!("{who}: id {id} expected {want}, got {answer}"));
    }
}

#[derive(Default)]
struct LoadCounts {
    ws_answers: usize,
    ws_notifications: usize,
    http_batches: usize,
    http_answers: usize,
    http_notifications: usize,
}

async fn run_load(
    handle: &ServerHandle,
    ws_connections: usize,
    http_connections: usize,
    batches: usize,
    violations: &Violations,
) -> LoadCounts {
    let addr = handle.local_addr();
    let ws_url = format!("ws://{addr}/");
    let http = HttpClient::builder(&format!("http://{addr}/"))
        .request_timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    // Connecting is paced so the listen backlog never overflows.
    let connecting = Arc::new(tokio::sync::Semaphore::new(64));
    let mut ws_tasks = tokio::task::JoinSet::new();
    for conn in 0..ws_connections {
        let url = ws_url.clone();
        let violations = violations.clone();
        let connecting = Arc::clone(&connecting);
        ws_tasks.spawn(async move { ws_session(&url, conn, &connecting, &violations).await });
    }
    let mut http_tasks = tokio::task::JoinSet::new();
    for task in 0..http_connections {
        let http = http.clone();
        let violations = violations.clone();
        http_tasks.spawn(async move { http_session(&http, task, batches, &violations).await });
    }
    let mut counts = LoadCounts::default();
    while let Some(joined) = ws_tasks.join_next().await {
        let (answers, notes) = joined.expect("a WebSocket task");
        counts.ws_answers += answers;
        counts.ws_notifications += notes;
    }
    while let Some(joined) = http_tasks.join_next().await {
        let (batches, answers, notes) = joined.expect("an HTTP task");
        counts.http_batches += batches;
        counts.http_answers += answers;
        counts.http_notifications += notes;
    }
    counts
}

/// One WebSocket connection: every message pipelined, every answer read
/// and checked, then a close handshake (an answer arriving after the last
/// expected one, before the close, is a duplicate or a stray).
async fn ws_session(
    url: &str,
    conn: usize,
    connecting: &tokio::sync::Semaphore,
    violations: &Violations,
) -> (usize, usize) {
    let who = format!("ws#{conn}");
    let socket = {
        let _turn = connecting.acquire().await.expect("open semaphore");
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => socket,
            Err(error) => {
                violations.add(format!("{who}: connect failed: {error}"));
                return (0, 0);
            }
        }
    };
    let mut rng = Rng::new(conn as u64 + 1);
    let mut expected = HashMap::new();
    let mut texts = Vec::with_capacity(MESSAGES_PER_WS);
    let mut notes = 0;
    for id in 0..MESSAGES_PER_WS as u64 {
        let (text, want) = message(&mut rng, id, conn as i64);
        match want {
            Some(want) => {
                expected.insert(id, want);
            }
            None => notes += 1,
        }
        texts.push(text);
    }
    let (mut sink, mut stream) = socket.split();
    let writer = async {
        for text in texts {
            if sink.send(Message::text(text)).await.is_err() {
                return false;
            }
        }
        true
    };
    let mut seen = HashMap::new();
    let reader = async {
        while seen.len() < expected.len() {
            match tokio::time::timeout(Duration::from_secs(20), stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(&text) {
                    Ok(answer) => check_answer(&answer, &expected, &mut seen, &who, violations),
                    Err(error) => violations.add(format!("{who}: not JSON ({error}): {text}")),
                },
                Ok(Some(Ok(_))) => {}
                other => {
                    violations.add(format!(
                        "{who}: the stream ended with {} of {} answers: {other:?}",
                        seen.len(),
                        expected.len()
                    ));
                    return;
                }
            }
        }
    };
    let (wrote, ()) = tokio::join!(writer, reader);
    if !wrote {
        violations.add(format!("{who}: a send failed"));
    }
    let answers = seen.len();
    // Close, and count anything still arriving before the server's close.
    let _ = sink.send(Message::Close(None)).await;
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = stream.next().await {
            if let Message::Text(text) = frame {
                violations.add(format!("{who}: an extra answer after all were in: {text}"));
            }
        }
    })
    .await;
    if drained.is_err() {
        violations.add(format!("{who}: no close handshake within 5 s"));
    }
    (answers, notes)
}

/// One HTTP task: `batches` batches, one after another, each checked.
async fn http_session(
    http: &HttpClient,
    task: usize,
    batches: usize,
    violations: &Violations,
) -> (usize, usize, usize) {
    let who = format!("http#{task}");
    let mut rng = Rng::new(1_000_000 + task as u64);
    let (mut sent, mut answers, mut notes) = (0, 0, 0);
    for batch in 0..batches {
        let mut expected = HashMap::new();
        let mut text = String::from("[");
        for k in 0..BATCH_LEN {
            let id = (batch * BATCH_LEN + k) as u64;
            let (member, want) = message(&mut rng, id, task as i64);
            match want {
                Some(want) => {
                    expected.insert(id, want);
                }
                None => notes += 1,
            }
            if k > 0 {
                text.push(',');
            }
            text.push_str(&member);
        }
        text.push(']');
        let reply = match http.send(&text).await {
            Ok(reply) => reply,
            Err(error) => {
                violations.add(format!("{who}: batch {batch} failed: {error}"));
                continue;
            }
        };
        sent += 1;
        let mut seen = HashMap::new();
        if expected.is_empty() {
            if !reply.trim().is_empty() {
                violations.add(format!(
                    "{who}: an all-notification batch answered: {reply}"
                ));
            }
            continue;
        }
        match serde_json::from_str::<Value>(&reply) {
            Ok(Value::Array(items)) => {
                for item in &items {
                    check_answer(item, &expected, &mut seen, &who, violations);
                }
            }
            other => violations.add(format!("{who}: batch {batch}: not an array: {other:?}")),
        }
        if seen.len() != expected.len() {
            violations.add(format!(
                "{who}: batch {batch}: {} of {} ids answered",
                seen.len(),
                expected.len()
            ));
        }
        answers += seen.len();
    }
    (sent, answers, notes)
}

/// Waits (up to 10 s) until the server has no connection open.
async fn wait_until_closed(handle: &ServerHandle) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.connections_active() > 0 {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// A server limited to [`LIMIT`] connections is offered [`OFFERED`] at
/// once: the excess must be refused fast and the admitted ones served.
async fn limit_phase(report: &mut Report, handled: &Arc<AtomicU64>, violations: &Violations) {
    let handle = Server::builder()
        .max_connections(LIMIT)
        .build(api(Arc::clone(handled)))
        .bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let url = format!("ws://{}/", handle.local_addr());
    let attempts = (0..OFFERED).map(|_| {
        let url = url.clone();
        async move {
            let began = Instant::now();
            let outcome = tokio::time::timeout(
                Duration::from_secs(10),
                tokio_tungstenite::connect_async(url),
            )
            .await;
            (outcome, began.elapsed())
        }
    });
    let mut admitted = Vec::new();
    for (outcome, took) in futures_util::future::join_all(attempts).await {
        match outcome {
            Ok(Ok((socket, _))) => admitted.push(socket),
            Ok(Err(_)) => {
                report.limit_refused += 1;
                report.limit_slowest_refusal = report.limit_slowest_refusal.max(took);
            }
            Err(_) => violations
                .add("limit phase: a connect neither succeeded nor failed in 10 s".to_owned()),
        }
    }
    report.limit_admitted = admitted.len();
    report.limit_refused_by_server = handle.connections_refused();
    if report.limit_admitted != LIMIT || report.limit_refused != OFFERED - LIMIT {
        violations.add(format!(
            "limit phase: {} admitted and {} refused, expected {LIMIT} and {}",
            report.limit_admitted,
            report.limit_refused,
            OFFERED - LIMIT
        ));
    }
    if report.limit_refused_by_server != report.limit_refused {
        violations.add(format!(
            "limit phase: the server counted {} refusals, the clients saw {}",
            report.limit_refused_by_server, report.limit_refused
        ));
    }
    if report.limit_slowest_refusal > Duration::from_secs(2) {
        violations.add(format!(
            "limit phase: a refusal took {:?}",
            report.limit_slowest_refusal
        ));
    }
    // The admitted ones are served as usual.
    let calls = admitted
        .iter_mut()
        .enumerate()
        .map(|(i, socket)| async move {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{i},1],"id":{i}}}"#);
            socket.send(Message::text(text)).await.ok()?;
            loop {
                match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
                    Ok(Some(Ok(Message::Text(reply)))) => {
                        let reply: Value = serde_json::from_str(&reply).ok()?;
                        return (reply["result"].as_i64() == Some(i as i64 + 1)).then_some(());
                    }
                    Ok(Some(Ok(_))) => {}
                    _ => return None,
                }
            }
        });
    let served = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .filter(Option::is_some)
        .count();
    if served != admitted.len() {
        violations.add(format!(
            "limit phase: {served} of {} admitted connections answered",
            admitted.len()
        ));
    }
    for mut socket in admitted {
        let _ = socket.close(None).await;
    }
    let _ = handle.shutdown(Duration::from_secs(5)).await;
}

/// glibc's allocator keeps freed memory of its thread arenas mapped, so the
/// RSS after a load says more about the allocator than about what is still
/// live. Run again (once) with a 128 KiB trim and mmap threshold, which makes
/// it hand freed memory back; `None` when this already is that run.
fn rerun_with_trimming_allocator() -> Option<ExitCode> {
    const VAR: &str = "MALLOC_TRIM_THRESHOLD_";
    if !cfg!(target_os = "linux") || std::env::var_os(VAR).is_some() {
        return None;
    }
    println!("soak: running with {VAR}=131072 MALLOC_MMAP_THRESHOLD_=131072");
    let exe = std::env::current_exe().ok()?;
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(VAR, "131072")
        .env("MALLOC_MMAP_THRESHOLD_", "131072")
        .status()
        .ok()?;
    Some(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The resident set size of this process, in KiB (0 where unknown).
fn rss_kib() -> u64 {
    status_field("VmRSS:").unwrap_or(0)
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// The soft limit on open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

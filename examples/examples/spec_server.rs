//! A server for the examples of the JSON-RPC 2.0 specification, over HTTP
//! and WebSocket on one port: `subtract` (by position or by name), `sum`
//! (any number of positional numbers), `update`, `notify_hello`,
//! `notify_sum` and `get_data`. There is no `foobar` and no `foo.get`, so the
//! specification's "method not found" examples fail as they should.
//!
//! For conformance suites of subscriptions (over WebSocket):
//! `subscribe_count(start, every_ms)` answers an id, then pushes `start`,
//! `start + 1`, … every `every_ms` ms as notifications of method `count`
//! until `unsubscribe_count(id)`; `subscribe_topic(topic)` pushes exactly the
//! values passed to `publish(topic, value)` (which answers how many
//! subscribers it reached, over HTTP too) as notifications of method
//! `topic`, until `unsubscribe_topic(id)`.
//!
//! Methods with fixed arguments are a `#[rpc]` trait; variadic ones are raw
//! handlers on the same router, which decode their params as a whole.
//!
//! One router serves every endpoint at once: HTTP and WebSocket on one port,
//! and as many TCP and Unix socket endpoints as asked for, each framed as
//! newline-delimited JSON or with `Content-Length` headers, ZeroMQ sockets
//! (ROUTER, or REP with `--zmq-socket rep`), and stdin/stdout:
//!
//! ```text
//! spec_server 127.0.0.1:4000 --tcp 127.0.0.1:4001 --framing newline --unix rpc.sock
//! spec_server --zmq tcp://127.0.0.1:4002 --zmq ipc:///tmp/rpc.ipc --zmq-socket rep
//! spec_server --tcp '127.0.0.1:4003?framing=content-length'
//! spec_server --stdio --framing content-length
//! ```
//!
//! (`--help` lists the flags.) Run with `cargo run -p examples --example
//! spec_server -- 127.0.0.1:4000` (that address is the default; port 0 picks
//! a free one). The first line on stdout is `listening on ADDRESS`, then one
//! line per other endpoint (`TCP ADDRESS (FRAMING)`, `Unix PATH (FRAMING)`,
//! `ZeroMQ ROUTER ENDPOINT`);
//! with `--stdio` these lines go to stderr. Then try:
//!
//! ```text
//! curl -s http://127.0.0.1:4000/ -H 'content-type: application/json' \
//!      -d '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'
//! ```
//!
//! Several instances behind a load balancer (see docs/deployment.md):
//! `--broker redis://127.0.0.1:6379` fans topics out through Redis, so
//! `publish` on any instance reaches `subscribe_topic(topic, since?)`
//! subscribers on every instance, with a history (`--history N`, 1000 by
//! default) that a reconnecting subscriber resumes from (`since`: the last
//! position it saw). `GET /health` and `GET /ready` answer probes;
//! `--drain-delay MS` keeps serving with `/ready` at 503 that long after
//! the stop signal.
//!
//! `--explorer` serves the API explorer page at `/explorer` (and for a
//! browser's `GET /`): open it to browse and call every method.
//!
//! Ctrl-C or SIGTERM shuts it down gracefully: calls in flight finish,
//! WebSocket connections get a close frame, stream connections see the end
//! of the stream. With `--stdio`, the end of stdin stops it too.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rpc_runtime::protocol::{codes, ErrorObjectOwned};
use rpc_runtime::server::{Server, Shutdown};
use rpc_runtime::stream::{serve_stdio_until, Framing, StreamConfig, StreamServer};
use rpc_runtime::subscription::{
    Broker, History, PendingSubscription, Position, PublishError, RedisBroker, RedisConfig, Topic,
};
use rpc_runtime::zmq::{SocketType, ZmqConfig, ZmqServer};
use rpc_runtime::{rpc, RegisterError, Router, RpcError};
use serde_json::Number;
use serde_json::Value;

/// The address served when none is given.
const DEFAULT_ADDR: &str = "127.0.0.1:4000";

/// Arithmetic that does not fit.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum ArithmeticError {
    /// The result is out of range.
    #[error("the result is out of range")]
    #[rpc(code = 1000)]
    Overflow,
}

/// The specification's methods with fixed arguments.
#[rpc]
pub trait SpecExamples {
    /// `minuend - subtrahend`; params `[42, 23]` or
    /// `{"minuend": 42, "subtrahend": 23}`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, ArithmeticError>;
    /// Says hello to `n`; a notification.
    #[notification]
    fn notify_hello(&self, n: i64);
    /// Some data: `["hello", 5]`.
    fn get_data(&self) -> (String, i64);
}

/// How many notifications of each kind arrived, shown at shutdown.
#[derive(Default)]
struct Received {
    update: AtomicUsize,
    notify_hello: AtomicUsize,
    notify_sum: AtomicUsize,
}

struct Spec {
    received: Arc<Received>,
}

impl SpecExamples for Spec {
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, ArithmeticError> {
        minuend
            .checked_sub(subtrahend)
            .ok_or(ArithmeticError::Overflow)
    }

    fn notify_hello(&self, _n: i64) {
        self.received.notify_hello.fetch_add(1, Ordering::Relaxed);
    }

    fn get_data(&self) -> (String, i64) {
        ("hello".to_owned(), 5)
    }
}

/// Adds numbers up: exactly while they are integers that fit in an `i64`,
/// else as floating point.
fn add_up(numbers: &[Number]) -> Result<Number, ArithmeticError> {
    let exact = numbers
        .iter()
        .try_fold(0_i64, |total, n| total.checked_add(n.as_i64()?));
    match exact {
        Some(total) => Ok(total.into()),
        None => Number::from_f64(numbers.iter().filter_map(Number::as_f64).sum())
            .ok_or(ArithmeticError::Overflow),
    }
}

/// The trait's methods plus the variadic ones.
fn router(received: &Arc<Received>, topics: Arc<Topics>) -> Result<Router, RegisterError> {
    let mut router = Spec {
        received: Arc::clone(received),
    }
    .into_router();

    // Variadic methods decode the whole params (an array) at once.
    router.register_sync("sum", |params, _| {
        let numbers: Vec<Number> = params.parse()?;
        add_up(&numbers).map_err(|error| error.to_error_object())
    })?;
    let counter = Arc::clone(received);
    router.register_sync("update", move |params, _| {
        params.parse::<Vec<serde_json::Value>>()?;
        counter.update.fetch_add(1, Ordering::Relaxed);
        Ok::<_, ErrorObjectOwned>(())
    })?;
    let counter = Arc::clone(received);
    router.register_sync("notify_sum", move |params, _| {
        add_up(&params.parse::<Vec<Number>>()?).map_err(|error| error.to_error_object())?;
        counter.notify_sum.fetch_add(1, Ordering::Relaxed);
        Ok::<_, ErrorObjectOwned>(())
    })?;
    subscriptions(&mut router, topics)?;
    Ok(router)
}

/// The topics `publish` reaches, by name: in this process (with history
/// when `--history` is given), or through the broker (`--broker`).
#[derive(Default)]
struct Topics {
    broker: Option<Arc<dyn Broker>>,
    history: Option<History>,
    by_name: Mutex<HashMap<String, Arc<Topic<Value>>>>,
}

impl Topics {
    fn get(&self, name: &str) -> Arc<Topic<Value>> {
        let mut topics = self.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        let topic = topics.entry(name.to_owned()).or_insert_with(|| {
            Arc::new(match (&self.broker, self.history) {
                (Some(broker), _) => Topic::with_broker(Arc::clone(broker), name),
                (None, Some(history)) => Topic::with_history(history),
                (None, None) => Topic::new(),
            })
        });
        Arc::clone(topic)
    }
}

/// The error `publish` answers when the broker cannot take the item.
const PUBLISH_FAILED: i32 = -32010;

/// `subscribe_count`, `subscribe_topic`, their unsubscribe methods and
/// `publish`.
fn subscriptions(router: &mut Router, topics: Arc<Topics>) -> Result<(), RegisterError> {
    router.register_subscription(
        "subscribe_count",
        "count",
        "unsubscribe_count",
        &["start", "every_ms"],
        |(start, every_ms): (i64, u64), pending: PendingSubscription<i64>, _| async move {
            if every_ms == 0 {
                let error = ErrorObjectOwned::new(
                    codes::INVALID_PARAMS,
                    "Invalid params: `every_ms` must be at least 1",
                );
                return pending.reject(error);
            }
            let Ok(sink) = pending.accept() else { return };
            let mut ticks = tokio::time::interval(Duration::from_millis(every_ms));
            ticks.tick().await;
            for n in start.. {
                tokio::select! {
                    () = sink.closed() => return,
                    _ = ticks.tick() => {}
                }
                if sink.send(&n).await.is_err() {
                    return;
                }
            }
        },
    )?;
    let following = Arc::clone(&topics);
    // `since`: the last position the client saw (a reconnecting client
    // sends it), to get what it missed first.
    router.register_subscription(
        "subscribe_topic",
        "topic",
        "unsubscribe_topic",
        &["topic", "since"],
        move |(topic, since): (String, Option<Position>),
              pending: PendingSubscription<Value>,
              _| {
            let topic = following.get(&topic);
            async move {
                if let Ok(sink) = pending.accept() {
                    topic.follow(sink, since).await;
                }
            }
        },
    )?;
    router.register_async_args(
        "publish",
        &["topic", "value"],
        move |(topic, value): (String, Value), _| {
            let topic = topics.get(&topic);
            async move {
                topic.publish(&value).await.map_err(|error| match error {
                    PublishError::Broker(error) => {
                        ErrorObjectOwned::new(PUBLISH_FAILED, format!("publish failed: {error}"))
                    }
                    error => ErrorObjectOwned::new(codes::INTERNAL_ERROR, error.to_string()),
                })
            }
        },
    )?;
    Ok(())
}

/// A server for the JSON-RPC 2.0 specification's examples and the
/// subscriptions, on every transport at once.
#[derive(Debug, clap::Parser)]
#[command(
    name = "spec_server",
    about = "Serves the JSON-RPC 2.0 specification's examples (and subscriptions) over HTTP and \
             WebSocket on one port, and over TCP, Unix sockets, ZeroMQ and stdio.",
    after_help = "Examples:\n  spec_server 127.0.0.1:4000 --tcp 127.0.0.1:4001 --framing newline --unix rpc.sock\n  \
                  spec_server --tcp '127.0.0.1:4003?framing=content-length'\n  \
                  spec_server --zmq tcp://127.0.0.1:4002 --zmq ipc:///tmp/rpc.ipc --zmq-socket rep\n  \
                  spec_server --stdio --framing content-length\n\n\
                  The first line on stdout is `listening on ADDRESS` (with --stdio, on stderr: \
                  stdout carries the protocol). Ctrl-C or SIGTERM stops every endpoint gracefully; \
                  with --stdio, so does the end of stdin."
)]
struct Args {
    /// The HTTP + WebSocket address (port 0 picks a free one). Default
    /// 127.0.0.1:4000; with --stdio, HTTP is served only when given.
    addr: Option<String>,
    /// Also serve TCP at ADDR; `ADDR?framing=NAME` overrides --framing for
    /// this endpoint. Repeatable.
    #[arg(long, value_name = "ADDR")]
    tcp: Vec<String>,
    /// Also serve a Unix domain socket at PATH (`PATH?framing=NAME` as for
    /// --tcp). Repeatable.
    #[arg(long, value_name = "PATH")]
    unix: Vec<String>,
    /// Also serve a ZeroMQ socket bound at ENDPOINT (`tcp://HOST:PORT`,
    /// port 0 picks a free one, or `ipc://PATH`). Repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    zmq: Vec<String>,
    /// The socket type of every --zmq endpoint: `router` (many clients,
    /// many calls in flight; REQ and DEALER clients) or `rep` (one request
    /// at a time, every one answered, an empty reply to a notification).
    #[arg(long, default_value = "router", value_name = "TYPE", value_parser = ["router", "rep"])]
    zmq_socket: String,
    /// Serve this process's stdin and stdout (as language servers do).
    #[arg(long)]
    stdio: bool,
    /// How byte-stream endpoints (--tcp, --unix, --stdio) cut messages:
    /// `newline` (one JSON text per line) or `content-length` (LSP
    /// headers).
    #[arg(long, default_value = "newline", value_name = "FRAMING")]
    framing: Framing,
    /// Fan topics out through this broker (`redis://HOST:PORT`), so that
    /// `publish` on any instance reaches `subscribe_topic` subscribers on
    /// every instance.
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// How many items each topic keeps for subscribers that resume
    /// (default 1000 with --broker; without it, in process, none unless
    /// given).
    #[arg(long, value_name = "N")]
    history: Option<usize>,
    /// On SIGTERM or Ctrl-C, answer 503 on /ready for this long (while
    /// still serving) before shutting down, so that a load balancer stops
    /// sending first.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    drain_delay: u64,
    /// Serve the API explorer page at /explorer (and for a browser's
    /// `GET /`).
    #[arg(long)]
    explorer: bool,
}

/// An endpoint address with an optional `?framing=NAME` suffix.
fn endpoint(spec: &str, default: Framing) -> Result<(&str, Framing), String> {
    let Some((address, query)) = spec.split_once('?') else {
        return Ok((spec, default));
    };
    let name = query
        .strip_prefix("framing=")
        .ok_or_else(|| format!("{spec}: the only option is `?framing=newline|content-length`"))?;
    let framing = name.parse().map_err(|error| format!("{spec}: {error}"))?;
    Ok((address, framing))
}

/// Writes one line where the operator reads: stdout, or stderr when stdout
/// carries the protocol.
fn announce(stdio: bool, line: &str) -> std::io::Result<()> {
    if stdio {
        let mut stderr = std::io::stderr().lock();
        writeln!(stderr, "{line}")?;
        stderr.flush()
    } else {
        // Scripts read these lines to learn the ports: flush at once.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()
    }
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    let received = Arc::new(Received::default());
    let broker: Option<Arc<dyn Broker>> = match &args.broker {
        Some(url) => {
            let history = History::last(args.history.unwrap_or(1000));
            let broker = RedisBroker::connect(url, RedisConfig::new(history))
                .await
                .map_err(|error| format!("cannot reach the broker at {url}: {error}"))?;
            Some(Arc::new(broker))
        }
        None => None,
    };
    let topics = Arc::new(Topics {
        broker,
        history: args.history.map(History::last),
        by_name: Mutex::default(),
    });
    // One router behind every endpoint (with `rpc.discover`): a value
    // published over HTTP reaches a subscriber on TCP.
    let mut builder = Server::builder().drain_delay(Duration::from_millis(args.drain_delay));
    if args.explorer {
        builder = builder.explorer("/explorer");
    }
    let server = builder.build(router(&received, topics)?);
    let router = Arc::new(server.router().clone());

    let http_addr = match (&args.addr, args.stdio) {
        (Some(addr), _) => Some(addr.clone()),
        (None, false) => Some(DEFAULT_ADDR.to_owned()),
        (None, true) => None,
    };
    let mut http = None;
    if let Some(addr) = http_addr {
        let handle = server
            .bind(&addr)
            .await
            .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
        let local = handle.local_addr();
        announce(args.stdio, &format!("listening on {local}"))?;
        announce(
            args.stdio,
            &format!("HTTP POST http://{local}/ and WebSocket ws://{local}/"),
        )?;
        if args.explorer {
            announce(args.stdio, &format!("explorer http://{local}/explorer"))?;
        }
        http = Some(handle);
    }

    let mut streams = Vec::new();
    for spec in &args.tcp {
        let (addr, framing) = endpoint(spec, args.framing)?;
        let server = StreamServer::new(Arc::clone(&router), StreamConfig::new(framing));
        let handle = server
            .bind_tcp(addr)
            .await
            .map_err(|error| format!("cannot listen on tcp {addr}: {error}"))?;
        let local = handle
            .local_addr()
            .map_or_else(|| addr.to_owned(), |a| a.to_string());
        announce(args.stdio, &format!("TCP {local} ({framing})"))?;
        streams.push(handle);
    }
    for spec in &args.unix {
        let (path, framing) = endpoint(spec, args.framing)?;
        // A socket file left by an earlier run would refuse the bind.
        let _ = std::fs::remove_file(path);
        let server = StreamServer::new(Arc::clone(&router), StreamConfig::new(framing));
        let handle = server
            .bind_unix(path)
            .map_err(|error| format!("cannot listen on unix {path}: {error}"))?;
        announce(args.stdio, &format!("Unix {path} ({framing})"))?;
        streams.push(handle);
    }
    let zmq_kind = if args.zmq_socket == "rep" {
        SocketType::Rep
    } else {
        SocketType::Router
    };
    let mut zmqs = Vec::new();
    for endpoint in &args.zmq {
        if let Some(path) = endpoint.strip_prefix("ipc://") {
            // A socket file left by an earlier run would refuse the bind.
            let _ = std::fs::remove_file(path);
        }
        let server = ZmqServer::new(Arc::clone(&router), ZmqConfig::default());
        let handle = server
            .bind(endpoint, zmq_kind)
            .await
            .map_err(|error| format!("cannot bind ZeroMQ {zmq_kind} at {endpoint}: {error}"))?;
        announce(
            args.stdio,
            &format!("ZeroMQ {zmq_kind} {}", handle.local_endpoint()),
        )?;
        zmqs.push(handle);
    }
    if streams.is_empty() && zmqs.is_empty() && http.is_none() && !args.stdio {
        return Err("nothing to serve".into());
    }

    // Runs until a stop signal, or until stdin ends when serving it.
    let stopped_by = if args.stdio {
        let config = StreamConfig::new(args.framing);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let stdio = tokio::spawn(serve_stdio_until(Arc::clone(&router), config, async {
            let _ = stop_rx.await;
        }));
        tokio::pin!(stdio);
        tokio::select! {
            reason = &mut stdio => format!("stdio closed: {}", reason.map_or_else(|e| e.to_string(), |r| r.to_string())),
            signal = stop_signal() => {
                signal?;
                let _ = stop_tx.send(());
                let _ = tokio::time::timeout(Duration::from_secs(10), stdio).await;
                "stop signal".to_owned()
            }
        }
    } else {
        stop_signal().await?;
        "stop signal".to_owned()
    };

    let deadline = Duration::from_secs(10);
    let (http_outcome, stream_outcomes, zmq_outcomes) = tokio::join!(
        async {
            match &http {
                // /ready answers 503 through the drain delay first.
                Some(handle) => Some(handle.drain(deadline).await),
                None => None,
            }
        },
        futures_util::future::join_all(streams.iter().map(|handle| handle.shutdown(deadline))),
        futures_util::future::join_all(zmqs.iter().map(|handle| handle.shutdown(deadline))),
    );
    // Forced if any endpoint had to cut work short.
    let outcome = http_outcome
        .into_iter()
        .chain(stream_outcomes)
        .chain(zmq_outcomes)
        .find(|outcome| *outcome != Shutdown::Graceful)
        .unwrap_or(Shutdown::Graceful);
    for spec in &args.unix {
        if let Ok((path, _)) = endpoint(spec, args.framing) {
            let _ = std::fs::remove_file(path);
        }
    }
    announce(
        args.stdio,
        &format!(
            "stopped ({outcome:?}) by {stopped_by}; notifications received: update {}, notify_hello {}, notify_sum {}",
            received.update.load(Ordering::Relaxed),
            received.notify_hello.load(Ordering::Relaxed),
            received.notify_sum.load(Ordering::Relaxed),
        ),
    )?;
    if args.stdio {
        // Tokio's stdin reader is a blocking thread that may still wait
        // for a line: leave without waiting for it.
        std::process::exit(0);
    }
    Ok(())
}

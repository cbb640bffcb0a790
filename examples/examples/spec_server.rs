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
//! Run with `cargo run -p examples --example spec_server -- 127.0.0.1:4000`
//! (that address is the default; port 0 picks a free one). The first line on
//! stdout is `listening on ADDRESS`. Then try:
//!
//! ```text
//! curl -s http://127.0.0.1:4000/ -H 'content-type: application/json' \
//!      -d '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'
//! ```
//!
//! Ctrl-C or SIGTERM shuts it down gracefully: calls in flight finish,
//! WebSocket connections get a close frame.

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rpc_runtime::protocol::{codes, ErrorObjectOwned};
use rpc_runtime::server::Server;
use rpc_runtime::subscription::{PendingSubscription, Topic};
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
fn router(received: &Arc<Received>) -> Result<Router, RegisterError> {
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
    subscriptions(&mut router)?;
    Ok(router)
}

/// The topics `publish` reaches, by name.
#[derive(Default)]
struct Topics(Mutex<HashMap<String, Arc<Topic<Value>>>>);

impl Topics {
    fn get(&self, name: &str) -> Arc<Topic<Value>> {
        let mut topics = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        topics.entry(name.to_owned()).or_default().clone()
    }
}

/// `subscribe_count`, `subscribe_topic`, their unsubscribe methods and
/// `publish`.
fn subscriptions(router: &mut Router) -> Result<(), RegisterError> {
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
    let topics = Arc::new(Topics::default());
    let following = Arc::clone(&topics);
    router.register_subscription(
        "subscribe_topic",
        "topic",
        "unsubscribe_topic",
        &["topic"],
        move |(topic,): (String,), pending: PendingSubscription<Value>, _| {
            let topic = following.get(&topic);
            async move {
                if let Ok(sink) = pending.accept() {
                    topic.add(sink);
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
                topic.publish(&value).await.map_err(|error| {
                    ErrorObjectOwned::new(codes::INTERNAL_ERROR, error.to_string())
                })
            }
        },
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
    let received = Arc::new(Received::default());
    let handle = Server::builder()
        .build(router(&received)?)
        .bind(&addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local = handle.local_addr();
    {
        // Scripts read this line to learn the port: flush it at once.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on {local}")?;
        writeln!(
            stdout,
            "HTTP POST http://{local}/ and WebSocket ws://{local}/"
        )?;
        stdout.flush()?;
    }

    // Ctrl-C, or SIGTERM on Unix, stops it gracefully.
    let outcome = handle.shutdown_on_signal(Duration::from_secs(10)).await?;
    println!(
        "stopped ({outcome:?}); notifications received: update {}, notify_hello {}, notify_sum {}",
        received.update.load(Ordering::Relaxed),
        received.notify_hello.load(Ordering::Relaxed),
        received.notify_sum.load(Ordering::Relaxed),
    );
    Ok(())
}

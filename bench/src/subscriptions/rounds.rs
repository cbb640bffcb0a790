//! The subscription load: subscribers on WebSocket connections, one control
//! connection calling `flood(k)`, and rounds: flood, wait until every
//! subscriber has its `k` items (each checked in order, so a loss is seen),
//! then the next round. Every wait is bounded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::wire::{self, Ws};

/// How long one round (or one call) may take before the run fails.
const ROUND_TIMEOUT: Duration = Duration::from_secs(10);

/// Subscribe calls written before their answers are read.
const SUBSCRIBE_CHUNK: usize = 100;

/// The control connection: it calls `flood` and `subscribers`.
pub(crate) struct Control {
    ws: Ws,
    next_id: u64,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    id: Option<u64>,
}

fn reply(frame: &[u8]) -> Result<Reply<'_>, String> {
    serde_json::from_slice(frame).map_err(|e| {
        let shown = String::from_utf8_lossy(&frame[..frame.len().min(200)]).into_owned();
        format!("unparsable reply ({e}): {shown}")
    })
}

/// The result of a reply, its error as `Err`.
fn result<'a>(reply: &Reply<'a>) -> Result<&'a str, String> {
    match (reply.result, reply.error) {
        (Some(result), None) => Ok(result.get()),
        (_, Some(error)) => Err(format!("error {}", error.get())),
        (None, None) => Err("neither result nor error".to_owned()),
    }
}

impl Control {
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self, String> {
        Ok(Self {
            ws: Ws::connect(addr).await?,
            next_id: 1,
        })
    }

    /// Calls `method(params)` and returns its integer result.
    async fn call(&mut self, method: &str, params: &str) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let text =
            format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":{id}}}"#);
        self.ws.send_text(&text).await?;
        let frame = tokio::time::timeout(ROUND_TIMEOUT, self.ws.next_text())
            .await
            .map_err(|_| format!("no answer to {method} within {ROUND_TIMEOUT:?}"))??;
        let reply = reply(frame)?;
        if reply.id != Some(id) {
            return Err(format!(
                "{method}: answer with id {:?}, expected {id}",
                reply.id
            ));
        }
        let result = result(&reply).map_err(|e| format!("{method}: {e}"))?;
        result
            .parse()
            .map_err(|_| format!("{method}: result {result}, expected an integer"))
    }

    /// Waits (bounded) until the topic has exactly `n` subscribers: new
    /// ones registered, those of an earlier run gone.
    pub(crate) async fn await_subscribers(&mut self, n: u64) -> Result<(), String> {
        let deadline = Instant::now() + ROUND_TIMEOUT;
        loop {
            let count = self.call("subscribers", "[]").await?;
            if count == n {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("the topic has {count} subscribers, expected {n}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A connection holding subscriptions, by id (their JSON text).
pub(crate) struct Subscribed {
    ws: Ws,
    ids: HashMap<Vec<u8>, usize>,
}

/// Makes `n` subscriptions on a connection.
pub(crate) async fn subscribe(mut ws: Ws, n: usize) -> Result<Subscribed, String> {
    let mut ids = HashMap::with_capacity(n);
    let mut made = 0;
    while made < n {
        let chunk = SUBSCRIBE_CHUNK.min(n - made);
        for id in made..made + chunk {
            let text =
                format!(r#"{{"jsonrpc":"2.0","method":"subscribe_topic","params":[],"id":{id}}}"#);
            ws.send_text(&text).await?;
        }
        for _ in 0..chunk {
            let frame = tokio::time::timeout(ROUND_TIMEOUT, ws.next_text())
                .await
                .map_err(|_| "no answer to subscribe_topic".to_owned())??;
            let reply = reply(frame)?;
            let sub = result(&reply).map_err(|e| format!("subscribe_topic: {e}"))?;
            if ids.insert(sub.as_bytes().to_vec(), ids.len()).is_some() {
                return Err(format!("subscription id {sub} given twice"));
            }
        }
        made += chunk;
    }
    Ok(Subscribed { ws, ids })
}

/// The subscribers, reading on their own tasks.
pub(crate) struct Readers {
    tasks: Vec<JoinHandle<()>>,
    /// A connection's message each time all its subscriptions have had a
    /// round's `k` items, or why it stopped.
    done: mpsc::UnboundedReceiver<Result<(), String>>,
    delivered: Arc<AtomicU64>,
    subscriptions: u64,
}

impl Drop for Readers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts reading every connection; each round delivers `k` items.
pub(crate) fn read(connections: Vec<Subscribed>, k: u64) -> Readers {
    let (tx, done) = mpsc::unbounded_channel();
    let delivered = Arc::new(AtomicU64::new(0));
    let subscriptions = connections.iter().map(|c| c.ids.len() as u64).sum();
    let tasks = connections
        .into_iter()
        .map(|connection| {
            let tx = tx.clone();
            let delivered = Arc::clone(&delivered);
            tokio::spawn(async move {
                let stopped = reader(connection, k, &tx, &delivered).await;
                let _ = tx.send(Err(stopped));
            })
        })
        .collect();
    Readers {
        tasks,
        done,
        delivered,
        subscriptions,
    }
}

/// Counts and checks one connection's notifications: each subscription
/// must see `0, 1, .., k-1` every round. Returns why it stopped.
async fn reader(
    mut connection: Subscribed,
    k: u64,
    done: &mpsc::UnboundedSender<Result<(), String>>,
    delivered: &AtomicU64,
) -> String {
    let subs = connection.ids.len();
    let mut next = vec![0_u64; subs];
    let mut finished = 0;
    loop {
        let frame = match connection.ws.next_text().await {
            Ok(frame) => frame,
            Err(e) => return e,
        };
        let Some((id, value)) = wire::item(frame) else {
            let shown = String::from_utf8_lossy(&frame[..frame.len().min(200)]).into_owned();
            return if frame.windows(8).any(|w| w == b"\"error\":") {
                format!("the server ended a subscription: {shown}")
            } else {
                format!("not an item: {shown}")
            };
        };
        let Some(&index) = connection.ids.get(id) else {
            return format!(
                "an item for unknown subscription {}",
                String::from_utf8_lossy(id)
            );
        };
        let due = next[index];
        if value != due {
            return if value > due {
                format!(
                    "{} items lost: got {value} where {due} was due",
                    value - due
                )
            } else {
                format!("out of order: got {value} after {}", due - 1)
            };
        }
        delivered.fetch_add(1, Ordering::Relaxed);
        next[index] += 1;
        if next[index] == k {
            next[index] = 0;
            finished += 1;
            if finished == subs {
                finished = 0;
                if done.send(Ok(())).is_err() {
                    return "stopped".to_owned();
                }
            }
        }
    }
}

impl Readers {
    pub(crate) fn subscriptions(&self) -> u64 {
        self.subscriptions
    }

    /// One round: `flood(k)`, then every subscriber's `k` items.
    pub(crate) async fn round(&mut self, control: &mut Control, k: u64) -> Result<(), String> {
        let before = self.delivered.load(Ordering::Relaxed);
        let started = Instant::now();
        let reached = control.call("flood", &format!("[{k}]")).await?;
        if reached != self.subscriptions {
            return Err(format!(
                "flood reached {reached} subscribers, expected {}",
                self.subscriptions
            ));
        }
        for _ in &self.tasks {
            let left = ROUND_TIMEOUT.saturating_sub(started.elapsed());
            match tokio::time::timeout(left, self.done.recv()).await {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => return Err(e),
                Ok(None) => return Err("the readers stopped".to_owned()),
                Err(_) => {
                    let got = self.delivered.load(Ordering::Relaxed) - before;
                    return Err(format!(
                        "timed out after {ROUND_TIMEOUT:?}: {got} of {} notifications of the round \
                         arrived (the rest lost or stuck)",
                        k * self.subscriptions
                    ));
                }
            }
        }
        Ok(())
    }
}

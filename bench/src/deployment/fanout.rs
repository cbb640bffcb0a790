//! Topics across instances through Redis: subscribers on WebSocket
//! connections made directly to the instances (the bench's light client,
//! `subscriptions::wire`), publishers calling `publish` over HTTP directly
//! on an instance.
//!
//! - Latency: one item at a time, its value the µs since a start shared
//!   by the publisher and the subscribers (one process), so a delivery's
//!   latency is its arrival time minus that value.
//! - Throughput: 1,000 subscriptions spread over the three instances,
//!   several publishers as fast as the subscribers keep up with (each
//!   waits while more than [`WINDOW`] items are still undelivered), every
//!   subscription's items checked per publisher for a gap or a repeat.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::cluster::{Cluster, Cpu};
use super::http::Http;
use crate::servers::BoxError;
use crate::subscriptions::wire::{self, Ws};

/// How long any one wait may take before the run fails.
const WAIT: Duration = Duration::from_secs(10);

/// The latency run's items and their pace (one at a time, at most one per
/// tick).
pub(super) const LATENCY_ITEMS: u64 = 2_000;
const LATENCY_TICK: Duration = Duration::from_millis(1);

/// The throughput run: connections × subscriptions each, round robin over
/// the instances, and the publishers (round robin too).
pub(super) const CONNECTIONS: usize = 100;
pub(super) const PER_CONNECTION: usize = 10;
pub(super) const PUBLISHERS: u64 = 6;
/// At most this many items published and not yet delivered to every
/// subscriber (on average) before the publishers wait.
pub(super) const WINDOW: u64 = 500;

/// A connection with its subscriptions, by id (their JSON text).
struct Subscribed {
    ws: Ws,
    ids: HashMap<Vec<u8>, usize>,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    id: Option<u64>,
}

fn shown(frame: &[u8]) -> String {
    String::from_utf8_lossy(&frame[..frame.len().min(200)]).into_owned()
}

/// What a notification that is not an item is: the position a new
/// subscription starts at is expected, anything else (an interruption, a
/// gap, a lag) is reported.
fn is_position_note(frame: &[u8]) -> bool {
    let has = |needle: &[u8]| frame.windows(needle.len()).any(|w| w == needle);
    has(b"\"position\":") && !has(b"\"result\":")
}

/// Connects to `addr` and makes `n` subscriptions to `topic`, each live
/// (its starting position received) when this returns.
async fn subscribe(addr: SocketAddr, topic: &str, n: usize) -> Result<Subscribed, String> {
    let mut ws = Ws::connect(addr).await?;
    for id in 0..n {
        let text = format!(
            r#"{{"jsonrpc":"2.0","method":"subscribe_topic","params":["{topic}"],"id":{id}}}"#
        );
        ws.send_text(&text).await?;
    }
    let mut ids = HashMap::with_capacity(n);
    let mut positions = 0;
    while ids.len() < n || positions < n {
        let frame = tokio::time::timeout(WAIT, ws.next_text())
            .await
            .map_err(|_| format!("{addr}: subscribe_topic: no answer within {WAIT:?}"))??;
        if is_position_note(frame) {
            positions += 1;
            continue;
        }
        let reply: Reply<'_> = serde_json::from_slice(frame)
            .map_err(|e| format!("{addr}: unparsable ({e}): {}", shown(frame)))?;
        match (reply.id, reply.result, reply.error) {
            (Some(_), Some(sub), None) => {
                if ids
                    .insert(sub.get().as_bytes().to_vec(), ids.len())
                    .is_some()
                {
                    return Err(format!("{addr}: subscription id {} given twice", sub.get()));
                }
            }
            (_, _, Some(error)) => return Err(format!("{addr}: subscribe_topic: {}", error.get())),
            _ => {
                return Err(format!(
                    "{addr}: unexpected before any item: {}",
                    shown(frame)
                ))
            }
        }
    }
    Ok(Subscribed { ws, ids })
}

/// One latency run's deliveries, by where the subscriber was.
pub(super) struct Latencies {
    /// The subscriber on the publishing instance (A).
    pub(super) local: Vec<Duration>,
    /// The subscribers on the other instances (B and C).
    pub(super) remote: Vec<Duration>,
    /// The pace the publisher kept (items/s).
    pub(super) published_per_sec: f64,
}

/// Publishes [`LATENCY_ITEMS`] on `instances[0]` over HTTP, one at a time,
/// to one subscriber on each instance; every subscriber must get every
/// item, in order.
pub(super) async fn latency(instances: &[SocketAddr], topic: &str) -> Result<Latencies, BoxError> {
    let start = Instant::now();
    // Stopped if publishing fails, so that none lingers into the next
    // measurement.
    let mut readers = Readers(Vec::new());
    for &addr in instances {
        let subscribed = subscribe(addr, topic, 1).await?;
        readers
            .0
            .push(tokio::spawn(read_latencies(subscribed, start, addr)));
    }
    let publisher = instances.first().ok_or("no instance")?;
    let mut http = Http::connect(*publisher).await?;
    let publishing = Instant::now();
    let mut ticks = tokio::time::interval(LATENCY_TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for _ in 0..LATENCY_ITEMS {
        ticks.tick().await;
        let sent = start.elapsed().as_micros();
        let reached = http
            .call("publish", &format!(r#"["{topic}",{sent}]"#))
            .await?;
        if reached != instances.len() as i64 {
            return Err(format!(
                "publish reached {reached} instances, expected {}",
                instances.len()
            )
            .into());
        }
    }
    let mut latencies = Latencies {
        local: Vec::new(),
        remote: Vec::new(),
        published_per_sec: LATENCY_ITEMS as f64 / publishing.elapsed().as_secs_f64(),
    };
    for (i, reader) in readers.0.iter_mut().enumerate() {
        let got = reader.await??;
        if i == 0 {
            latencies.local.extend(got);
        } else {
            latencies.remote.extend(got);
        }
    }
    Ok(latencies)
}

/// Reads [`LATENCY_ITEMS`] items on one subscription: each one's latency.
async fn read_latencies(
    mut sub: Subscribed,
    start: Instant,
    addr: SocketAddr,
) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::with_capacity(LATENCY_ITEMS as usize);
    let mut last = None;
    while latencies.len() < LATENCY_ITEMS as usize {
        let frame = tokio::time::timeout(WAIT, sub.ws.next_text())
            .await
            .map_err(|_| {
                format!(
                    "{addr}: {} of {LATENCY_ITEMS} items arrived, then none for {WAIT:?}",
                    latencies.len()
                )
            })??;
        let arrived = start.elapsed();
        let Some((_, sent_us)) = wire::item(frame) else {
            if is_position_note(frame) {
                continue;
            }
            return Err(format!("{addr}: not an item: {}", shown(frame)));
        };
        if last.is_some_and(|last| sent_us <= last) {
            return Err(format!(
                "{addr}: item {sent_us} after {last:?}: out of order or repeated"
            ));
        }
        last = Some(sent_us);
        latencies.push(arrived.saturating_sub(Duration::from_micros(sent_us)));
    }
    Ok(latencies)
}

/// One throughput run.
pub(super) struct Throughput {
    pub(super) published_per_sec: f64,
    pub(super) deliveries_per_sec: f64,
    /// Items published in the whole run, warm-up included.
    pub(super) published: u64,
    /// Deliveries still missing once the publishers stopped and the
    /// subscribers were given [`WAIT`] to catch up.
    pub(super) missing: u64,
    /// Items that arrived after a later one of the same publisher (a gap:
    /// lost), and items repeated or out of order.
    pub(super) gaps: u64,
    pub(super) repeats: u64,
    /// The first notification that was neither an item nor a position.
    pub(super) note: Option<String>,
    pub(super) cpu: Cpu,
}

/// What one connection's reader saw.
#[derive(Default)]
struct Seen {
    gaps: AtomicU64,
    repeats: AtomicU64,
    note: Mutex<Option<String>>,
}

/// Subscribes [`CONNECTIONS`] × [`PER_CONNECTION`] to `topic` over the
/// instances, then publishes for `warmup` + `window` and measures the
/// window.
pub(super) async fn throughput(
    cluster: &Cluster,
    topic: &str,
    warmup: Duration,
    window: Duration,
) -> Result<Throughput, BoxError> {
    let instances = cluster.instances();
    let mut connecting = Vec::new();
    for c in 0..CONNECTIONS {
        let addr = instances[c % instances.len()];
        let topic = topic.to_owned();
        connecting.push(tokio::spawn(async move {
            subscribe(addr, &topic, PER_CONNECTION).await
        }));
    }
    let delivered = Arc::new(AtomicU64::new(0));
    let seen = Arc::new(Seen::default());
    let mut readers = Readers(Vec::new());
    for connection in connecting {
        let subscribed = connection.await??;
        readers.0.push(tokio::spawn(count(
            subscribed,
            Arc::clone(&delivered),
            Arc::clone(&seen),
        )));
    }
    let subscribers = (CONNECTIONS * PER_CONNECTION) as u64;

    let published = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut publishers = Vec::new();
    for p in 0..PUBLISHERS {
        let addr = instances[p as usize % instances.len()];
        let (topic, published, delivered, stop) = (
            topic.to_owned(),
            Arc::clone(&published),
            Arc::clone(&delivered),
            Arc::clone(&stop),
        );
        let expected = instances.len() as i64;
        publishers.push(tokio::spawn(async move {
            let mut http = Http::connect(addr).await?;
            let mut k = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                // An item may arrive before its publish is answered.
                let behind = published
                    .load(Ordering::Relaxed)
                    .saturating_sub(delivered.load(Ordering::Relaxed) / subscribers);
                if behind > WINDOW {
                    tokio::time::sleep(Duration::from_micros(500)).await;
                    continue;
                }
                let value = k * PUBLISHERS + p;
                let reached = http
                    .call("publish", &format!(r#"["{topic}",{value}]"#))
                    .await?;
                if reached != expected {
                    return Err(format!(
                        "publish reached {reached} instances, expected {expected}"
                    ));
                }
                published.fetch_add(1, Ordering::Relaxed);
                k += 1;
            }
            Ok::<_, String>(())
        }));
    }
    tokio::time::sleep(warmup).await;
    let snapshot = || {
        (
            Instant::now(),
            published.load(Ordering::Relaxed),
            delivered.load(Ordering::Relaxed),
            cluster.cpu(),
        )
    };
    let before = snapshot();
    tokio::time::sleep(window).await;
    let after = snapshot();
    stop.store(true, Ordering::Relaxed);
    for publisher in publishers {
        publisher.await??;
    }
    let published_total = published.load(Ordering::Relaxed);
    let expected = published_total * subscribers;
    // Let the subscribers catch up while they make progress.
    let mut last = (delivered.load(Ordering::Relaxed), Instant::now());
    while last.0 < expected && last.1.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = delivered.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
    }
    let delivered_total = delivered.load(Ordering::Relaxed);
    drop(readers);
    let secs = after.0.duration_since(before.0).as_secs_f64();
    let note = seen
        .note
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    Ok(Throughput {
        published_per_sec: (after.1 - before.1) as f64 / secs,
        deliveries_per_sec: (after.2 - before.2) as f64 / secs,
        published: published_total,
        missing: expected.saturating_sub(delivered_total),
        gaps: seen.gaps.load(Ordering::Relaxed),
        repeats: seen.repeats.load(Ordering::Relaxed),
        note,
        cpu: after.3.since(before.3),
    })
}

/// The reader tasks, stopped when dropped.
struct Readers<T>(Vec<tokio::task::JoinHandle<T>>);

impl<T> Drop for Readers<T> {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Counts one connection's items and checks, per subscription and
/// publisher, that each is the one after the last.
async fn count(mut sub: Subscribed, delivered: Arc<AtomicU64>, seen: Arc<Seen>) {
    let mut next = vec![[0_u64; PUBLISHERS as usize]; sub.ids.len()];
    let note = |text: String| {
        let mut note = seen.note.lock().unwrap_or_else(PoisonError::into_inner);
        note.get_or_insert(text);
    };
    loop {
        let frame = match sub.ws.next_text().await {
            Ok(frame) => frame,
            Err(e) => return note(format!("a subscriber's connection: {e}")),
        };
        let Some((id, value)) = wire::item(frame) else {
            if !is_position_note(frame) {
                note(shown(frame));
            }
            continue;
        };
        let Some(&index) = sub.ids.get(id) else {
            note(format!(
                "an item for an unknown subscription: {}",
                shown(frame)
            ));
            continue;
        };
        let (publisher, k) = ((value % PUBLISHERS) as usize, value / PUBLISHERS);
        let due = &mut next[index][publisher];
        match k.cmp(due) {
            std::cmp::Ordering::Equal => {}
            std::cmp::Ordering::Greater => {
                seen.gaps.fetch_add(k - *due, Ordering::Relaxed);
            }
            // Not counted as delivered: the item already was.
            std::cmp::Ordering::Less => {
                seen.repeats.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        }
        *due = k + 1;
        delivered.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::{is_position_note, wire};

    #[test]
    fn position_notes_are_told_from_items_and_other_notes() {
        let note = br#"{"jsonrpc":"2.0","method":"topic","params":{"subscription":"s1","position":"e:1-0"}}"#;
        let item = br#"{"jsonrpc":"2.0","method":"topic","params":{"subscription":"s1","result":42,"position":"e:2-0"}}"#;
        let gap = br#"{"jsonrpc":"2.0","method":"topic","params":{"subscription":"s1","gap":{"since":"e:1-0"}}}"#;
        assert!(is_position_note(note));
        assert!(!is_position_note(item));
        assert_eq!(wire::item(item), Some((&br#""s1""#[..], 42)));
        assert!(!is_position_note(gap));
        assert_eq!(wire::item(gap), None);
    }
}

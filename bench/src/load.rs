//! The load generator: plain JSON-RPC over HTTP/1.1 keep-alive connections
//! or WebSocket connections with calls in flight, checking the id and the
//! result of every response. A run with any wrong answer is a failed run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use http::{header, Request};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::measure::{drive, Measurement, Recorder, Timing};
use crate::process::ServerProcess;

/// How load is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// `connections` HTTP/1.1 keep-alive connections, one request at a time
    /// each; `batch` calls per request (1 = a single call, not a batch).
    Http { connections: usize, batch: usize },
    /// `connections` WebSocket connections with `in_flight` calls pipelined
    /// on each.
    Ws {
        connections: usize,
        in_flight: usize,
    },
}

impl Load {
    pub(crate) fn describe(self) -> String {
        match self {
            Load::Http {
                connections,
                batch: 1,
            } => format!("HTTP, {connections} conn"),
            Load::Http { connections, batch } => {
                format!("HTTP batch of {batch}, {connections} conn")
            }
            Load::Ws {
                connections,
                in_flight,
            } => format!("WS, {connections} conn × {in_flight} in flight"),
        }
    }

    pub(crate) fn is_ws(self) -> bool {
        matches!(self, Load::Ws { .. })
    }

    fn connections(self) -> usize {
        match self {
            Load::Http { connections, .. } | Load::Ws { connections, .. } => connections,
        }
    }
}

/// Drives `server` with `load` for one run and measures the server's CPU.
pub(crate) async fn run(server: &ServerProcess, load: Load, timing: Timing) -> Measurement {
    let addr = server.addr();
    // Raw servers do no JSON work, so they are only sent `add(1,2)`.
    let raw = server.kind().is_raw();
    drive(
        load.connections(),
        timing,
        || server.cpu_time(),
        move |index, recorder| async move {
            let mut calls = Calls::new(index, raw);
            match load {
                Load::Http { batch, .. } => http_worker(addr, batch, &mut calls, recorder).await,
                Load::Ws { in_flight, .. } => {
                    ws_worker(addr, in_flight, &mut calls, recorder).await
                }
            }
        },
    )
    .await
}

/// Makes `add(a, b)` calls with fresh ids and, except for raw servers,
/// varying arguments, remembering what each answer must be.
pub(crate) struct Calls {
    worker: i64,
    next_id: u64,
    raw: bool,
}

impl Calls {
    pub(crate) fn new(worker: usize, raw: bool) -> Self {
        Self {
            worker: i64::try_from(worker).unwrap_or(0),
            next_id: 1,
            raw,
        }
    }

    /// Appends one call to `out`; returns its id and expected result.
    pub(crate) fn write(&mut self, out: &mut String) -> (u64, i64) {
        let id = self.next_id;
        self.next_id += 1;
        let (a, b) = if self.raw {
            (1, 2)
        } else {
            let n = i64::try_from(id).unwrap_or(0);
            (self.worker * 1_000_003 + n, 17 - 3 * n)
        };
        let _ = write!(
            out,
            r#"{{"jsonrpc":"2.0","method":"add","params":[{a},{b}],"id":{id}}}"#
        );
        (id, a + b)
    }

    /// A batch of `len` calls; raw servers get the ids `1..=len` their
    /// canned answer has (`len` must then be `raw_http::RAW_BATCH_LEN`). Returns the first id (ids are consecutive).
    fn write_batch(&mut self, len: usize, out: &mut String) -> (u64, Vec<i64>) {
        if self.raw {
            self.next_id = 1;
        }
        let first = self.next_id;
        out.push('[');
        let expected = (0..len)
            .map(|i| {
                if i > 0 {
                    out.push(',');
                }
                self.write(out).1
            })
            .collect();
        out.push(']');
        (first, expected)
    }
}

#[derive(Deserialize)]
struct Reply<'a> {
    jsonrpc: Option<&'a str>,
    result: Option<i64>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    id: Option<u64>,
}

impl Reply<'_> {
    fn check(&self, expected: i64) -> Result<(), String> {
        if self.jsonrpc != Some("2.0") {
            return Err(format!("bad jsonrpc member {:?}", self.jsonrpc));
        }
        match (self.result, self.error) {
            (Some(result), None) if result == expected => Ok(()),
            (Some(result), None) => Err(format!("result {result}, expected {expected}")),
            (_, Some(error)) => Err(format!("error {}", error.get())),
            (None, None) => Err("neither result nor error".to_owned()),
        }
    }
}

fn check_single(body: &[u8], id: u64, expected: i64) -> Result<(), String> {
    let reply: Reply<'_> = serde_json::from_slice(body).map_err(|e| unparsable(body, &e))?;
    if reply.id != Some(id) {
        return Err(format!("id {:?}, expected {id}", reply.id));
    }
    reply.check(expected)
}

fn check_batch(body: &[u8], first: u64, expected: &[i64]) -> Result<(), String> {
    let replies: Vec<Reply<'_>> = serde_json::from_slice(body).map_err(|e| unparsable(body, &e))?;
    if replies.len() != expected.len() {
        return Err(format!(
            "{} answers to {} calls",
            replies.len(),
            expected.len()
        ));
    }
    let mut seen = vec![false; expected.len()];
    for reply in &replies {
        let index = reply
            .id
            .and_then(|id| id.checked_sub(first))
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < expected.len() && !seen[i])
            .ok_or_else(|| format!("unexpected or repeated id {:?}", reply.id))?;
        seen[index] = true;
        reply.check(expected[index])?;
    }
    Ok(())
}

fn unparsable(body: &[u8], error: &serde_json::Error) -> String {
    let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    format!("unparsable response ({error}): {shown}")
}

async fn http_worker(
    addr: SocketAddr,
    batch: usize,
    calls: &mut Calls,
    mut recorder: Recorder,
) -> Recorder {
    if let Err(e) = http_loop(addr, batch, calls, &mut recorder).await {
        recorder.fail(e);
    }
    recorder
}

async fn http_loop(
    addr: SocketAddr,
    batch: usize,
    calls: &mut Calls,
    recorder: &mut Recorder,
) -> Result<(), String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(connection);
    let host = addr.to_string();
    let mut body = String::new();
    while recorder.running() {
        body.clear();
        let expected = if batch == 1 {
            let (id, result) = calls.write(&mut body);
            (id, vec![result])
        } else {
            calls.write_batch(batch, &mut body)
        };
        let request = Request::post("/")
            .header(header::HOST, &host)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(|e| e.to_string())?;
        let sent = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("HTTP request: {e}"))?;
        let status = response.status();
        let reply = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("HTTP body: {e}"))?
            .to_bytes();
        if !status.is_success() {
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&reply)
            ));
        }
        if batch == 1 {
            check_single(&reply, expected.0, expected.1[0])?;
        } else {
            check_batch(&reply, expected.0, &expected.1)?;
        }
        recorder.record(sent, expected.1.len() as u64);
    }
    Ok(())
}

async fn ws_worker(
    addr: SocketAddr,
    in_flight: usize,
    calls: &mut Calls,
    mut recorder: Recorder,
) -> Recorder {
    if let Err(e) = ws_loop(addr, in_flight, calls, &mut recorder).await {
        recorder.fail(e);
    }
    recorder
}

/// Keeps `in_flight` calls outstanding: every answer that has arrived is
/// checked and replaced by a new call, and the new calls go out in one flush.
async fn ws_loop(
    addr: SocketAddr,
    in_flight: usize,
    calls: &mut Calls,
    recorder: &mut Recorder,
) -> Result<(), String> {
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(format!("ws://{addr}/"), None, true)
            .await
            .map_err(|e| format!("WebSocket connect {addr}: {e}"))?;
    let mut pending: HashMap<u64, (Instant, i64)> = HashMap::with_capacity(in_flight);
    let send = |ws_calls: &mut Calls, pending: &mut HashMap<u64, (Instant, i64)>| {
        let mut text = String::new();
        let (id, expected) = ws_calls.write(&mut text);
        pending.insert(id, (Instant::now(), expected));
        Message::text(text)
    };
    for _ in 0..in_flight {
        let message = send(calls, &mut pending);
        ws.feed(message)
            .await
            .map_err(|e| format!("WebSocket send: {e}"))?;
    }
    ws.flush()
        .await
        .map_err(|e| format!("WebSocket send: {e}"))?;
    while !pending.is_empty() {
        let mut next = Some(ws.next().await);
        let mut answered = 0;
        while let Some(message) = next {
            match message {
                Some(Ok(Message::Text(text))) => {
                    let reply: Reply<'_> = serde_json::from_str(text.as_str())
                        .map_err(|e| unparsable(text.as_bytes(), &e))?;
                    let (sent, expected) = reply
                        .id
                        .and_then(|id| pending.remove(&id))
                        .ok_or_else(|| format!("unexpected id {:?}", reply.id))?;
                    reply.check(expected)?;
                    recorder.record(sent, 1);
                    answered += 1;
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err("the server closed the connection".to_owned())
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("WebSocket read: {e}")),
            }
            // Take whatever else has already arrived before writing.
            next = ws.next().now_or_never();
        }
        if recorder.running() {
            for _ in 0..answered {
                let message = send(calls, &mut pending);
                ws.feed(message)
                    .await
                    .map_err(|e| format!("WebSocket send: {e}"))?;
            }
            ws.flush()
                .await
                .map_err(|e| format!("WebSocket send: {e}"))?;
        }
    }
    let _ = tokio::time::timeout(Duration::from_millis(200), ws.close(None)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ours(text: &str) -> String {
        let router = crate::servers::ours::router().unwrap();
        let ctx = rpc_runtime::Context::new();
        router.handle(text, &ctx).now_or_never().unwrap().unwrap()
    }

    #[test]
    fn our_router_passes_the_generators_checks() {
        let mut calls = Calls::new(3, false);
        let mut text = String::new();
        let (id, expected) = calls.write(&mut text);
        check_single(ours(&text).as_bytes(), id, expected).unwrap();

        let mut batch = String::new();
        let (first, expected) = calls.write_batch(100, &mut batch);
        check_batch(ours(&batch).as_bytes(), first, &expected).unwrap();
    }

    #[test]
    fn wrong_answers_fail_the_check() {
        let mut calls = Calls::new(0, false);
        let mut text = String::new();
        let (id, expected) = calls.write(&mut text);
        let reply = ours(&text);
        assert!(check_single(reply.as_bytes(), id + 1, expected).is_err());
        assert!(check_single(reply.as_bytes(), id, expected + 1).is_err());
        let error = format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":-32601,"message":"Method not found"}},"id":{id}}}"#
        );
        assert!(check_single(error.as_bytes(), id, expected).is_err());

        let mut batch = String::new();
        let (first, expected) = calls.write_batch(3, &mut batch);
        let reply = ours(&batch);
        let one_missing = format!(
            "[{}]",
            reply[1..reply.len() - 1].split_once("},").unwrap().1
        );
        assert!(check_batch(one_missing.as_bytes(), first, &expected).is_err());
    }

    #[test]
    fn raw_servers_get_add_1_2_and_their_canned_batch_passes() {
        let mut calls = Calls::new(5, true);
        let mut text = String::new();
        let (_, expected) = calls.write(&mut text);
        assert_eq!(expected, 3);
        assert!(text.contains("[1,2]"));
        let mut batch = String::new();
        let (first, expected) = calls.write_batch(100, &mut batch);
        let canned = crate::servers::raw_http::canned_batch(100);
        check_batch(&canned, first, &expected).unwrap();
    }
}

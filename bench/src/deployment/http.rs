//! JSON-RPC over one HTTP/1.1 keep-alive connection (hyper, as the rest of
//! the bench's load generator), and the closed-loop `subtract` load.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpStream;

use crate::measure::{drive, Measurement, Recorder, Timing};

/// One keep-alive connection, one call at a time.
pub(super) struct Http {
    addr: SocketAddr,
    /// `None` once the server said it closes the connection.
    sender: Option<SendRequest<Full<Bytes>>>,
    host: String,
    next_id: u64,
    /// Calls answered on the current connection.
    on_connection: u64,
}

#[derive(Deserialize)]
struct Reply<'a> {
    result: Option<i64>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
    id: Option<u64>,
}

impl Http {
    pub(super) async fn connect(addr: SocketAddr) -> Result<Self, String> {
        Ok(Self {
            addr,
            sender: Some(handshake(addr).await?),
            host: addr.to_string(),
            next_id: 1,
            on_connection: 0,
        })
    }

    /// Calls `method` with `params` (JSON text) and returns its integer
    /// result; an error answer, a wrong id or a non-2xx status is an error.
    pub(super) async fn call(&mut self, method: &str, params: &str) -> Result<i64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let body =
            format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":{id}}}"#);
        let request = Request::post("/")
            .header(header::HOST, &self.host)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        // nginx closes a client connection after `keepalive_requests`
        // (1000) calls, saying so in the last answer: a new one then.
        let sender = match &mut self.sender {
            Some(sender) => sender,
            None => {
                self.on_connection = 0;
                self.sender.insert(handshake(self.addr).await?)
            }
        };
        // The connection takes the next request once it has finished
        // with the last answer, which may be just after its body was read.
        sender.ready().await.map_err(|e| {
            format!(
                "{method}: HTTP connection (after {} calls on it): {e:?}",
                self.on_connection
            )
        })?;
        let response = sender.send_request(request).await.map_err(|e| {
            format!(
                "{method}: HTTP request (call {} on the connection): {e:?}",
                self.on_connection + 1
            )
        })?;
        self.on_connection += 1;
        let closing = response
            .headers()
            .get(header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if closing {
            self.sender = None;
        }
        let status = response.status();
        let reply = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("HTTP body: {e}"))?
            .to_bytes();
        let shown = || String::from_utf8_lossy(&reply[..reply.len().min(200)]).into_owned();
        if !status.is_success() {
            return Err(format!("{method}: HTTP {status}: {}", shown()));
        }
        let parsed: Reply<'_> = serde_json::from_slice(&reply)
            .map_err(|e| format!("{method}: unparsable answer ({e}): {}", shown()))?;
        if parsed.id != Some(id) {
            return Err(format!(
                "{method}: answer id {:?}, expected {id}",
                parsed.id
            ));
        }
        match (parsed.result, parsed.error) {
            (Some(result), None) => Ok(result),
            (_, Some(error)) => Err(format!("{method}: error {}", error.get())),
            (None, None) => Err(format!("{method}: no integer result: {}", shown())),
        }
    }
}

/// A new HTTP/1.1 connection to `addr`.
async fn handshake(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

/// `callers` connections to `addr`, each calling `subtract(a, b)` in a
/// closed loop (every answer checked), measured over `timing`; `cpu` reads
/// the CPU whose cost per call is reported.
pub(super) async fn subtract_load(
    addr: SocketAddr,
    callers: usize,
    timing: Timing,
    cpu: impl Fn() -> Duration,
) -> Measurement {
    drive(
        callers,
        timing,
        cpu,
        move |index, mut recorder| async move {
            if let Err(e) = subtract_loop(addr, index, &mut recorder).await {
                recorder.fail(e);
            }
            recorder
        },
    )
    .await
}

async fn subtract_loop(
    addr: SocketAddr,
    index: usize,
    recorder: &mut Recorder,
) -> Result<(), String> {
    let mut http = Http::connect(addr).await?;
    let base = i64::try_from(index).unwrap_or(0) * 1_000_003;
    let mut n = 0_i64;
    while recorder.running() {
        let (a, b) = (base + n, 17 - 3 * n);
        let sent = Instant::now();
        let result = http.call("subtract", &format!("[{a},{b}]")).await?;
        if result != a - b {
            return Err(format!("subtract({a}, {b}) answered {result}"));
        }
        recorder.record(sent, 1);
        n += 1;
    }
    Ok(())
}

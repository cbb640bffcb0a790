//! What the `rpc` tests share: our servers on 127.0.0.1 (free ports, every
//! transport), a server that answers nonsense, and running the binary.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::stream::{StreamConfig, StreamServer, StreamServerHandle};
use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::zmq::{ZmqConfig, ZmqServer, ZmqServerHandle};
use rpc_runtime::{rpc, Router, RpcError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Arithmetic that does not fit.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The result is out of range.
    #[error("the result is out of range")]
    #[rpc(code = 1000)]
    Overflow,
}

/// The methods the tests call.
#[rpc]
pub trait Calc {
    /// `minuend - subtrahend`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
    /// Says `text` back.
    fn echo(&self, text: String) -> String;
    /// Whether `flag` is set, and how many times to say it.
    fn flags(&self, flag: bool, times: Option<u32>) -> (bool, u32);
    /// Records `line` (a notification).
    #[notification]
    fn log(&self, line: String);
    /// The lines recorded so far.
    fn logged(&self) -> Vec<String>;
    /// Answers `ms` after `ms` milliseconds.
    async fn slow(&self, ms: u64) -> u64;
    /// Pushes `start`, `start + 1`, … every `every_ms` milliseconds.
    #[subscription(notification = "count", unsubscribe = "unsubscribe_count", item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64);
}

/// The implementation, with the log of notifications.
#[derive(Clone, Default)]
pub struct CalcImpl {
    lines: Arc<Mutex<Vec<String>>>,
    /// Set when a subscription's sink closed (an unsubscribe or a hang-up).
    pub ended: Arc<Mutex<u32>>,
}

impl Calc for CalcImpl {
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        minuend.checked_sub(subtrahend).ok_or(CalcError::Overflow)
    }
    fn echo(&self, text: String) -> String {
        text
    }
    fn flags(&self, flag: bool, times: Option<u32>) -> (bool, u32) {
        (flag, times.unwrap_or(1))
    }
    fn log(&self, line: String) {
        self.lines.lock().unwrap().push(line);
    }
    fn logged(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
    async fn slow(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64) {
        let Ok(sink) = pending.accept() else { return };
        let mut n = start;
        loop {
            tokio::select! {
                () = sink.closed() => break,
                () = tokio::time::sleep(Duration::from_millis(every_ms.max(1))) => {}
            }
            if sink.send(&n).await.is_err() {
                break;
            }
            n += 1;
        }
        *self.ended.lock().unwrap() += 1;
    }
}

/// Our server on every transport at once, all with `rpc.discover`.
pub struct Servers {
    /// The implementation behind every endpoint.
    pub calc: CalcImpl,
    http: ServerHandle,
    tcp: StreamServerHandle,
    tcp_cl: StreamServerHandle,
    unix: StreamServerHandle,
    unix_path: PathBuf,
    zmq: ZmqServerHandle,
}

impl Servers {
    /// Starts them.
    pub async fn start() -> Self {
        let calc = CalcImpl::default();
        let server = Server::builder().build(calc.clone().into_router());
        let router = Arc::new(server.router().clone());
        let http = server.bind("127.0.0.1:0").await.unwrap();
        let tcp = StreamServer::new(Arc::clone(&router), StreamConfig::default())
            .bind_tcp("127.0.0.1:0")
            .await
            .unwrap();
        let tcp_cl = StreamServer::new(
            Arc::clone(&router),
            StreamConfig::new(rpc_runtime::stream::Framing::ContentLength),
        )
        .bind_tcp("127.0.0.1:0")
        .await
        .unwrap();
        let unix_path = unique_path("sock");
        let unix = StreamServer::new(Arc::clone(&router), StreamConfig::default())
            .bind_unix(&unix_path)
            .unwrap();
        let zmq = ZmqServer::new(Arc::clone(&router), ZmqConfig::default())
            .bind_rep("tcp://127.0.0.1:0")
            .await
            .unwrap();
        Self {
            calc,
            http,
            tcp,
            tcp_cl,
            unix,
            unix_path,
            zmq,
        }
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn http(&self) -> String {
        format!("http://{}/", self.http.local_addr())
    }
    /// `ws://127.0.0.1:PORT/`.
    pub fn ws(&self) -> String {
        format!("ws://{}/", self.http.local_addr())
    }
    /// `tcp://127.0.0.1:PORT` (newline framing).
    pub fn tcp(&self) -> String {
        format!("tcp://{}", self.tcp.local_addr().unwrap())
    }
    /// `tcp://127.0.0.1:PORT?framing=content-length`.
    pub fn tcp_content_length(&self) -> String {
        format!(
            "tcp://{}?framing=content-length",
            self.tcp_cl.local_addr().unwrap()
        )
    }
    /// `unix:/path`.
    pub fn unix(&self) -> String {
        format!("unix:{}", self.unix_path.display())
    }
    /// `zmq+tcp://127.0.0.1:PORT`.
    pub fn zmq(&self) -> String {
        format!("zmq+tcp://{}", self.zmq.local_addr().unwrap())
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.unix_path);
    }
}

/// A TCP server (newline framing) without `rpc.discover`: args go as given.
pub async fn no_discover() -> (StreamServerHandle, String) {
    let mut router = Router::new();
    router
        .register_sync_args(
            "subtract",
            &["minuend", "subtrahend"],
            |(a, b): (i64, i64), _| Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(a - b),
        )
        .unwrap();
    router
        .register_sync("echo", |params, _| params.parse::<serde_json::Value>())
        .unwrap();
    let handle = StreamServer::new(router, StreamConfig::default())
        .bind_tcp("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("tcp://{}", handle.local_addr().unwrap());
    (handle, url)
}

/// An HTTP server answering every POST with `body` (status 200), to see
/// what `rpc` makes of a reply that is not a JSON-RPC response.
pub async fn answering(body: &'static str) -> String {
    answering_status("200 OK", body).await
}

/// An HTTP server answering every POST with `status` and `body`.
pub async fn answering_status(status: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0_u8; 4096];
                // Read the head and the body (Content-Length) of one request.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let l = l.to_ascii_lowercase();
                                l.strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}/")
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A fresh path in the temp dir.
pub fn unique_path(ext: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "rpc-cli-test-{}-{}.{ext}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// What a run of `rpc` gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

/// The `rpc` binary under test.
pub fn rpc_path() -> &'static str {
    env!("CARGO_BIN_EXE_rpc")
}

/// Runs `rpc ARGS…` with `stdin` (stdout piped: no terminal).
pub async fn rpc_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = tokio::process::Command::new(rpc_path())
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("rpc finished within 60 s")
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs `rpc ARGS…`.
pub async fn rpc(args: &[&str]) -> Run {
    rpc_with_stdin(args, "").await
}

/// Asserts the exit code, showing the run when it differs.
#[track_caller]
pub fn assert_code(run: &Run, code: i32) {
    assert_eq!(run.code, code, "exit code of rpc: {run:#?}");
}

/// The `spec_server` example's binary (built once, here), for `stdio:`.
pub fn spec_server() -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
            let mut cargo = std::process::Command::new(env!("CARGO"));
            cargo.args([
                "build",
                "-q",
                "--manifest-path",
                manifest,
                "-p",
                "examples",
                "--example",
                "spec_server",
            ]);
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy().into_owned();
                if name.starts_with("CARGO_PKG_")
                    || name.starts_with("CARGO_MANIFEST_")
                    || name.starts_with("CARGO_BIN_")
                    || name == "CARGO_CRATE_NAME"
                    || name == "CARGO_PRIMARY_PACKAGE"
                    || name == "CARGO_TARGET_TMPDIR"
                {
                    cargo.env_remove(name);
                }
            }
            let status = cargo
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err("`cargo build -p examples --example spec_server` failed".to_owned());
            }
            // target/debug/rpc -> target/debug/examples/spec_server
            let bin = Path::new(rpc_path())
                .parent()
                .unwrap()
                .join("examples")
                .join("spec_server");
            if bin.exists() {
                Ok(bin)
            } else {
                Err(format!("{} is missing after the build", bin.display()))
            }
        })
        .clone()
        .unwrap_or_else(|why| panic!("stdio tests need the spec_server example: {why}"))
}

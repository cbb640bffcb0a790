//! Hardening of the byte-stream transports, per transport (TCP with
//! newlines, TCP with `Content-Length`, Unix sockets in both framings, and
//! a child's stdio where it applies), against what the module docs of
//! `rpc_runtime::stream` promise: a frame over the size limit gets `-32002`
//! then a close, an unreadable `Content-Length` header `-32700` then a
//! close, a `Content-Length` message cut short by the end of the stream is
//! dropped while what came before it is answered, a client that never
//! reads is slowed down rather than buffered, and abrupt disconnects leave
//! no connection behind. Throughout, a well-behaved client on another
//! connection keeps being served within a bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rpc_client::stream::{Framing, StreamClient, StreamConfig};
use rpc_client::EncodedParams;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::stream::{StreamServer, StreamServerHandle};
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWrite};
use tokio::io::{AsyncWriteExt as _, BufReader};
use tokio::process::{Child, Command};

/// How long any single step may take.
const WAIT: Duration = Duration::from_secs(10);
/// How long a well-behaved client's call may take while another
/// connection misbehaves (generous: the tests share two cores).
const SERVED_WITHIN: Duration = Duration::from_secs(2);
/// The size limit of the servers here.
const LIMIT: usize = 64 * 1024;

type Reader = Pin<Box<dyn AsyncRead + Send>>;
type Writer = Pin<Box<dyn AsyncWrite + Send>>;

/// Where a server listens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Tcp,
    Unix,
}

/// The socket transports, each in both framings.
const SOCKETS: [(Kind, Framing); 4] = [
    (Kind::Tcp, Framing::Newline),
    (Kind::Tcp, Framing::ContentLength),
    (Kind::Unix, Framing::Newline),
    (Kind::Unix, Framing::ContentLength),
];

/// The methods: the specification's, `hello`, `sleep` and `repeat` (which
/// counts its calls, to see how many a connection let through).
fn router(repeats: Arc<AtomicUsize>) -> Router {
    let mut router = tests::spec_router();
    router
        .register_sync("hello", |params, _| {
            let (name,): (String,) = params.decode(&["name"])?;
            Ok::<_, ErrorObjectOwned>(format!("Hello, {name}!"))
        })
        .unwrap();
    router
        .register_async("sleep", |params, _| {
            let ms = params.decode::<(u64,)>(&["ms"]);
            async move {
                let (ms,) = ms?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>(ms)
            }
        })
        .unwrap();
    router
        .register_sync("repeat", move |params, _| {
            let (n,): (usize,) = params.decode(&["n"])?;
            repeats.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ErrorObjectOwned>("x".repeat(n))
        })
        .unwrap();
    router
}

/// A server on one socket transport, with its call counter.
struct Server {
    kind: Kind,
    framing: Framing,
    handle: StreamServerHandle,
    path: Option<PathBuf>,
    repeats: Arc<AtomicUsize>,
}

impl Server {
    async fn start(kind: Kind, config: StreamConfig) -> Self {
        let repeats = Arc::new(AtomicUsize::new(0));
        let framing = config.framing;
        let server = StreamServer::new(router(repeats.clone()), config);
        let (handle, path) = match kind {
            Kind::Tcp => (server.bind_tcp("127.0.0.1:0").await.unwrap(), None),
            Kind::Unix => {
                let path = socket_path();
                (server.bind_unix(&path).unwrap(), Some(path))
            }
        };
        Self {
            kind,
            framing,
            handle,
            path,
            repeats,
        }
    }

    fn name(&self) -> String {
        format!("{:?} {}", self.kind, self.framing)
    }

    /// A raw connection, to misbehave on.
    async fn raw(&self) -> Raw {
        let (read, write): (Reader, Writer) = match self.kind {
            Kind::Tcp => {
                let socket = tokio::net::TcpStream::connect(self.handle.local_addr().unwrap())
                    .await
                    .unwrap();
                socket.set_nodelay(true).unwrap();
                let (read, write) = socket.into_split();
                (Box::pin(read), Box::pin(write))
            }
            Kind::Unix => {
                let socket = tokio::net::UnixStream::connect(self.path.as_ref().unwrap())
                    .await
                    .unwrap();
                let (read, write) = socket.into_split();
                (Box::pin(read), Box::pin(write))
            }
        };
        Raw::new(read, write, self.framing)
    }

    /// A well-behaved client.
    async fn client(&self) -> StreamClient {
        let builder = StreamClient::builder(self.framing).request_timeout(WAIT);
        match self.kind {
            Kind::Tcp => builder.connect_tcp(self.handle.local_addr().unwrap()).await,
            Kind::Unix => builder.connect_unix(self.path.as_ref().unwrap()).await,
        }
        .unwrap()
    }

    /// Waits until exactly `n` connections are open; fails after [`WAIT`].
    async fn settles_at(&self, n: usize) {
        let started = Instant::now();
        while self.handle.connections_active() != n {
            assert!(
                started.elapsed() < WAIT,
                "{}: {} connections open, expected {n}",
                self.name(),
                self.handle.connections_active()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn stop(self) {
        self.handle.shutdown(WAIT).await;
    }
}

/// A fresh path for a Unix socket, in a directory of its own.
fn socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rpc-hardening-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("rpc.sock")
}

/// A raw byte stream to a server: write bytes, read framed answers.
struct Raw {
    read: BufReader<Reader>,
    write: Writer,
    framing: Framing,
}

/// How a stream ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// A clean end of stream.
    Eof,
    /// The peer reset the connection (it closed with our bytes unread).
    Reset,
}

impl Raw {
    fn new(read: Reader, write: Writer, framing: Framing) -> Self {
        Self {
            read: BufReader::new(read),
            write,
            framing,
        }
    }

    /// `body` framed as this stream's framing.
    fn frame(&self, body: &str) -> Vec<u8> {
        match self.framing {
            Framing::Newline => format!("{body}\n").into_bytes(),
            _ => format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes(),
        }
    }

    async fn send(&mut self, body: &str) {
        let bytes = self.frame(body);
        self.send_bytes(&bytes).await;
    }

    async fn send_bytes(&mut self, bytes: &[u8]) {
        tokio::time::timeout(WAIT, self.write.write_all(bytes))
            .await
            .expect("written in time")
            .unwrap();
        self.write.flush().await.unwrap();
    }

    /// Ends our side of the stream (a half-close).
    async fn half_close(&mut self) {
        self.write.shutdown().await.unwrap();
        // A child's stdin ends only when closed (its `shutdown` flushes).
        self.write = Box::pin(tokio::io::sink());
    }

    /// The next message, as JSON; `Err` with how the stream ended.
    async fn next(&mut self) -> Result<Value, End> {
        let text = tokio::time::timeout(WAIT, self.next_text())
            .await
            .expect("a message or the end of the stream in time")?;
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
    }

    async fn next_text(&mut self) -> Result<String, End> {
        match self.framing {
            Framing::Newline => {
                let line = self.line().await?;
                Ok(line)
            }
            _ => {
                let mut length = None;
                loop {
                    let head = self.line().await?;
                    let head = head.trim_end_matches('\r');
                    if head.is_empty() {
                        break;
                    }
                    let (name, value) = head.split_once(':').unwrap();
                    if name.eq_ignore_ascii_case("content-length") {
                        length = Some(value.trim().parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                self.read.read_exact(&mut body).await.map_err(ended)?;
                Ok(String::from_utf8(body).unwrap())
            }
        }
    }

    async fn line(&mut self) -> Result<String, End> {
        let mut text = String::new();
        match self.read.read_line(&mut text).await {
            Ok(0) => Err(End::Eof),
            Ok(_) => Ok(text.trim_end_matches('\n').to_owned()),
            Err(error) => Err(ended(error)),
        }
    }

    /// The stream ends next (cleanly or by a reset), with nothing before.
    async fn ends(&mut self, what: &str) -> End {
        match self.next().await {
            Err(end) => end,
            Ok(message) => panic!("{what}: expected the end of the stream, got {message}"),
        }
    }
}

fn ended(error: std::io::Error) -> End {
    match error.kind() {
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => End::Reset,
        std::io::ErrorKind::UnexpectedEof => End::Eof,
        _ => panic!("reading failed: {error}"),
    }
}

fn call(method: &str, params: Value, id: Value) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
}

/// A well-behaved client calling in a loop until stopped; every call must
/// succeed, each within [`SERVED_WITHIN`].
struct Watch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(usize, Duration)>,
    what: String,
}

impl Watch {
    fn start(client: StreamClient, what: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = stop.clone();
            let what = what.clone();
            async move {
                let (mut calls, mut slowest) = (0, Duration::ZERO);
                while !stop.load(Ordering::SeqCst) || calls == 0 {
                    let started = Instant::now();
                    let name = format!("watch {calls}");
                    let reply: String = tokio::time::timeout(
                        WAIT,
                        client.request("hello", EncodedParams::from_value(&[&name]).unwrap()),
                    )
                    .await
                    .unwrap_or_else(|_| panic!("{what}: the watching client hung"))
                    .unwrap_or_else(|e| panic!("{what}: the watching client failed: {e}"));
                    assert_eq!(reply, format!("Hello, {name}!"));
                    slowest = slowest.max(started.elapsed());
                    calls += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                client.close().await;
                (calls, slowest)
            }
        });
        Self { stop, task, what }
    }

    /// Stops it; checks it was served throughout; returns its call count.
    async fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        let (calls, slowest) = tokio::time::timeout(WAIT, self.task)
            .await
            .unwrap_or_else(|_| panic!("{}: the watching client did not stop", self.what))
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        eprintln!(
            "{}: {calls} calls of the other client, the slowest {slowest:?}",
            self.what
        );
        assert!(
            slowest < SERVED_WITHIN,
            "{}: a call of the other client took {slowest:?}",
            self.what
        );
        calls
    }
}

fn too_large() -> Value {
    json!({"jsonrpc":"2.0","error":{"code":-32002,"message":format!("Request body too large: the limit is {LIMIT} bytes")},"id":null})
}

/// A message of about `size` bytes (a call of `hello` with a long name).
fn huge_call(size: usize) -> String {
    call("hello", json!(["x".repeat(size)]), json!("huge"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_is_answered_minus_32002_then_closed_and_others_are_served() {
    for (kind, framing) in SOCKETS {
        let server = Server::start(
            kind,
            StreamConfig::new(framing).with_max_message_size(LIMIT),
        )
        .await;
        let what = server.name();
        let watch = Watch::start(server.client().await, what.clone());
        // Just under the limit passes; far over it (1 MiB) is refused.
        for (size, refused) in [(LIMIT - 100, false), (16 * LIMIT, true)] {
            let mut rude = server.raw().await;
            rude.send(&call("subtract", json!([42, 23]), json!(1)))
                .await;
            let message = rude.frame(&huge_call(size));
            // The server stops reading partway: write from a task of its own.
            let mut write = std::mem::replace(&mut rude.write, Box::pin(tokio::io::sink()));
            let writing = tokio::spawn(async move {
                let _ = write.write_all(&message).await;
                write
            });
            assert_eq!(
                rude.next().await.unwrap(),
                json!({"jsonrpc":"2.0","result":19,"id":1}),
                "{what}: the call before the huge one"
            );
            if refused {
                assert_eq!(rude.next().await.unwrap(), too_large(), "{what}");
                rude.ends(&what).await;
            } else {
                let answer = rude.next().await.unwrap();
                assert_eq!(answer["id"], "huge", "{what}");
                assert_eq!(answer["result"].as_str().unwrap().len(), size + 8);
            }
            drop(tokio::time::timeout(WAIT, writing).await.unwrap());
        }
        server.settles_at(1).await;
        assert!(watch.finish().await > 0);
        server.settles_at(0).await;
        server.stop().await;
    }
}

/// The stdio server, as a child with its stdin and stdout piped.
fn stdio_child(framing: Framing, max: Option<usize>) -> (Child, Raw) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stdio_server"));
    command.arg(framing.to_string());
    if let Some(max) = max {
        command.args(["--max-message-size", &max.to_string()]);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let raw = Raw::new(Box::pin(stdout), Box::pin(stdin), framing);
    (child, raw)
}

/// The child exits on its own, with success, within [`WAIT`].
async fn exits(mut child: Child, what: &str) {
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap_or_else(|_| panic!("{what}: the child did not exit"))
        .unwrap();
    assert!(status.success(), "{what}: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_over_the_limit_over_stdio_is_answered_then_the_child_ends() {
    for framing in [Framing::Newline, Framing::ContentLength] {
        let what = format!("stdio {framing}");
        let (child, mut raw) = stdio_child(framing, Some(LIMIT));
        raw.send(&call("subtract", json!([42, 23]), json!(1))).await;
        let message = raw.frame(&huge_call(16 * LIMIT));
        let mut write = std::mem::replace(&mut raw.write, Box::pin(tokio::io::sink()));
        let writing = tokio::spawn(async move {
            // The child stops reading and exits: the pipe breaks.
            let _ = write.write_all(&message).await;
        });
        assert_eq!(
            raw.next().await.unwrap(),
            json!({"jsonrpc":"2.0","result":19,"id":1}),
            "{what}"
        );
        assert_eq!(raw.next().await.unwrap(), too_large(), "{what}");
        assert_eq!(raw.ends(&what).await, End::Eof, "{what}");
        exits(child, &what).await;
        tokio::time::timeout(WAIT, writing).await.unwrap().unwrap();
    }
}

/// Complete calls, one of them still running, then a message whose
/// `Content-Length` promises more than comes before the end of the stream.
async fn send_then_cut_short(raw: &mut Raw) {
    let mut bytes = raw.frame(&call("sleep", json!([100]), json!("slow")));
    bytes.extend(raw.frame(&call("subtract", json!([42, 23]), json!("quick"))));
    bytes.extend(b"Content-Length: 500\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"sub");
    raw.send_bytes(&bytes).await;
    raw.half_close().await;
}

/// What [`send_then_cut_short`] is answered: both complete calls, then
/// the end of the stream.
async fn answered_then_ended(raw: &mut Raw, what: &str) {
    let mut answers = vec![raw.next().await.unwrap(), raw.next().await.unwrap()];
    answers.sort_by_key(|answer| answer["id"].to_string());
    assert_eq!(
        answers,
        [
            json!({"jsonrpc":"2.0","result":19,"id":"quick"}),
            json!({"jsonrpc":"2.0","result":100,"id":"slow"}),
        ],
        "{what}: the complete messages before the cut-short one"
    );
    assert_eq!(raw.ends(what).await, End::Eof, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_longer_than_the_body_then_the_end_answers_what_came_before() {
    for kind in [Kind::Tcp, Kind::Unix] {
        let server = Server::start(kind, StreamConfig::new(Framing::ContentLength)).await;
        let what = server.name();
        let watch = Watch::start(server.client().await, what.clone());
        for _ in 0..5 {
            let mut raw = server.raw().await;
            send_then_cut_short(&mut raw).await;
            answered_then_ended(&mut raw, &what).await;
        }
        server.settles_at(1).await;
        assert!(watch.finish().await > 0);
        server.stop().await;
    }
    let (child, mut raw) = stdio_child(Framing::ContentLength, None);
    send_then_cut_short(&mut raw).await;
    answered_then_ended(&mut raw, "stdio").await;
    exits(child, "stdio").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_newlines_a_last_line_without_its_newline_is_a_message() {
    for kind in [Kind::Tcp, Kind::Unix] {
        let server = Server::start(kind, StreamConfig::new(Framing::Newline)).await;
        let what = server.name();
        for (last, answer) in [
            (
                call("subtract", json!([5, 3]), json!(7)),
                json!({"jsonrpc":"2.0","result":2,"id":7}),
            ),
            (
                "{\"jsonrpc\":\"2.0\",\"method\":\"subtr".to_owned(),
                json!({"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}),
            ),
        ] {
            let mut raw = server.raw().await;
            raw.send_bytes(last.as_bytes()).await;
            raw.half_close().await;
            let got = raw.next().await.unwrap();
            assert_eq!(got["id"], answer["id"], "{what}: {got}");
            assert_eq!(got.get("result"), answer.get("result"), "{what}: {got}");
            assert_eq!(
                got["error"]["code"], answer["error"]["code"],
                "{what}: {got}"
            );
            assert_eq!(raw.ends(&what).await, End::Eof, "{what}");
        }
        server.settles_at(0).await;
        server.stop().await;
    }
}

/// Header blocks the server cannot read, each closing the connection
/// after a `-32700`.
fn unreadable_heads() -> Vec<String> {
    let mut heads: Vec<String> = [
        "Content-Length: -5",
        "Content-Length: -0",
        "Content-Length: ten",
        "Content-Length: 0x10",
        "Content-Length: +5",
        "Content-Length: 5.0",
        "Content-Length: ",
        "Content-Length: 99999999999999999999999999",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8",
        "Content-Length: 2\r\nContent-Length: 3",
        "Content-Length 2",
    ]
    .map(str::to_owned)
    .to_vec();
    // A header block with no end in sight.
    heads.push(format!("X-Padding: {}", "p".repeat(16 * 1024)));
    heads
}

/// A good call, then `head` and a body: the call is answered, then
/// `-32700` with id `null`, then the end.
async fn unreadable_head_is_refused(raw: &mut Raw, head: &str, what: &str) {
    raw.send(&call("subtract", json!([42, 23]), json!(1))).await;
    raw.send_bytes(format!("{head}\r\n\r\n{{}}").as_bytes())
        .await;
    assert_eq!(
        raw.next().await.unwrap(),
        json!({"jsonrpc":"2.0","result":19,"id":1}),
        "{what} {head:?}"
    );
    let refusal = raw.next().await.unwrap();
    assert_eq!(
        refusal["error"]["code"], -32700,
        "{what} {head:?}: {refusal}"
    );
    assert_eq!(refusal["id"], Value::Null, "{what} {head:?}");
    raw.ends(what).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_content_lengths_are_answered_minus_32700_then_closed() {
    for kind in [Kind::Tcp, Kind::Unix] {
        let server = Server::start(kind, StreamConfig::new(Framing::ContentLength)).await;
        let what = server.name();
        let watch = Watch::start(server.client().await, what.clone());
        for head in unreadable_heads() {
            let mut raw = server.raw().await;
            unreadable_head_is_refused(&mut raw, &head, &what).await;
        }
        // The same length twice is one length: the stream goes on.
        let mut raw = server.raw().await;
        let body = call("subtract", json!([1, 2]), json!(2));
        let twice = format!(
            "Content-Length: {n}\r\ncontent-length: {n}\r\n\r\n{body}",
            n = body.len()
        );
        raw.send_bytes(twice.as_bytes()).await;
        raw.send(&call("subtract", json!([3, 1]), json!(3))).await;
        assert_eq!(raw.next().await.unwrap()["result"], -1, "{what}");
        assert_eq!(raw.next().await.unwrap()["result"], 2, "{what}");
        drop(raw);
        server.settles_at(1).await;
        assert!(watch.finish().await > 0);
        server.stop().await;
    }
    for head in unreadable_heads() {
        let (child, mut raw) = stdio_child(Framing::ContentLength, None);
        unreadable_head_is_refused(&mut raw, &head, "stdio").await;
        exits(child, &format!("stdio {head:?}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_slowed_down_not_buffered() {
    // Writes never time out here: the connection stays, stuck, and the
    // question is what that costs.
    let (in_flight, queue) = (4, 4);
    let answer = 32 * 1024;
    for (kind, framing) in SOCKETS {
        let config = StreamConfig::new(framing)
            .with_max_in_flight(in_flight)
            .with_write_queue(queue)
            .with_write_timeout(Duration::from_secs(60));
        let server = Server::start(kind, config).await;
        let what = server.name();
        let watch = Watch::start(server.client().await, what.clone());
        let mut rude = server.raw().await;
        // Small calls asking for large answers, as fast as they go in.
        let request = rude.frame(&call("repeat", json!([answer]), json!(0)));
        let write = std::mem::replace(&mut rude.write, Box::pin(tokio::io::sink()));
        let (flood, written) = flood(write, request, usize::MAX);
        // The server stops taking calls once its answers back up.
        let taken = steady(&server.repeats, &format!("{what}: still taking calls")).await;
        let sent = written.load(Ordering::SeqCst);
        // What may be held: the calls running and the queue, the writer's
        // burst, and what the kernel buffers hold on both sides. Were
        // answers buffered without bound, 32 KiB each, the calls sent
        // would all have been taken.
        eprintln!(
            "{what}: the flood wrote {sent} calls, the server took {taken} \
             ({} MiB of answers) and stopped reading",
            (taken * answer) >> 20
        );
        assert!(taken >= in_flight, "{what}: {taken}");
        assert!(
            taken < 1_000,
            "{what}: took {taken} calls of a reader that never reads"
        );
        assert!(
            !flood.is_finished(),
            "{what}: the flood's writes should block"
        );
        assert_eq!(server.handle.connections_active(), 2, "{what}");
        // The stuck connection's going frees everything.
        drop(rude);
        flood.abort();
        let _ = flood.await;
        server.settles_at(1).await;
        assert!(watch.finish().await > 0, "{what}");
        server.stop().await;
    }
}

/// Writes `request` over and over (at most `times`) on a task of its own,
/// counting each one written; ends at the first failed write.
fn flood<W>(
    mut write: W,
    request: Vec<u8>,
    times: usize,
) -> (tokio::task::JoinHandle<()>, Arc<AtomicUsize>)
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let written = Arc::new(AtomicUsize::new(0));
    let counter = written.clone();
    let task = tokio::spawn(async move {
        for _ in 0..times {
            if write.write_all(&request).await.is_err() {
                return;
            }
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (task, written)
}

/// Waits until `count` stops moving (the same for 300 ms) and returns
/// it; fails with `what` if it still moves after [`WAIT`].
async fn steady(count: &AtomicUsize, what: &str) -> usize {
    let started = Instant::now();
    let mut before = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = count.load(Ordering::SeqCst);
        if now == before {
            return now;
        }
        before = now;
        assert!(started.elapsed() < WAIT, "{what}: {now}");
    }
}

/// Resident memory of a process, from `/proc`.
fn resident_kib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_that_never_reads_its_child_s_stdout_leaves_the_child_bounded() {
    for framing in [Framing::Newline, Framing::ContentLength] {
        let what = format!("stdio {framing}");
        let (child, mut raw) = stdio_child(framing, None);
        let pid = child.id().unwrap();
        let request = raw.frame(&call("repeat", json!([64 * 1024]), json!(0)));
        let write = std::mem::replace(&mut raw.write, Box::pin(tokio::io::sink()));
        let (flood, written) = flood(write, request, 100_000);
        let before = steady(&written, &format!("{what}: the child still reads")).await;
        let rss = resident_kib(pid);
        eprintln!(
            "{what}: the parent wrote {before} calls before its writes blocked; \
             the child holds {} MiB",
            rss >> 10
        );
        // What the child may hold is about (max_in_flight + write_queue)
        // answers, 512 of 64 KiB with the defaults; 100,000 of them would
        // be 6 GiB.
        assert!(rss < 100 * 1024, "{what}: the child holds {rss} KiB");
        assert!(!flood.is_finished(), "{what}");
        // The parent goes away: the child ends.
        flood.abort();
        drop(raw);
        exits(child, &what).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abrupt_disconnects_mid_message_leave_no_connection_behind() {
    for (kind, framing) in SOCKETS {
        let server = Server::start(kind, StreamConfig::new(framing)).await;
        let what = server.name();
        let watch = Watch::start(server.client().await, what.clone());
        for round in 0..30 {
            let mut rude = server.raw().await;
            let reset = kind == Kind::Tcp && round % 2 == 0;
            if reset {
                // An answer left unread makes the close a reset (RST)
                // rather than an orderly end (FIN).
                rude.send(&call("subtract", json!([1, 1]), json!(0))).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let whole = rude.frame(&call("hello", json!(["y".repeat(20_000)]), json!(1)));
            match round % 3 {
                // Partway through a message.
                0 => rude.send_bytes(&whole[..whole.len() / 2]).await,
                // Within the header block (or the first bytes of a line).
                1 => rude.send_bytes(&whole[..10]).await,
                // A call still running when it goes, then half a message.
                _ => {
                    rude.send(&call("sleep", json!([200]), json!(2))).await;
                    rude.send_bytes(&whole[..100]).await;
                }
            }
            drop(rude);
        }
        server.settles_at(1).await;
        assert!(watch.finish().await > 0, "{what}");
        server.settles_at(0).await;
        server.stop().await;
    }
    // The stdio child's parent stops partway through a message: it exits.
    for framing in [Framing::Newline, Framing::ContentLength] {
        let (child, mut raw) = stdio_child(framing, None);
        let whole = raw.frame(&call("sleep", json!([50]), json!(1)));
        raw.send_bytes(&whole[..whole.len() / 2]).await;
        drop(raw);
        exits(child, &format!("stdio {framing}")).await;
    }
}

//! TCP and Unix socket transports on real sockets: the specification's
//! examples in both framings, a typed client, calls from the server back to
//! the client, subscriptions, fragmented and coalesced writes, the limits
//! (too large, bad `Content-Length`), disconnects and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rpc_client::stream::{Framing, StreamClient, StreamConfig};
use rpc_client::ClientError;
use rpc_runtime::server::Shutdown;
use rpc_runtime::stream::{StreamServer, StreamServerHandle};
use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::{rpc, Context, InternalError, Router};
use serde_json::{json, Value};
use tokio::io::{
    AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, AsyncWriteExt as _, BufReader,
};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(5);

/// Greetings, and what the connection's context says.
#[rpc]
pub trait Greeter {
    /// Says hello.
    async fn hello(&self, name: String) -> String;
    /// The transport's name and whether the peer address is known.
    fn whoami(&self, ctx: &Context) -> (String, bool);
    /// Asks the client (its `Callback`) a question, and returns the answer.
    async fn relay(&self, ctx: &Context, question: String) -> Result<String, InternalError>;
    /// Sleeps `ms` milliseconds.
    async fn sleep(&self, ms: u64) -> u64;
    /// Counts from `start`, one number every `every_ms` milliseconds.
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64);
}

/// What the client serves to the server.
#[rpc]
pub trait Callback {
    /// Answers a question.
    fn ask(&self, question: String) -> String;
}

struct Api;

impl Greeter for Api {
    async fn hello(&self, name: String) -> String {
        format!("Hello, {name}!")
    }
    fn whoami(&self, ctx: &Context) -> (String, bool) {
        (ctx.transport().to_owned(), ctx.peer_addr().is_some())
    }
    async fn relay(&self, ctx: &Context, question: String) -> Result<String, InternalError> {
        let peer = ctx.ws_peer().ok_or_else(|| InternalError::new("no peer"))?;
        CallbackClient::new(peer.clone())
            .ask(question)
            .await
            .map_err(InternalError::new)
    }
    async fn sleep(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, every_ms: u64) {
        let Ok(sink) = pending.accept() else { return };
        for n in start.. {
            tokio::select! {
                () = sink.closed() => return,
                () = tokio::time::sleep(Duration::from_millis(every_ms)) => {}
            }
            if sink.send(&n).await.is_err() {
                return;
            }
        }
    }
}

struct Oracle;

impl Callback for Oracle {
    fn ask(&self, question: String) -> String {
        format!("42 is the answer to {question:?}")
    }
}

fn api() -> Router {
    let mut router = tests::spec_router();
    router.merge(Api.into_router()).unwrap();
    router
}

async fn tcp(config: StreamConfig) -> StreamServerHandle {
    StreamServer::new(api(), config)
        .bind_tcp("127.0.0.1:0")
        .await
        .unwrap()
}

/// A fresh path for a Unix socket, in a directory of its own.
fn socket_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rpc-stream-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("rpc.sock")
}

async fn connect(handle: &StreamServerHandle) -> TcpStream {
    TcpStream::connect(handle.local_addr().unwrap())
        .await
        .unwrap()
}

/// The next line, without its newline; `None` at the end of the stream.
async fn line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<String> {
    let mut text = String::new();
    let n = tokio::time::timeout(WAIT, reader.read_line(&mut text))
        .await
        .expect("a line in time")
        .unwrap();
    (n > 0).then(|| text.trim_end_matches('\n').to_owned())
}

/// The next `Content-Length` message's body; `None` at the end of the stream.
async fn message<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<String> {
    let mut length = None;
    loop {
        let head = line(reader).await?;
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
    tokio::time::timeout(WAIT, reader.read_exact(&mut body))
        .await
        .unwrap()
        .unwrap();
    Some(String::from_utf8(body).unwrap())
}

fn framed(body: &str) -> String {
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// Reads until the end of the stream; fails if anything else comes first.
async fn ends<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) {
    let mut rest = Vec::new();
    tokio::time::timeout(WAIT, reader.read_to_end(&mut rest))
        .await
        .expect("the end of the stream in time")
        .unwrap();
    assert!(
        rest.is_empty(),
        "unexpected: {}",
        String::from_utf8_lossy(&rest)
    );
}

const PROBE: &str = r#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}"#;

fn check(vector: &tests::Vector, text: &str) {
    if vector.response.is_none() {
        assert!(
            text.contains(r#""id":"probe""#),
            "{}: expected no response, got {text}",
            vector.name
        );
    } else {
        tests::check_vector(vector, Some(text));
    }
}

#[tokio::test]
async fn every_specification_example_passes_over_tcp_with_newlines() {
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    for vector in tests::spec_vectors() {
        // A raw newline would cut the message; outside strings it is whitespace.
        let request = vector.request.replace(['\n', '\r'], " ");
        write
            .write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
        if vector.response.is_none() {
            write
                .write_all(format!("{PROBE}\n").as_bytes())
                .await
                .unwrap();
        }
        check(&vector, &line(&mut read).await.unwrap());
    }
    drop(write);
    ends(&mut read).await;
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
}

#[tokio::test]
async fn every_specification_example_passes_over_unix_with_content_length() {
    let path = socket_path();
    let handle = StreamServer::new(api(), StreamConfig::new(Framing::ContentLength))
        .bind_unix(&path)
        .unwrap();
    let socket = tokio::net::UnixStream::connect(&path).await.unwrap();
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    for vector in tests::spec_vectors() {
        write
            .write_all(framed(&vector.request).as_bytes())
            .await
            .unwrap();
        if vector.response.is_none() {
            write.write_all(framed(PROBE).as_bytes()).await.unwrap();
        }
        check(&vector, &message(&mut read).await.unwrap());
    }
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    assert!(!path.exists(), "the socket file is removed at shutdown");
}

#[tokio::test]
async fn a_typed_client_over_tcp_in_both_framings() {
    for framing in [Framing::Newline, Framing::ContentLength] {
        let handle = tcp(StreamConfig::new(framing)).await;
        let client = StreamClient::connect_tcp(handle.local_addr().unwrap(), framing)
            .await
            .unwrap();
        let greeter = GreeterClient::new(client.clone());
        assert_eq!(
            greeter.hello("tcp".to_owned()).await.unwrap(),
            "Hello, tcp!"
        );
        assert_eq!(greeter.whoami().await.unwrap(), ("tcp".to_owned(), true));
        // Many calls in flight on the one connection, answered as they finish.
        let slow = greeter.sleep(200);
        let fast = async {
            let started = std::time::Instant::now();
            for i in 0..20 {
                assert_eq!(
                    greeter.hello(i.to_string()).await.unwrap(),
                    format!("Hello, {i}!")
                );
            }
            started.elapsed()
        };
        let (slow, fast) = tokio::join!(slow, fast);
        assert_eq!(slow.unwrap(), 200);
        assert!(
            fast < Duration::from_millis(200),
            "fast calls waited for the slow one: {fast:?}"
        );
        // A typed batch.
        let mut batch = greeter.batch();
        let a = batch.hello("a".to_owned());
        let b = batch.sleep(1);
        let answers = batch.send().await.unwrap();
        assert_eq!(answers.get(a).unwrap(), "Hello, a!");
        assert_eq!(answers.get(b).unwrap(), 1);
        client.close().await;
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

#[tokio::test]
async fn the_server_calls_the_client_back_over_a_unix_socket() {
    let path = socket_path();
    let handle = StreamServer::new(api(), StreamConfig::new(Framing::ContentLength))
        .bind_unix(&path)
        .unwrap();
    let client = StreamClient::builder(Framing::ContentLength)
        .serve(Oracle.into_router())
        .request_timeout(WAIT)
        .connect_unix(&path)
        .await
        .unwrap();
    let greeter = GreeterClient::new(client.clone());
    assert_eq!(
        greeter.relay("life".to_owned()).await.unwrap(),
        r#"42 is the answer to "life""#
    );
    assert_eq!(greeter.whoami().await.unwrap(), ("unix".to_owned(), false));
    client.close().await;
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn a_subscription_over_tcp() {
    use futures_util::StreamExt as _;
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let client = StreamClient::connect_tcp(handle.local_addr().unwrap(), Framing::Newline)
        .await
        .unwrap();
    let greeter = GreeterClient::new(client.clone());
    let mut counts = greeter.subscribe_count(5, 5).await.unwrap();
    for want in 5..10 {
        let got = tokio::time::timeout(WAIT, counts.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(got, want);
    }
    assert!(counts.unsubscribe().await.unwrap());
    client.close().await;
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_calls_and_ends_subscriptions() {
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(
            b"{\"jsonrpc\":\"2.0\",\"method\":\"subscribe_count\",\"params\":[1,1000],\"id\":1}\n",
        )
        .await
        .unwrap();
    let reply: Value = serde_json::from_str(&line(&mut read).await.unwrap()).unwrap();
    let id = reply["result"].clone();
    write
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"sleep\",\"params\":[300],\"id\":2}\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopping = tokio::spawn({
        let handle = handle.clone();
        async move { handle.shutdown(WAIT).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A new connection is refused; a new call on this one gets -32001.
    assert!(TcpStream::connect(handle.local_addr().unwrap())
        .await
        .is_err());
    write
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"hello\",\"params\":[\"late\"],\"id\":3}\n")
        .await
        .unwrap();
    let late: Value = serde_json::from_str(&line(&mut read).await.unwrap()).unwrap();
    assert_eq!(
        (late["id"].clone(), late["error"]["code"].clone()),
        (json!(3), json!(-32001))
    );
    let slow: Value = serde_json::from_str(&line(&mut read).await.unwrap()).unwrap();
    assert_eq!(slow, json!({"jsonrpc":"2.0","result":300,"id":2}));
    let last: Value = serde_json::from_str(&line(&mut read).await.unwrap()).unwrap();
    assert_eq!(last["method"], "count");
    assert_eq!(last["params"]["subscription"], id);
    assert_eq!(last["params"]["error"]["code"], -32009);
    drop(write);
    ends(&mut read).await;
    assert_eq!(stopping.await.unwrap(), Shutdown::Graceful);
}

#[tokio::test]
async fn a_message_split_at_every_byte_boundary_arrives_whole() {
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let request = b"{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[42,23],\"id\":1}\r\n";
    for cut in 1..request.len() {
        let socket = connect(&handle).await;
        socket.set_nodelay(true).unwrap();
        let (read, mut write) = socket.into_split();
        let mut read = BufReader::new(read);
        write.write_all(&request[..cut]).await.unwrap();
        write.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
        write.write_all(&request[cut..]).await.unwrap();
        assert_eq!(
            line(&mut read).await.unwrap(),
            r#"{"jsonrpc":"2.0","result":19,"id":1}"#,
            "cut at {cut}"
        );
    }
    let handle_cl = tcp(StreamConfig::new(Framing::ContentLength)).await;
    let request = framed(r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#);
    let request = request.as_bytes();
    for cut in 1..request.len() {
        let socket = connect(&handle_cl).await;
        socket.set_nodelay(true).unwrap();
        let (read, mut write) = socket.into_split();
        let mut read = BufReader::new(read);
        write.write_all(&request[..cut]).await.unwrap();
        write.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
        write.write_all(&request[cut..]).await.unwrap();
        assert_eq!(
            message(&mut read).await.unwrap(),
            r#"{"jsonrpc":"2.0","result":19,"id":1}"#,
            "cut at {cut}"
        );
    }
    handle.shutdown(WAIT).await;
    handle_cl.shutdown(WAIT).await;
}

#[tokio::test]
async fn several_messages_in_one_write_are_each_answered() {
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    let burst = concat!(
        "{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[42,23],\"id\":1}\n",
        "\n",
        "  \r\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"update\",\"params\":[1,2]}\n",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[23,42],\"id\":2}\r\n",
        "not json\n",
        "[{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1,2,4],\"id\":3}]\n",
    );
    write.write_all(burst.as_bytes()).await.unwrap();
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(serde_json::from_str::<Value>(&line(&mut read).await.unwrap()).unwrap());
    }
    assert_eq!(answers[0], json!({"jsonrpc":"2.0","result":19,"id":1}));
    assert_eq!(answers[1], json!({"jsonrpc":"2.0","result":-19,"id":2}));
    assert_eq!(answers[2]["error"]["code"], -32700);
    assert_eq!(answers[2]["id"], Value::Null);
    assert_eq!(answers[3], json!([{"jsonrpc":"2.0","result":7,"id":3}]));
    // The peer ends its side: what it sent is answered, then the server ends too.
    write
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"sleep\",\"params\":[50],\"id\":4}")
        .await
        .unwrap();
    write.shutdown().await.unwrap();
    assert_eq!(
        line(&mut read).await.unwrap(),
        r#"{"jsonrpc":"2.0","result":50,"id":4}"#
    );
    ends(&mut read).await;
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn an_oversized_message_is_answered_then_the_connection_closes() {
    let config = |framing| StreamConfig::new(framing).with_max_message_size(1024);
    let too_large = json!({"jsonrpc":"2.0","error":{"code":-32002,"message":"Request body too large: the limit is 1024 bytes"},"id":null});

    let handle = tcp(config(Framing::Newline)).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"hello","params":["{}"],"id":1}}"#,
        "x".repeat(2000)
    );
    write
        .write_all(format!("{big}\n").as_bytes())
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&line(&mut read).await.unwrap()).unwrap();
    assert_eq!(answer, too_large);
    ends(&mut read).await;
    handle.shutdown(WAIT).await;

    let handle = tcp(config(Framing::ContentLength)).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    // Refused on the header alone: the body is never sent.
    write
        .write_all(b"Content-Length: 5000\r\n\r\n")
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&message(&mut read).await.unwrap()).unwrap();
    assert_eq!(answer, too_large);
    ends(&mut read).await;
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn an_unreadable_content_length_is_a_parse_error_then_a_close() {
    let handle = tcp(StreamConfig::new(Framing::ContentLength)).await;
    for head in [
        "Content-Length: abc",
        "Content-Length: -5",
        "Content-Type: application/json",
        "Content-Length: 1e3",
    ] {
        let (read, mut write) = connect(&handle).await.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(format!("{head}\r\n\r\n{{}}").as_bytes())
            .await
            .unwrap();
        let answer: Value = serde_json::from_str(&message(&mut read).await.unwrap()).unwrap();
        assert_eq!(answer["error"]["code"], -32700, "{head}: {answer}");
        assert_eq!(answer["id"], Value::Null);
        ends(&mut read).await;
    }
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_message_affects_no_one_else() {
    for framing in [Framing::Newline, Framing::ContentLength] {
        let handle = tcp(StreamConfig::new(framing)).await;
        let client = StreamClient::connect_tcp(handle.local_addr().unwrap(), framing)
            .await
            .unwrap();
        let greeter = GreeterClient::new(client.clone());
        let slow = tokio::spawn({
            let greeter = GreeterClient::new(client.clone());
            async move { greeter.sleep(200).await }
        });
        for _ in 0..10 {
            let mut rude = connect(&handle).await;
            let half = match framing {
                Framing::Newline => "{\"jsonrpc\":\"2.0\",\"method\":\"sle".to_owned(),
                _ => framed(r#"{"jsonrpc":"2.0","method":"sleep","params":[1],"id":1}"#)[..30]
                    .to_owned(),
            };
            rude.write_all(half.as_bytes()).await.unwrap();
            drop(rude);
            assert_eq!(
                greeter.hello("still".to_owned()).await.unwrap(),
                "Hello, still!"
            );
        }
        assert_eq!(slow.await.unwrap().unwrap(), 200);
        // The rude connections are gone; the polite one stays.
        let gone = async {
            while handle.connections_active() > 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(WAIT, gone).await.unwrap();
        client.close().await;
        handle.shutdown(WAIT).await;
        assert!(matches!(
            greeter.hello("after".to_owned()).await,
            Err(ClientError::Closed(_))
        ));
    }
}

#[tokio::test]
async fn a_client_sees_its_calls_fail_when_the_server_goes() {
    let handle = tcp(StreamConfig::new(Framing::Newline)).await;
    let client = StreamClient::connect_tcp(handle.local_addr().unwrap(), Framing::Newline)
        .await
        .unwrap();
    let greeter = GreeterClient::new(client.clone());
    let slow = tokio::spawn(async move { greeter.sleep(5_000).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        handle.shutdown(Duration::from_millis(100)).await,
        Shutdown::Forced { connections: 1 }
    ));
    let outcome = tokio::time::timeout(WAIT, slow).await.unwrap().unwrap();
    assert!(
        matches!(outcome, Err(ClientError::Closed(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once() {
    let handle = tcp(StreamConfig::new(Framing::Newline).with_max_connections(1)).await;
    let client = StreamClient::connect_tcp(handle.local_addr().unwrap(), Framing::Newline)
        .await
        .unwrap();
    let greeter = GreeterClient::new(client.clone());
    assert_eq!(
        greeter.hello("first".to_owned()).await.unwrap(),
        "Hello, first!"
    );
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    // Refused before anything is read: the write may or may not get through.
    let _ = write.write_all(format!("{PROBE}\n").as_bytes()).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(WAIT, read.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(rest.is_empty());
    assert_eq!(handle.connections_refused(), 1);
    assert_eq!(
        greeter.hello("still".to_owned()).await.unwrap(),
        "Hello, still!"
    );
    client.close().await;
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let config =
        StreamConfig::new(Framing::Newline).with_idle_timeout(Some(Duration::from_millis(150)));
    let handle = tcp(config).await;
    let (read, mut write) = connect(&handle).await.into_split();
    let mut read = BufReader::new(read);
    write
        .write_all(format!("{PROBE}\n").as_bytes())
        .await
        .unwrap();
    assert!(line(&mut read).await.unwrap().contains("probe"));
    let started = std::time::Instant::now();
    ends(&mut read).await;
    let quiet = started.elapsed();
    assert!(
        quiet >= Duration::from_millis(100),
        "closed too early: {quiet:?}"
    );
    handle.shutdown(WAIT).await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_after_the_write_timeout() {
    let config = StreamConfig::new(Framing::Newline)
        .with_write_timeout(Duration::from_millis(300))
        .with_write_queue(4)
        .with_max_in_flight(4);
    let handle = tcp(config).await;
    let polite = StreamClient::connect_tcp(handle.local_addr().unwrap(), Framing::Newline)
        .await
        .unwrap();
    let greeter = GreeterClient::new(polite.clone());
    // Asks for 64 KiB answers without end and never reads one.
    let (_unread, mut write) = connect(&handle).await.into_split();
    let flood = tokio::spawn(async move {
        let name = "x".repeat(64 * 1024);
        for id in 0.. {
            let call =
                format!(r#"{{"jsonrpc":"2.0","method":"hello","params":["{name}"],"id":{id}}}"#);
            if write
                .write_all(format!("{call}\n").as_bytes())
                .await
                .is_err()
            {
                return id;
            }
        }
        unreachable!()
    });
    let dropped = async {
        while handle.connections_active() > 1 || !flood.is_finished() {
            assert_eq!(
                greeter.hello("meanwhile".to_owned()).await.unwrap(),
                "Hello, meanwhile!"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), dropped)
        .await
        .expect("the flooding connection is dropped");
    let sent = flood.await.unwrap();
    assert!(sent > 10, "the flood ended after {sent} calls");
    assert_eq!(
        greeter.hello("after".to_owned()).await.unwrap(),
        "Hello, after!"
    );
    polite.close().await;
    handle.shutdown(WAIT).await;
}

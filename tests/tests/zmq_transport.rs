//! The ZeroMQ transport: `ZmqServer` on REP and ROUTER sockets, driven by
//! our `ZmqClient` (REQ and DEALER) and by raw ZMTP peers (our `wire`
//! module, so that any frames can be sent): the specification's examples,
//! typed calls, concurrency, the defined answers (multipart, not JSON, too
//! large), malformed peers that must not hurt anyone else, and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rpc_client::{BatchRequest, ClientError, EncodedParams, ZmqClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::Shutdown;
use rpc_runtime::zmq::wire::{encode_message, Received};
use rpc_runtime::zmq::{
    connect, SocketType, ZmqConfig, ZmqPeer, ZmqServer, ZmqServerHandle, ZmtpConnection,
};
use rpc_runtime::Router;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const WAIT: Duration = Duration::from_secs(10);

/// The specification's methods, plus `sleep` (async, `ms` milliseconds)
/// and `whoami` (what the context says).
fn router() -> Router {
    let mut router = tests::spec_router();
    router
        .register_async_args("sleep", &["ms"], |(ms,): (u64,), _| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, ErrorObjectOwned>(ms)
        })
        .unwrap();
    router
        .register_sync("whoami", |_, ctx| {
            let peer = ctx.get::<ZmqPeer>().expect("a ZmqPeer in the context");
            Ok::<_, ErrorObjectOwned>(serde_json::json!({
                "transport": ctx.transport(),
                "has_addr": ctx.peer_addr().is_some(),
                "socket_type": peer.socket_type.name(),
            }))
        })
        .unwrap();
    router
}

async fn serve(kind: SocketType, config: ZmqConfig) -> (ZmqServerHandle, String) {
    let server = ZmqServer::new(router(), config);
    let handle = server.bind("tcp://127.0.0.1:0", kind).await.unwrap();
    let endpoint = handle.local_endpoint().to_string();
    (handle, endpoint)
}

/// A ZMTP peer that sends whatever frames it is told to.
struct Raw(ZmtpConnection);

impl Raw {
    async fn connect(endpoint: &str, kind: SocketType) -> Self {
        let endpoint = endpoint.parse().unwrap();
        Raw(connect(&endpoint, kind, 64 << 20).await.unwrap())
    }

    async fn send(&mut self, frames: &[&[u8]]) {
        let mut out = Vec::new();
        encode_message(&mut out, frames);
        self.0.writer.write_all(&out).await.unwrap();
        self.0.writer.flush().await.unwrap();
    }

    async fn recv(&mut self) -> Vec<Vec<u8>> {
        match tokio::time::timeout(WAIT, self.0.reader.next()).await {
            Ok(Ok(Some(Received::Message(frames)))) => frames,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The reply's body as text, its envelope checked.
    async fn reply(&mut self, envelope: &[&[u8]]) -> String {
        let mut frames = self.recv().await;
        let body = frames.pop().unwrap();
        assert_eq!(frames, envelope, "the reply's envelope");
        String::from_utf8(body).unwrap()
    }
}

fn error_code(text: &str) -> i64 {
    let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    value["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {text}"))
}

const PROBE: &[u8] = br#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}"#;

#[tokio::test]
async fn every_specification_example_passes_over_rep_and_router() {
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, ZmqConfig::default()).await;
        // REQ-style (a delimiter first): every message gets a reply, an
        // empty one where the specification says none.
        let mut req = Raw::connect(&endpoint, SocketType::Req).await;
        for vector in tests::spec_vectors() {
            req.send(&[b"", vector.request.as_bytes()]).await;
            let reply = req.reply(&[b""]).await;
            tests::check_vector(&vector, Some(&reply));
        }
        if kind == SocketType::Router {
            // DEALER-style (bare): no reply at all where none is due; the
            // probe after each shows nothing came in between.
            let mut dealer = Raw::connect(&endpoint, SocketType::Dealer).await;
            for vector in tests::spec_vectors() {
                dealer.send(&[vector.request.as_bytes()]).await;
                if vector.response.is_none() {
                    dealer.send(&[PROBE]).await;
                    let reply = dealer.reply(&[]).await;
                    assert!(
                        reply.contains(r#""id":"probe""#),
                        "{}: {reply}",
                        vector.name
                    );
                } else {
                    tests::check_vector(&vector, Some(&dealer.reply(&[]).await));
                }
            }
        }
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

#[tokio::test]
async fn typed_calls_notifications_and_batches_from_req_and_dealer_clients() {
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, ZmqConfig::default()).await;
        let clients = [
            ZmqClient::connect_req(&endpoint).await.unwrap(),
            ZmqClient::connect_dealer(&endpoint).await.unwrap(),
        ];
        for client in &clients {
            let what = format!("{:?} to {kind}", client.socket_type());
            let params = EncodedParams::from_value(&[42, 23]).unwrap();
            assert_eq!(
                client.request::<i64>("subtract", params).await.unwrap(),
                19,
                "{what}"
            );
            client
                .notify("update", EncodedParams::from_value(&[1, 2]).unwrap())
                .await
                .unwrap();
            let missing = client.request::<i64>("foobar", EncodedParams::none()).await;
            assert!(
                matches!(&missing, Err(ClientError::Rpc(e)) if e.code == -32601),
                "{what}: {missing:?}"
            );
            let mut batch = BatchRequest::new();
            let a = batch.call::<i64>("sum", EncodedParams::from_value(&[1, 2, 4]).unwrap());
            batch.notify("notify_hello", EncodedParams::from_value(&[7]).unwrap());
            let b = batch.call::<(String, i64)>("get_data", EncodedParams::none());
            let answers = client.batch(batch).await.unwrap();
            assert_eq!(answers.get(a).unwrap(), 7, "{what}");
            assert_eq!(answers.get(b).unwrap(), ("hello".to_owned(), 5), "{what}");
            let mut only_notifications = BatchRequest::new();
            only_notifications.notify("notify_sum", EncodedParams::from_value(&[1]).unwrap());
            client.batch(only_notifications).await.unwrap();
            // The same connection still answers after all of that.
            let who: Value = client
                .request("whoami", EncodedParams::none())
                .await
                .unwrap();
            assert_eq!(who["transport"], "zmq", "{what}");
            assert_eq!(who["has_addr"], true, "{what}");
            assert_eq!(who["socket_type"], client.socket_type().name(), "{what}");
        }
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

#[tokio::test]
async fn a_router_runs_64_calls_from_one_dealer_at_once() {
    let (handle, endpoint) = serve(SocketType::Router, ZmqConfig::default()).await;
    let dealer = ZmqClient::connect_dealer(&endpoint).await.unwrap();
    let started = Instant::now();
    let calls = (0..64u64).map(|i| {
        let dealer = dealer.clone();
        tokio::spawn(async move {
            let ms = 300 + i;
            let params = EncodedParams::from_value(&[ms]).unwrap();
            (ms, dealer.request::<u64>("sleep", params).await.unwrap())
        })
    });
    for call in futures_util::future::join_all(calls).await {
        let (sent, got) = call.unwrap();
        assert_eq!(sent, got, "each answer matched to its own call");
    }
    let elapsed = started.elapsed();
    // One after another would take over 19 s; overlapping, about 0.36 s.
    assert!(
        elapsed < Duration::from_secs(3),
        "64 sleeps of ~0.3 s took {elapsed:?}"
    );
    println!("64 concurrent 300 ms calls over DEALER->ROUTER: {elapsed:?}");

    // Several DEALER peers at once too.
    let peers: Vec<_> =
        futures_util::future::join_all((0..4).map(|_| ZmqClient::connect_dealer(&endpoint)))
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let started = Instant::now();
    let calls = peers
        .iter()
        .map(|peer| peer.request::<u64>("sleep", EncodedParams::from_value(&[300]).unwrap()));
    for answer in futures_util::future::join_all(calls).await {
        assert_eq!(answer.unwrap(), 300);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
}

#[tokio::test]
async fn a_req_client_queues_concurrent_callers_one_exchange_at_a_time() {
    let (handle, endpoint) = serve(SocketType::Router, ZmqConfig::default()).await;
    let req = ZmqClient::connect_req(&endpoint).await.unwrap();
    let started = Instant::now();
    let calls = (0..4u64)
        .map(|i| req.request::<u64>("sleep", EncodedParams::from_value(&[100 + i]).unwrap()));
    let answers: Vec<u64> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(answers, [100, 101, 102, 103]);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "REQ is lockstep: {:?}",
        started.elapsed()
    );
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
}

#[tokio::test]
async fn a_req_call_that_times_out_is_followed_by_a_fresh_socket() {
    let (handle, endpoint) = serve(SocketType::Rep, ZmqConfig::default()).await;
    let req = ZmqClient::builder()
        .request_timeout(Duration::from_millis(200))
        .connect_req(&endpoint)
        .await
        .unwrap();
    let slow = req
        .request::<u64>("sleep", EncodedParams::from_value(&[2_000]).unwrap())
        .await;
    assert!(matches!(slow, Err(ClientError::Timeout(_))), "{slow:?}");
    // The late reply cannot be taken for this call's: a new socket.
    let params = EncodedParams::from_value(&[5, 3]).unwrap();
    assert_eq!(req.request::<i64>("subtract", params).await.unwrap(), 2);
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
}

#[tokio::test]
async fn multipart_and_non_json_messages_get_their_defined_answers() {
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, ZmqConfig::default()).await;
        let mut req = Raw::connect(&endpoint, SocketType::Req).await;
        req.send(&[b"", b"{\"jsonrpc\":", b"\"2.0\"}"]).await;
        let reply = req.reply(&[b""]).await;
        assert_eq!(error_code(&reply), -32600, "{kind}: {reply}");
        assert!(
            reply.contains("one JSON-RPC message per ZeroMQ message"),
            "{reply}"
        );
        assert!(reply.contains(r#""id":null"#), "{reply}");
        for body in [&b"not json"[..], b"\xff\xfe{}", b""] {
            req.send(&[b"", body]).await;
            let reply = req.reply(&[b""]).await;
            assert_eq!(error_code(&reply), -32700, "{kind} {body:?}: {reply}");
        }
        // A proxy's routing frames before the delimiter come back too.
        req.send(&[b"hop-1", b"hop-2", b"", PROBE]).await;
        let reply = req.reply(&[b"hop-1", b"hop-2", b""]).await;
        assert!(reply.contains(r#""result":1"#), "{reply}");
        if kind == SocketType::Router {
            let mut dealer = Raw::connect(&endpoint, SocketType::Dealer).await;
            dealer.send(&[b"[1,", b"2]"]).await;
            assert_eq!(error_code(&dealer.reply(&[]).await), -32600);
            let many: Vec<&[u8]> = vec![b"x"; 200];
            dealer.send(&many).await;
            let reply = dealer.reply(&[]).await;
            assert!(reply.contains("more than 64 frames"), "{reply}");
            dealer.send(&[b"\x80"]).await;
            assert_eq!(error_code(&dealer.reply(&[]).await), -32700);
        }
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

#[tokio::test]
async fn a_message_over_the_limit_is_answered_32002_and_the_connection_goes_on() {
    let config = ZmqConfig::default().with_max_message_size(1024);
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, config.clone()).await;
        let mut req = Raw::connect(&endpoint, SocketType::Req).await;
        let huge = format!(
            r#"{{"jsonrpc":"2.0","method":"sum","params":[{}],"id":1}}"#,
            "1,".repeat(4000) + "1"
        );
        req.send(&[b"", huge.as_bytes()]).await;
        let reply = req.reply(&[b""]).await;
        assert_eq!(error_code(&reply), -32002, "{kind}: {reply}");
        assert!(reply.contains("1024"), "{reply}");
        req.send(&[b"", PROBE]).await;
        assert!(req.reply(&[b""]).await.contains(r#""result":1"#));
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

/// Writes `bytes` to the server's port as a raw TCP client; returns what it
/// read back before the server closed (or a second passed).
async fn raw_tcp(endpoint: &str, bytes: &[u8]) -> Vec<u8> {
    let addr = endpoint.strip_prefix("tcp://").unwrap();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = socket.write_all(bytes).await;
    let mut back = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.read_to_end(&mut back)).await;
    back
}

/// A valid greeting and READY as `kind`, then `tail`.
fn after_handshake(kind: &str, tail: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; 64];
    bytes[0] = 0xff;
    bytes[9] = 0x7f;
    bytes[10] = 3;
    bytes[12..16].copy_from_slice(b"NULL");
    let mut ready = vec![5u8];
    ready.extend_from_slice(b"READY");
    ready.push(11);
    ready.extend_from_slice(b"Socket-Type");
    ready.extend_from_slice(&(kind.len() as u32).to_be_bytes());
    ready.extend_from_slice(kind.as_bytes());
    bytes.extend_from_slice(&[0x04, ready.len() as u8]);
    bytes.extend_from_slice(&ready);
    bytes.extend_from_slice(tail);
    bytes
}

#[tokio::test]
async fn garbage_huge_frames_and_broken_zmtp_never_take_the_server_down() {
    let config = ZmqConfig::default().with_handshake_timeout(Duration::from_millis(500));
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, config.clone()).await;
        // A client already connected before the abuse, and still served after.
        let before = ZmqClient::connect_dealer(&endpoint).await.unwrap();
        let mut huge_long = vec![0x02];
        huge_long.extend_from_slice(&(1u64 << 60).to_be_bytes());
        huge_long.extend_from_slice(b"only a few bytes");
        let mut old_greeting = after_handshake("REQ", b"");
        old_greeting[10] = 1;
        let mut curve = after_handshake("REQ", b"");
        curve[12..17].copy_from_slice(b"CURVE");
        let abuse: Vec<(&str, Vec<u8>)> = vec![
            ("http", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
            (
                "random bytes",
                (0..4096u32)
                    .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                    .collect(),
            ),
            ("a ZMTP 1.0 greeting", old_greeting),
            ("the CURVE mechanism", curve),
            ("an incompatible socket type", after_handshake("PUB", b"")),
            (
                "a 2^60-byte frame announced",
                after_handshake("DEALER", &huge_long),
            ),
            ("a 2^60-byte greeting-length", {
                let mut g = after_handshake("DEALER", b"");
                g.truncate(64);
                g.extend_from_slice(&[0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
                g
            }),
            ("an empty command", after_handshake("DEALER", &[0x04, 0x00])),
            (
                "a command shorter than its name",
                after_handshake("DEALER", &[0x04, 0x01, 0x09]),
            ),
            (
                "a one-frame message",
                after_handshake("DEALER", &[0x00, 0x02, b'{', b'}']),
            ),
            ("a reserved flag", after_handshake("DEALER", &[0xf0, 0x00])),
            (
                "a cut frame",
                after_handshake("REQ", &[0x01, 0x00, 0x00, 0x40, b'{']),
            ),
            ("nothing at all (handshake timeout)", Vec::new()),
        ];
        for (what, bytes) in &abuse {
            let back = raw_tcp(&endpoint, bytes).await;
            // Whatever came back, the server is up and serves a new peer...
            let client = ZmqClient::connect_req(&endpoint)
                .await
                .unwrap_or_else(|e| panic!("{kind} after {what}: {e}"));
            let params = EncodedParams::from_value(&[9, 4]).unwrap();
            assert_eq!(
                client.request::<i64>("subtract", params).await.unwrap(),
                5,
                "{kind} after {what} ({} bytes back)",
                back.len()
            );
        }
        // ... and the one connected before all of it.
        let params = EncodedParams::from_value(&[1, 1]).unwrap();
        assert_eq!(before.request::<i64>("subtract", params).await.unwrap(), 0);
        assert!(!handle.is_stopped());
        // Many huge frames at once, on many connections.
        let floods = (0..16).map(|_| {
            let endpoint = endpoint.clone();
            let bytes = after_handshake("DEALER", &huge_long);
            async move { raw_tcp(&endpoint, &bytes).await }
        });
        futures_util::future::join_all(floods).await;
        let params = EncodedParams::from_value(&[3, 1]).unwrap();
        assert_eq!(before.request::<i64>("subtract", params).await.unwrap(), 2);
        drop(before);
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    }
}

#[tokio::test]
async fn shutdown_answers_the_calls_in_flight_then_refuses_new_peers() {
    let (handle, endpoint) = serve(SocketType::Router, ZmqConfig::default()).await;
    let dealer = ZmqClient::connect_dealer(&endpoint).await.unwrap();
    let slow = {
        let dealer = dealer.clone();
        tokio::spawn(async move {
            dealer
                .request::<u64>("sleep", EncodedParams::from_value(&[500]).unwrap())
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = {
        let handle = handle.clone();
        tokio::spawn(async move { handle.shutdown(WAIT).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Read while draining: refused with its id.
    let refused = dealer
        .request::<i64>("subtract", EncodedParams::from_value(&[1, 1]).unwrap())
        .await;
    assert!(
        matches!(&refused, Err(ClientError::Rpc(e)) if e.code == -32001),
        "{refused:?}"
    );
    assert_eq!(
        slow.await.unwrap().unwrap(),
        500,
        "the call in flight is answered"
    );
    assert_eq!(stopping.await.unwrap(), Shutdown::Graceful);
    assert!(handle.is_stopped());
    assert!(
        ZmqClient::connect_req(&endpoint).await.is_err(),
        "no new peers"
    );
}

#[tokio::test]
async fn a_stuck_call_is_dropped_at_the_deadline() {
    let (handle, endpoint) = serve(SocketType::Rep, ZmqConfig::default()).await;
    let req = ZmqClient::connect_req(&endpoint).await.unwrap();
    let stuck = tokio::spawn(async move {
        req.request::<u64>("sleep", EncodedParams::from_value(&[60_000]).unwrap())
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        handle.shutdown(Duration::from_millis(200)).await,
        Shutdown::Forced { connections: 1 }
    );
    assert!(matches!(
        stuck.await.unwrap(),
        Err(ClientError::Closed(_) | ClientError::Transport(_))
    ));
}

#[cfg(unix)]
#[tokio::test]
async fn ipc_endpoints_serve_too() {
    let dir = std::env::temp_dir().join(format!("rpc-zmq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rpc.ipc");
    let _ = std::fs::remove_file(&path);
    let endpoint = format!("ipc://{}", path.display());
    let handle = ZmqServer::new(Arc::new(router()), ZmqConfig::default())
        .bind_router(&endpoint)
        .await
        .unwrap();
    assert_eq!(handle.local_endpoint().to_string(), endpoint);
    let client = ZmqClient::connect_dealer(&endpoint).await.unwrap();
    let who: Value = client
        .request("whoami", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(who["has_addr"], false);
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
    assert!(!path.exists(), "the socket file is removed");
}

#[tokio::test]
async fn a_socket_type_that_cannot_talk_is_refused_at_the_handshake() {
    let (handle, endpoint) = serve(SocketType::Rep, ZmqConfig::default()).await;
    let endpoint = endpoint.parse().unwrap();
    let rep_to_rep = connect(&endpoint, SocketType::Rep, 1024).await;
    assert!(rep_to_rep.is_err(), "REP cannot talk to REP");
    assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful);
}

/// The router of [`serve`], plus `repeat(n)`: `n` bytes of answer,
/// counting the calls it ran.
async fn serve_counting(
    kind: SocketType,
    config: ZmqConfig,
) -> (ZmqServerHandle, String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let repeats = Arc::new(AtomicUsize::new(0));
    let counter = repeats.clone();
    let mut router = router();
    router
        .register_sync_args("repeat", &["n"], move |(n,): (usize,), _| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ErrorObjectOwned>("x".repeat(n))
        })
        .unwrap();
    let handle = ZmqServer::new(router, config)
        .bind("tcp://127.0.0.1:0", kind)
        .await
        .unwrap();
    let endpoint = handle.local_endpoint().to_string();
    (handle, endpoint, repeats)
}

/// The frames a DEALER sends one call in: behind the empty delimiter to a
/// REP socket, bare to a ROUTER.
fn dealer_frames(kind: SocketType, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match kind {
        SocketType::Rep => encode_message(&mut out, &[b"", body]),
        _ => encode_message(&mut out, &[body]),
    }
    out
}

/// Waits until the connection count is `n`.
async fn settles_at(handle: &ZmqServerHandle, n: usize, what: &str) {
    let started = Instant::now();
    while handle.connections_active() != n {
        assert!(
            started.elapsed() < WAIT,
            "{what}: {} connections, expected {n}",
            handle.connections_active()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_is_slowed_down_not_buffered_and_others_are_served() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for kind in [SocketType::Rep, SocketType::Router] {
        let config = ZmqConfig::default()
            .with_max_in_flight(4)
            .with_write_queue(4)
            .with_write_timeout(Duration::from_secs(60));
        let (handle, endpoint, repeats) = serve_counting(kind, config).await;
        let other = ZmqClient::connect_dealer(&endpoint).await.unwrap();
        let Raw(rude) = Raw::connect(&endpoint, SocketType::Dealer).await;
        // Small calls asking for 32 KiB answers, written as fast as they go
        // in; the answers are never read.
        let call = br#"{"jsonrpc":"2.0","method":"repeat","params":[32768],"id":1}"#;
        let message = dealer_frames(kind, call);
        let mut writer = rude.writer;
        let written = Arc::new(AtomicUsize::new(0));
        let counter = written.clone();
        let flood = tokio::spawn(async move {
            while writer.write_all(&message).await.is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The server stops taking calls once its answers back up.
        let started = Instant::now();
        let mut before = usize::MAX;
        let taken = loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = repeats.load(Ordering::SeqCst);
            if now == before {
                break now;
            }
            before = now;
            assert!(
                started.elapsed() < WAIT,
                "{kind}: still taking calls: {now}"
            );
        };
        let sent = written.load(Ordering::SeqCst);
        eprintln!("{kind}: the flood wrote {sent} calls, the server took {taken}");
        // Were answers buffered without bound, every call sent would be
        // taken; what may be held is the calls in flight, the queue and
        // what the kernel buffers on both sides.
        assert!(taken >= 1, "{kind}: {taken}");
        assert!(
            taken < 1_000,
            "{kind}: took {taken} calls of a peer that never reads"
        );
        assert!(
            !flood.is_finished(),
            "{kind}: the flood's writes should block"
        );
        // Meanwhile another peer is served at once.
        let asked = Instant::now();
        let params = EncodedParams::from_value(&[7, 2]).unwrap();
        assert_eq!(other.request::<i64>("subtract", params).await.unwrap(), 5);
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "{kind}: {:?}",
            asked.elapsed()
        );
        assert_eq!(handle.connections_active(), 2, "{kind}");
        // The stuck peer's going frees its connection.
        flood.abort();
        let _ = flood.await;
        drop(rude.reader);
        settles_at(&handle, 1, &format!("{kind} after the stuck peer left")).await;
        drop(other);
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful, "{kind}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abrupt_disconnects_mid_message_leave_no_connection_behind() {
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) = serve(kind, ZmqConfig::default()).await;
        let other = ZmqClient::connect_dealer(&endpoint).await.unwrap();
        for round in 0..30_i64 {
            let Raw(mut rude) = Raw::connect(&endpoint, SocketType::Dealer).await;
            let long = format!(
                r#"{{"jsonrpc":"2.0","method":"subtract","params":[1,1],"id":"{}"}}"#,
                "y".repeat(20_000)
            );
            let whole = dealer_frames(kind, long.as_bytes());
            match round % 3 {
                // Partway through a frame's body.
                0 => rude
                    .writer
                    .write_all(&whole[..whole.len() / 2])
                    .await
                    .unwrap(),
                // Within a frame's header.
                1 => rude.writer.write_all(&whole[..1]).await.unwrap(),
                // A call still running when it goes, then half a message.
                _ => {
                    let sleep = dealer_frames(
                        kind,
                        br#"{"jsonrpc":"2.0","method":"sleep","params":[200],"id":2}"#,
                    );
                    rude.writer.write_all(&sleep).await.unwrap();
                    rude.writer.write_all(&whole[..100]).await.unwrap();
                }
            }
            rude.writer.flush().await.unwrap();
            drop(rude);
            // The peer connected all along is served between the rounds.
            let params = EncodedParams::from_value(&[round, 1]).unwrap();
            assert_eq!(
                other.request::<i64>("subtract", params).await.unwrap(),
                round - 1,
                "{kind}, round {round}"
            );
        }
        settles_at(&handle, 1, &format!("{kind} after 30 abrupt disconnects")).await;
        drop(other);
        settles_at(&handle, 0, &format!("{kind} after the last peer left")).await;
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful, "{kind}");
    }
}

#[tokio::test]
async fn a_call_refused_as_too_large_fails_at_once_and_the_dealer_goes_on() {
    for kind in [SocketType::Rep, SocketType::Router] {
        let (handle, endpoint) =
            serve(kind, ZmqConfig::default().with_max_message_size(1024)).await;
        let dealer = ZmqClient::connect_dealer(&endpoint).await.unwrap();
        let huge = EncodedParams::from_value(&["x".repeat(4096), "y".to_owned()]).unwrap();
        // Answered `-32002` with id `null`: the one call waiting fails at
        // once, no timeout needed.
        let error = tokio::time::timeout(WAIT, dealer.request::<Value>("subtract", huge))
            .await
            .unwrap_or_else(|_| panic!("{kind}: the refused call still waits"))
            .unwrap_err();
        assert_eq!(
            error.rpc_error().map(|e| e.code),
            Some(-32002),
            "{kind}: {error}"
        );
        let params = EncodedParams::from_value(&[5, 3]).unwrap();
        assert_eq!(
            dealer.request::<i64>("subtract", params).await.unwrap(),
            2,
            "{kind}"
        );
        drop(dealer);
        assert_eq!(handle.shutdown(WAIT).await, Shutdown::Graceful, "{kind}");
    }
}

//! Hostile HTTP clients against the real server: bad bodies, slow heads and
//! bodies, header floods, and a client that pipelines requests without
//! reading the answers. Each gets an error, a timeout or a closed
//! connection; none crashes the server, holds a slot for long, or makes it
//! buffer without bound, and the next client is served.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hardening_support;
mod http_server_support;

use std::time::{Duration, Instant};

use hardening_support::{eventually, raw_post, read_until_closed, request, start};
use http::StatusCode;
use http_server_support::{post, H1};
use rpc_runtime::server::{Server, ServerHandle};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A normal call on a fresh connection succeeds.
async fn still_serving(server: &ServerHandle) {
    let mut client = H1::connect(server.local_addr()).await;
    let reply = client.call(&request("add", "[2,3]")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"], 5);
}

/// What a hostile body must get: a status, and a check on the JSON reply.
struct Case {
    what: &'static str,
    body: Vec<u8>,
    status: StatusCode,
    /// Gets the body's text: some valid answers (a 5000-digit id) are
    /// beyond `serde_json::Value`.
    check: fn(&str) -> bool,
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn error_code(text: &str) -> Option<i64> {
    json(text)["error"]["code"].as_i64()
}

fn hostile_cases() -> Vec<Case> {
    let ten_mib = 10 * 1024 * 1024;
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = "9".repeat(5000);
    vec![
        Case {
            what: "100,000 open brackets",
            body: "[".repeat(100_000).into_bytes(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32700),
        },
        Case {
            what: "100,000 nested objects",
            body: "{\"a\":".repeat(100_000).into_bytes(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32700),
        },
        Case {
            what: "100,000 balanced brackets",
            body: format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            status: StatusCode::OK,
            check: |t| json(t)[0]["error"]["code"] == -32600,
        },
        Case {
            what: "100,000 levels inside params",
            body: request("echo", &format!("[{deep}]")).into_bytes(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32602),
        },
        Case {
            what: "10 MiB of [ (exactly the body limit)",
            body: "[".repeat(ten_mib).into_bytes(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32700),
        },
        Case {
            what: "10 MiB + 1 of [",
            body: "[".repeat(ten_mib + 1).into_bytes(),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            check: |t| error_code(t) == Some(-32002),
        },
        Case {
            what: "invalid UTF-8 inside a string",
            body: b"{\"jsonrpc\":\"2.0\",\"method\":\"len\",\"params\":[\"\xff\xfe\"],\"id\":1}"
                .to_vec(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32700) && json(t)["id"].is_null(),
        },
        Case {
            what: "a 5000-digit number as id and param",
            body: format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{huge},1],"id":{huge}}}"#)
                .into_bytes(),
            status: StatusCode::OK,
            check: |t| {
                t.contains(r#""code":-32602"#)
                    && t.ends_with(&format!(r#""id":{}}}"#, "9".repeat(5000)))
            },
        },
        Case {
            what: "a 10 MB string param",
            body: request("len", &format!("[\"{}\"]", "x".repeat(10_000_000))).into_bytes(),
            status: StatusCode::OK,
            check: |t| json(t)["result"] == 10_000_000,
        },
        Case {
            what: "duplicate member keys",
            body: br#"{"jsonrpc":"2.0","method":"add","method":"echo","params":[1,2],"id":1}"#
                .to_vec(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32600),
        },
        Case {
            what: "duplicate parameter names",
            body: request("add", r#"{"a":1,"a":2,"b":3}"#).into_bytes(),
            status: StatusCode::OK,
            check: |t| error_code(t) == Some(-32602),
        },
        Case {
            what: "__proto__ keys",
            body: request("echo", r#"{"__proto__":{"polluted":true},"constructor":1}"#)
                .into_bytes(),
            status: StatusCode::OK,
            check: |t| {
                json(t)["result"] == json!({"__proto__": {"polluted": true}, "constructor": 1})
            },
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_get_a_json_rpc_error_or_413_and_the_server_serves_on() {
    let server = start(Server::builder()).await;
    let addr = server.local_addr();
    for case in hostile_cases() {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The request is written while the answer is read: a 413 may come
        // (and the connection close) before the whole body is sent.
        let (mut reader, mut writer) = stream.split();
        let bytes = raw_post(&case.body, true);
        let write = async {
            let _ = writer.write_all(&bytes).await;
        };
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut answer));
        let ((), read) = tokio::join!(write, read);
        read.unwrap_or_else(|_| panic!("{}: no answer in time", case.what))
            .unwrap_or_else(|e| panic!("{}: {e}", case.what));
        let text = String::from_utf8_lossy(&answer);
        let head_end = text.find("\r\n\r\n").expect("a response head");
        let status_line = text.lines().next().unwrap();
        assert!(
            status_line.starts_with(&format!("HTTP/1.1 {}", case.status.as_u16())),
            "{}: {status_line}",
            case.what
        );
        let body = &text[head_end + 4..];
        assert!((case.check)(body), "{}: {body:.300}", case.what);
        still_serving(&server).await;
    }
    assert_eq!(server.connections_refused(), 0);
}

#[tokio::test]
async fn a_body_of_invalid_utf8_is_a_parse_error_and_the_connection_serves_on() {
    let server = start(Server::builder()).await;
    let mut client = H1::connect(server.local_addr()).await;
    let mut bad = post("");
    *bad.body_mut() = http_body_util::Full::new(bytes::Bytes::from_static(b"\xff\xfe\xfd{"));
    let reply = client.send(bad).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_rpc_error(-32700);
    // Same keep-alive connection.
    let reply = client.call(&request("add", "[1,1]")).await;
    assert_eq!(reply.json()["result"], 2);
    assert_eq!(server.connections_accepted(), 1);
}

/// Writes `bytes` one at a time, `gap` apart, until the server closes the
/// connection; returns when it closed (from the first byte) and how many
/// bytes got out.
async fn dribble(stream: &mut TcpStream, bytes: &[u8], gap: Duration) -> (Duration, usize) {
    let began = Instant::now();
    for (sent, byte) in bytes.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            return (began.elapsed(), sent);
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(gap, stream.read(&mut buf)).await {
            Err(_) => {}                                              // still open
            Ok(Ok(0) | Err(_)) => return (began.elapsed(), sent + 1), // closed
            Ok(Ok(n)) => panic!(
                "unexpected answer: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ),
        }
    }
    panic!("the whole request went out byte by byte without the server closing");
}

#[tokio::test]
async fn slowloris_headers_are_cut_off_at_the_header_read_timeout_and_free_the_slot() {
    let limit = Duration::from_millis(200);
    let server = start(
        Server::builder()
            .header_read_timeout(Some(limit))
            .max_connections(4),
    )
    .await;
    // A long head, one byte every 20 ms: each byte comes well within the
    // limit, the head as a whole would take seconds.
    let head = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{}\r\n",
        "x-pad: aaaaaaaaaaaaaaaa\r\n".repeat(20)
    );
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(TcpStream::connect(server.local_addr()).await.unwrap());
    }
    eventually("4 connections open", Duration::from_secs(2), || {
        server.connections_active() == 4
    })
    .await;
    let runs = clients.iter_mut().map(|stream| {
        let head = head.as_bytes();
        async move { dribble(stream, head, Duration::from_millis(20)).await }
    });
    for (closed_after, sent) in futures_util::future::join_all(runs).await {
        assert!(
            closed_after < limit * 5,
            "the dribble kept the connection alive for {closed_after:?}"
        );
        assert!(
            sent < head.len(),
            "cut off after {sent} of {} bytes",
            head.len()
        );
    }
    eventually("the slots are free", Duration::from_secs(2), || {
        server.connections_active() == 0
    })
    .await;
    still_serving(&server).await;
    assert_eq!(server.connections_refused(), 0);
}

#[tokio::test]
async fn a_slow_body_is_408_and_the_connection_is_closed() {
    let limit = Duration::from_millis(200);
    let server = start(Server::builder().body_read_timeout(Some(limit))).await;
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let body = request("len", &format!("[\"{}\"]", "x".repeat(200)));
    let full = raw_post(body.as_bytes(), false);
    let head_len = full.len() - body.len();
    let began = Instant::now();
    stream.write_all(&full[..head_len]).await.unwrap();
    // Then the body, a byte every 20 ms: far slower than the limit allows.
    let mut answer = Vec::new();
    for byte in &full[head_len..] {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(20), stream.read(&mut buf)).await {
            Err(_) => {}
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    if let Some(rest) = read_until_closed(&mut stream, Duration::from_secs(3)).await {
        answer.extend(rest);
    } else {
        panic!("the connection stayed open after the 408");
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
    eventually("the slot is free", Duration::from_secs(2), || {
        server.connections_active() == 0
    })
    .await;
    still_serving(&server).await;
}

/// Sends `head` (a request head with a flood in it) and returns the status
/// line, or `None` when the server closed without answering.
async fn flood(server: &ServerHandle, head: &[u8]) -> Option<String> {
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.split();
    let write = async {
        // The server may stop reading and close before all is written.
        let _ = writer.write_all(head).await;
    };
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut answer));
    let ((), read) = tokio::join!(write, read);
    // A reset after the answer is fine; the answer was read.
    let _ = read.expect("the server answered or closed in time");
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().map(str::to_owned)
}

#[tokio::test]
async fn header_floods_are_refused_with_431_within_a_bounded_read() {
    let server = start(Server::builder()).await;
    let body = request("add", "[1,2]");
    let with_headers = |extra: &str| {
        format!(
            "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
            body.len()
        )
    };

    // Up to 100 headers are served (hyper's limit, counting these 4).
    let fine: String = (0..90).map(|i| format!("x-h{i}: v\r\n")).collect();
    let status = flood(&server, with_headers(&fine).as_bytes()).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 200 OK"));

    // 10,000 small headers: refused at the 101st.
    let many: String = (0..10_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let status = flood(&server, with_headers(&many).as_bytes()).await;
    assert_eq!(
        status.as_deref(),
        Some("HTTP/1.1 431 Request Header Fields Too Large")
    );

    // One 1 MiB header line: refused once the head passes ~400 KiB, without
    // reading the rest.
    let huge = format!("x-huge: {}\r\n", "a".repeat(1024 * 1024));
    let status = flood(&server, with_headers(&huge).as_bytes()).await;
    assert_eq!(
        status.as_deref(),
        Some("HTTP/1.1 431 Request Header Fields Too Large")
    );

    // 64 MiB of head with no end: the server reads a bounded prefix, then
    // answers and closes; the client cannot push the rest.
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\nx-endless: ")
        .await
        .unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    let mut pushed = 0usize;
    for _ in 0..64 {
        match tokio::time::timeout(Duration::from_secs(2), stream.write_all(&chunk)).await {
            Ok(Ok(())) => pushed += chunk.len(),
            Ok(Err(_)) | Err(_) => break,
        }
    }
    assert!(
        pushed < 32 * 1024 * 1024,
        "the server kept reading an endless head: {pushed} bytes"
    );
    eventually(
        "the flooding connection is closed",
        Duration::from_secs(3),
        || server.connections_active() == 0,
    )
    .await;
    still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_its_answers_is_held_back_by_backpressure() {
    let server = start(Server::builder()).await;
    // Each request carries 16 KiB and asks for the same back: 4096 of them
    // are 64 MiB of requests and 64 MiB of answers.
    let pad = "x".repeat(16 * 1024);
    let one = raw_post(request("echo", &format!("[\"{pad}\"]")).as_bytes(), false);
    let mut hog = TcpStream::connect(server.local_addr()).await.unwrap();
    let mut written = 0usize;
    let mut stalled = false;
    for _ in 0..4096 {
        match tokio::time::timeout(Duration::from_millis(500), hog.write_all(&one)).await {
            Ok(Ok(())) => written += 1,
            Ok(Err(error)) => panic!("the server dropped the connection: {error}"),
            Err(_) => {
                stalled = true;
                break;
            }
        }
    }
    let taken_mib = written * one.len() / (1024 * 1024);
    eprintln!("hog: {written} requests ({taken_mib} MiB) went out before the stall");
    assert!(
        stalled,
        "all {written} requests ({taken_mib} MiB) were taken without a read"
    );
    // The server stopped reading once its answers could not be written:
    // what went out is bounded by the socket buffers on both sides (a few
    // MiB each on loopback) and one answer in hyper's hands, not by what
    // was offered.
    assert!(
        taken_mib < 32,
        "the server took {taken_mib} MiB of requests from a client that reads nothing"
    );

    // Meanwhile another client is served at once.
    let began = Instant::now();
    still_serving(&server).await;
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "{:?}",
        began.elapsed()
    );

    // When the hog finally reads, its answers arrive in order, complete.
    let mut buf = vec![0u8; 1 << 20];
    let mut seen = Vec::new();
    let mut answers = 0;
    while answers < written.min(8) {
        let n = tokio::time::timeout(Duration::from_secs(5), hog.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
        answers = seen.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    }
    drop(hog);
    eventually("the hog's slot is free", Duration::from_secs(3), || {
        server.connections_active() == 0
    })
    .await;
}

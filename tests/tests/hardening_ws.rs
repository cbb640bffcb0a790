//! Hostile WebSocket clients against the real server, frame by frame:
//! hostile JSON, oversized and fragmented messages, bad UTF-8, garbage after
//! the close frame, and a client that stops reading. Each gets an error or
//! a close code; the server frees the slot and serves everyone else.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hardening_support;

use std::time::{Duration, Instant};

use hardening_support::{eventually, op, request, start, RawWs};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::ws::WsConfig;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt as _;

/// A normal call on a fresh WebSocket succeeds.
async fn still_serving(server: &ServerHandle) {
    let mut ws = RawWs::connect(server.local_addr()).await;
    ws.send_text(&request("add", "[2,3]")).await;
    let reply: Value = serde_json::from_str(&ws.read_text().await).unwrap();
    assert_eq!(reply["result"], 5);
}

/// Whether an answer's text is the right one.
type Check = Box<dyn Fn(&str) -> bool>;

fn small_limits() -> WsConfig {
    WsConfig::default().with_max_message_size(1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_get_json_rpc_errors_on_a_connection_that_serves_on() {
    let server = start(Server::builder()).await;
    let mut ws = RawWs::connect(server.local_addr()).await;
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge = "9".repeat(5000);
    let code = |text: &str| -> Option<i64> {
        serde_json::from_str::<Value>(text).ok()?["error"]["code"].as_i64()
    };
    let cases: Vec<(&str, String, Check)> = vec![
        (
            "100,000 open brackets",
            "[".repeat(100_000),
            Box::new(move |t| code(t) == Some(-32700)),
        ),
        (
            "100,000 nested objects",
            "{\"a\":".repeat(100_000),
            Box::new(move |t| code(t) == Some(-32700)),
        ),
        (
            "100,000 levels inside params",
            request("echo", &format!("[{deep}]")),
            Box::new(move |t| code(t) == Some(-32602)),
        ),
        (
            "10 MiB of [ (exactly the message limit)",
            "[".repeat(10 << 20),
            Box::new(move |t| code(t) == Some(-32700)),
        ),
        (
            "a 5000-digit number as id and param",
            format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{huge},1],"id":{huge}}}"#),
            Box::new(|t| {
                t.contains(r#""code":-32602"#) && t.ends_with(&format!("{}}}", "9".repeat(5000)))
            }),
        ),
        (
            "a 10 MB string param",
            request("len", &format!("[\"{}\"]", "x".repeat(10_000_000))),
            Box::new(|t| serde_json::from_str::<Value>(t).unwrap()["result"] == 10_000_000),
        ),
        (
            "duplicate member keys",
            r#"{"jsonrpc":"2.0","method":"add","method":"echo","params":[1,2],"id":1}"#.to_owned(),
            Box::new(move |t| code(t) == Some(-32600)),
        ),
        (
            "duplicate parameter names",
            request("add", r#"{"a":1,"a":2,"b":3}"#),
            Box::new(move |t| code(t) == Some(-32602)),
        ),
        (
            "__proto__ keys",
            request("echo", r#"{"__proto__":{"polluted":true},"constructor":1}"#),
            Box::new(|t| {
                serde_json::from_str::<Value>(t).unwrap()["result"]
                    == json!({"__proto__": {"polluted": true}, "constructor": 1})
            }),
        ),
    ];
    for (what, text, check) in cases {
        ws.send_text(&text).await;
        let reply = ws.read_text().await;
        assert!(check(&reply), "{what}: {reply:.300}");
        // The same connection answers the next call.
        ws.send_text(&request("add", "[2,3]")).await;
        let next: Value = serde_json::from_str(&ws.read_text().await).unwrap();
        assert_eq!(next["result"], 5, "{what}");
    }
    assert_eq!(server.connections_active(), 1);
}

#[tokio::test]
async fn a_fragmented_message_within_the_limit_is_answered() {
    let server = start(Server::builder().ws_config(small_limits())).await;
    let mut ws = RawWs::connect(server.local_addr()).await;
    let text = request("len", &format!("[\"{}\"]", "y".repeat(600)));
    let (a, rest) = text.as_bytes().split_at(10);
    let (b, c) = rest.split_at(300);
    ws.send_frame(false, op::TEXT, a).await;
    // A control frame may come between fragments.
    ws.send_frame(true, op::PING, b"between").await;
    ws.send_frame(false, op::CONTINUATION, b).await;
    ws.send_frame(true, op::CONTINUATION, c).await;
    let pong = ws.read_frame().await.unwrap();
    assert_eq!(
        (pong.opcode, &pong.payload[..]),
        (op::PONG, &b"between"[..])
    );
    let reply: Value = serde_json::from_str(&ws.read_text().await).unwrap();
    assert_eq!(reply["result"], 600);
}

#[tokio::test]
async fn oversized_fragmented_messages_and_oversized_frame_headers_close_with_1009() {
    let server = start(Server::builder().ws_config(small_limits())).await;

    // Eight fragments of 512 bytes: each under the 1 KiB limit, the message
    // over it.
    let mut ws = RawWs::connect(server.local_addr()).await;
    let chunk = vec![b' '; 512];
    ws.send_frame(false, op::TEXT, &chunk).await;
    for _ in 0..6 {
        if ws
            .stream
            .write_all(&RawWs::encode(false, op::CONTINUATION, &chunk))
            .await
            .is_err()
        {
            break;
        }
    }
    let _ = ws
        .stream
        .write_all(&RawWs::encode(true, op::CONTINUATION, &chunk))
        .await;
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1009));
    drop(ws);

    // A frame header that announces 1 TiB: refused on the header, before a
    // byte of payload is awaited or allocated.
    let mut ws = RawWs::connect(server.local_addr()).await;
    let mut header = vec![0x81, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    ws.stream.write_all(&header).await.unwrap();
    let began = Instant::now();
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1009));
    assert!(began.elapsed() < Duration::from_secs(1));
    drop(ws);

    eventually("the slots are free", Duration::from_secs(3), || {
        server.connections_active() == 0
    })
    .await;
    still_serving(&server).await;
}

#[tokio::test]
async fn text_that_is_not_utf8_closes_with_1007() {
    let server = start(Server::builder()).await;

    // In one frame.
    let mut ws = RawWs::connect(server.local_addr()).await;
    ws.send_frame(
        true,
        op::TEXT,
        b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\"}",
    )
    .await;
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1007));
    drop(ws);

    // Split across fragments, the bad byte in the last one.
    let mut ws = RawWs::connect(server.local_addr()).await;
    ws.send_frame(false, op::TEXT, b"{\"jsonrpc\":").await;
    ws.send_frame(true, op::CONTINUATION, b"\"2.0\xc0\"}").await;
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1007));
    drop(ws);

    // A binary frame is read as JSON text too, and held to the same rule.
    let mut ws = RawWs::connect(server.local_addr()).await;
    ws.send_frame(true, op::BINARY, b"\xff").await;
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1007));
    drop(ws);

    eventually("the slots are free", Duration::from_secs(3), || {
        server.connections_active() == 0
    })
    .await;
    still_serving(&server).await;
}

#[tokio::test]
async fn garbage_after_the_close_frame_or_broken_framing_ends_only_that_connection() {
    let server = start(Server::builder()).await;
    let mut bystander = RawWs::connect(server.local_addr()).await;

    // A close frame, then 64 KiB of garbage in the same write.
    let mut ws = RawWs::connect(server.local_addr()).await;
    let mut bytes = RawWs::encode(true, op::CLOSE, &1000u16.to_be_bytes());
    bytes.extend((0..64 * 1024).map(|i| (i * 7 + 3) as u8));
    let _ = ws.stream.write_all(&bytes).await;
    assert_eq!(ws.read_close(Duration::from_secs(5)).await, Some(1000));

    // Raw garbage instead of a frame; an unmasked client frame; reserved
    // bits set; a fragmented ping. Each is a protocol error that fails the
    // connection with a close frame, code 1002, and ends it.
    let broken: [&[u8]; 4] = [
        &[0xff; 256],
        &[0x81, 0x05, b'h', b'e', b'l', b'l', b'o'],
        &[0xf1, 0x80, 0, 0, 0, 0],
        &[0x09, 0x80, 0, 0, 0, 0],
    ];
    for bytes in broken {
        let mut ws = RawWs::connect(server.local_addr()).await;
        let _ = ws.stream.write_all(bytes).await;
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            let mut close = None;
            while let Some(frame) = ws.read_frame().await {
                assert_ne!(frame.opcode, op::TEXT, "no answer to a broken frame");
                close = close.or(frame.close_code());
            }
            close
        })
        .await;
        assert_eq!(
            ended,
            Ok(Some(1002)),
            "{bytes:?}: no 1002 close frame, or the connection stayed open"
        );
    }

    eventually("only the bystander is left", Duration::from_secs(3), || {
        server.connections_active() == 1
    })
    .await;
    bystander.send_text(&request("add", "[40,2]")).await;
    let reply: Value = serde_json::from_str(&bystander.read_text().await).unwrap();
    assert_eq!(reply["result"], 42);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_bounded_then_closed() {
    let write_timeout = Duration::from_millis(300);
    let config = WsConfig::default()
        .with_write_queue(4)
        .with_max_in_flight(8)
        .with_write_timeout(write_timeout);
    let server = start(Server::builder().ws_config(config)).await;
    let mut hog = RawWs::connect(server.local_addr()).await;
    // Each request carries 16 KiB and asks for it back; the hog never reads.
    let pad = "x".repeat(16 * 1024);
    let frame = RawWs::encode(
        true,
        op::TEXT,
        request("echo", &format!("[\"{pad}\"]")).as_bytes(),
    );
    let began = Instant::now();
    let mut sent = 0usize;
    let ended_by = loop {
        match tokio::time::timeout(Duration::from_millis(200), hog.stream.write_all(&frame)).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) => break "write error",
            Err(_) => break "stall",
        }
        if sent >= 4096 {
            break "never stalled";
        }
    };
    assert_ne!(ended_by, "never stalled");
    eprintln!("hog: {sent} requests out before: {ended_by}");
    // The server closes the connection once a write stalls past the write
    // timeout: the slot is freed while the hog still holds its socket.
    eventually("the hog is cut off", Duration::from_secs(5), || {
        server.connections_active() == 0
    })
    .await;
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
    // What went out is bounded by the server's queue and in-flight limit and
    // the socket buffers, not by what was offered (4096 × 16 KiB).
    assert!(sent < 2048, "{sent} requests taken");
    still_serving(&server).await;
}

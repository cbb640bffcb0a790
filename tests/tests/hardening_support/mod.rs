//! What the hardening tests share: a router with well-behaved and
//! misbehaving methods, a real server on `127.0.0.1:0`, and a raw WebSocket
//! client that writes frames byte for byte (fragments, bad UTF-8, garbage),
//! which no well-behaved client library would send.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::server::{ServerBuilder, ServerHandle};
use rpc_runtime::Router;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// `add(a, b)`, `len(s)`, `echo(..)`, `big(n)` (a string of `n` bytes),
/// `sleep(ms)`, and the faulty ones: `boom` panics, `hang` never finishes,
/// `fail` returns error 4242.
pub fn router() -> Router {
    let mut r = Router::new();
    r.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r.register_sync("len", |p, _| {
        let (s,): (String,) = p.decode(&["s"])?;
        Ok::<_, ErrorObjectOwned>(s.len())
    })
    .unwrap();
    r.register_sync("echo", |p, _| p.parse::<Value>()).unwrap();
    r.register_sync("big", |p, _| {
        let (n,): (usize,) = p.decode(&["n"])?;
        Ok::<_, ErrorObjectOwned>("x".repeat(n))
    })
    .unwrap();
    r.register_async("sleep", |p, _| {
        let ms = p.decode::<(u64,)>(&["ms"]);
        async move {
            let (ms,) = ms?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok::<_, ErrorObjectOwned>(ms)
        }
    })
    .unwrap();
    r.register_sync("boom", |_, _| -> Result<(), ErrorObjectOwned> {
        panic!("the handler blew up")
    })
    .unwrap();
    r.register_async("hang", |_, _| async {
        std::future::pending::<()>().await;
        Ok::<_, ErrorObjectOwned>(())
    })
    .unwrap();
    r.register_sync("fail", |_, _| -> Result<(), ErrorObjectOwned> {
        Err(ErrorObject::new(4242, "failed on purpose").into_owned())
    })
    .unwrap();
    r
}

/// A server with `builder`'s settings and [`router`], on a free port.
pub async fn start(builder: ServerBuilder) -> ServerHandle {
    builder
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
}

/// A request text with id 1.
pub fn request(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#)
}

/// An HTTP/1.1 POST of `body` as raw bytes (`close` adds `connection: close`).
pub fn raw_post(body: &[u8], close: bool) -> Vec<u8> {
    let mut out = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n",
        body.len(),
        if close { "connection: close\r\n" } else { "" }
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Waits (up to `limit`) until `check` holds.
pub async fn eventually(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads until the peer closes (or resets) the socket; `None` if it is
/// still open after `limit`.
pub async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.ok()?;
    Some(out)
}

/// WebSocket opcodes, for raw frames.
pub mod op {
    pub const CONTINUATION: u8 = 0x0;
    pub const TEXT: u8 = 0x1;
    pub const BINARY: u8 = 0x2;
    pub const CLOSE: u8 = 0x8;
    pub const PING: u8 = 0x9;
    pub const PONG: u8 = 0xa;
}

/// A frame from the server.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The close code of a close frame.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == op::CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).expect("UTF-8 frame")
    }
}

/// A WebSocket client on a bare TCP socket: it writes exactly the frames it
/// is told to, and reads only when asked.
pub struct RawWs {
    pub stream: TcpStream,
    buffered: Vec<u8>,
}

impl RawWs {
    /// Connects and performs the opening handshake.
    pub async fn connect(addr: SocketAddr) -> Self {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        let handshake =
            "GET / HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\n\
             sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        stream.write_all(handshake.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
                .await
                .expect("handshake answer in time")
                .unwrap();
            assert_eq!(n, 1, "closed during the handshake: {head:?}");
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        Self {
            stream,
            buffered: Vec::new(),
        }
    }

    /// The bytes of one masked client frame.
    pub fn encode(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 14);
        out.push(if fin { 0x80 } else { 0 } | opcode);
        let len = payload.len();
        if len < 126 {
            out.push(0x80 | len as u8);
        } else if len <= usize::from(u16::MAX) {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    pub async fn send_frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) {
        self.stream
            .write_all(&Self::encode(fin, opcode, payload))
            .await
            .expect("write a frame");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send_frame(true, op::TEXT, text.as_bytes()).await;
    }

    /// The next frame from the server, `None` once the socket has ended.
    pub async fn read_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some((frame, used)) = parse_server_frame(&self.buffered) {
                self.buffered.drain(..used);
                return Some(frame);
            }
            let mut buf = vec![0u8; 64 * 1024];
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buffered.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// The next data frame's text, skipping pings and pongs; panics on
    /// anything else.
    pub async fn read_text(&mut self) -> String {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.read_frame())
                .await
                .expect("a frame in time")
                .expect("a frame, not the end");
            match frame.opcode {
                op::PING | op::PONG => continue,
                op::TEXT | op::BINARY => return frame.text().to_owned(),
                _ => panic!("expected a data frame, got {frame:?}"),
            }
        }
    }

    /// Reads until a close frame; returns its code (`None`: the socket
    /// ended without one). Data frames before it are skipped.
    pub async fn read_close(&mut self, limit: Duration) -> Option<u16> {
        tokio::time::timeout(limit, async {
            loop {
                let frame = self.read_frame().await?;
                if frame.opcode == op::CLOSE {
                    return Some(frame.close_code().unwrap_or(1005));
                }
            }
        })
        .await
        .expect("the server closed in time")
    }
}

/// One unmasked frame at the start of `bytes`, and how many bytes it took.
fn parse_server_frame(bytes: &[u8]) -> Option<(Frame, usize)> {
    if bytes.len() < 2 {
        return None;
    }
    let fin = bytes[0] & 0x80 != 0;
    let opcode = bytes[0] & 0x0f;
    let (len, at) = match bytes[1] & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (
            usize::try_from(u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?)).ok()?,
            10,
        ),
        n => (usize::from(n), 2),
    };
    let payload = bytes.get(at..at + len)?.to_vec();
    Some((
        Frame {
            fin,
            opcode,
            payload,
        },
        at + len,
    ))
}

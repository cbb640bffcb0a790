//! A minimal WebSocket client for the subscription suite, so that reading
//! hundreds of thousands of notifications a second costs the load
//! generator (which shares the cores with the server) as little as
//! possible: the handshake by hand, unmasked server frames read in place
//! from one buffer, no UTF-8 check, no allocation per frame; pings are
//! answered. And the light parse of a notification.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// One client connection.
pub(crate) struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
}

const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

impl Ws {
    /// Opens `ws://addr/`.
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self, String> {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        let mut ws = Self {
            stream,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
        };
        let head_len = loop {
            if let Some(i) = ws.unread().windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if ws.fill(ws.end + 1).await? == 0 {
                return Err("handshake: the server closed the connection".to_owned());
            }
        };
        let head = String::from_utf8_lossy(&ws.unread()[..head_len]).into_owned();
        if !head.starts_with("HTTP/1.1 101") {
            return Err(format!(
                "handshake refused: {}",
                head.lines().next().unwrap_or("")
            ));
        }
        ws.start += head_len;
        Ok(ws)
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads until at least `want` unread bytes are buffered (making room
    /// as needed); returns how many bytes the last read got (0: closed).
    async fn fill(&mut self, want: usize) -> Result<usize, String> {
        let mut got = 1;
        while self.end - self.start < want {
            if self.start + want > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if want > self.buf.len() {
                    self.buf.resize(want.next_power_of_two(), 0);
                }
            }
            got = self
                .stream
                .read(&mut self.buf[self.end..])
                .await
                .map_err(|e| format!("read: {e}"))?;
            if got == 0 {
                return Ok(0);
            }
            self.end += got;
        }
        Ok(got)
    }

    /// Sends one text frame (masked, as a client must).
    pub(crate) async fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.send_frame(OP_TEXT, text.as_bytes()).await
    }

    async fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> Result<(), String> {
        const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
        let mut frame = Vec::with_capacity(payload.len() + 14);
        frame.push(0x80 | opcode);
        match payload.len() {
            len @ 0..=125 => frame.push(0x80 | len as u8),
            len @ 126..=0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&MASK);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| format!("write: {e}"))
    }

    /// The payload of the next text message (valid until the next call);
    /// answers pings on the way. A close, a fragmented message or a binary
    /// one is an error.
    pub(crate) async fn next_text(&mut self) -> Result<&[u8], String> {
        loop {
            if self.fill(2).await? == 0 {
                return Err("the server closed the connection".to_owned());
            }
            let (b0, b1) = (self.buf[self.start], self.buf[self.start + 1]);
            let (fin, opcode) = (b0 & 0x80 != 0, b0 & 0x0f);
            if b1 & 0x80 != 0 {
                return Err("a masked frame from the server".to_owned());
            }
            let (header, len) = match b1 & 0x7f {
                126 => {
                    self.fill(4).await?;
                    let b = &self.buf[self.start + 2..self.start + 4];
                    (4, usize::from(u16::from_be_bytes([b[0], b[1]])))
                }
                127 => {
                    self.fill(10).await?;
                    let mut b = [0; 8];
                    b.copy_from_slice(&self.buf[self.start + 2..self.start + 10]);
                    (
                        10,
                        usize::try_from(u64::from_be_bytes(b)).unwrap_or(usize::MAX),
                    )
                }
                len => (2, usize::from(len)),
            };
            if len > 64 << 20 {
                return Err(format!("a {len}-byte frame"));
            }
            if self.fill(header + len).await? == 0 {
                return Err("the server closed the connection mid-frame".to_owned());
            }
            let payload = self.start + header..self.start + header + len;
            self.start = payload.end;
            match opcode {
                OP_TEXT if fin => return Ok(&self.buf[payload]),
                OP_PING => {
                    let data = self.buf[payload].to_vec();
                    self.send_frame(OP_PONG, &data).await?;
                }
                OP_PONG => {}
                OP_CLOSE => {
                    let data = &self.buf[payload];
                    let code = data.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    return Err(format!(
                        "the server closed the connection (code {code:?}: {})",
                        String::from_utf8_lossy(data.get(2..).unwrap_or_default())
                    ));
                }
                _ => return Err(format!("unexpected frame (opcode {opcode}, fin {fin})")),
            }
        }
    }
}

/// A notification's subscription id (its JSON text, quotes included) and
/// integer result, found by byte search rather than decoding; `None` for
/// anything else (such as a closing notification carrying an error).
pub(crate) fn item(frame: &[u8]) -> Option<(&[u8], u64)> {
    let id = after(frame, b"\"subscription\":")?;
    let id = &id[..id.iter().position(|&b| b == b',' || b == b'}')?];
    let result = after(frame, b"\"result\":")?;
    let digits = result.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let value = result[..digits]
        .iter()
        .fold(0, |n: u64, &b| n * 10 + u64::from(b - b'0'));
    Some((id, value))
}

fn after<'a>(haystack: &'a [u8], needle: &[u8]) -> Option<&'a [u8]> {
    let at = haystack.windows(needle.len()).position(|w| w == needle)?;
    Some(&haystack[at + needle.len()..])
}

#[cfg(test)]
mod tests {
    use super::item;

    #[test]
    fn notifications_are_read_without_decoding() {
        let ours =
            br#"{"jsonrpc":"2.0","method":"topic","params":{"subscription":"a1B2","result":42}}"#;
        assert_eq!(item(ours), Some((&br#""a1B2""#[..], 42)));
        let numeric =
            br#"{"jsonrpc":"2.0","method":"topic","params":{"result":7,"subscription":123}}"#;
        assert_eq!(item(numeric), Some((&b"123"[..], 7)));
        let closing =
            br#"{"jsonrpc":"2.0","method":"topic","params":{"subscription":1,"error":"lagged"}}"#;
        assert_eq!(item(closing), None);
        assert_eq!(item(br#"{"jsonrpc":"2.0","result":3,"id":1}"#), None);
    }
}

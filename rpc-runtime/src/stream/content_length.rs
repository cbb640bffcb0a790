//! The LSP base protocol: `Content-Length: N\r\n\r\n` and N bytes.

use bytes::BytesMut;

use super::codec::{frame, Codec, Frame, FrameError, State};

/// The longest header block read before giving up on it.
const MAX_HEAD: usize = 8 * 1024;

/// The next message of `buf`, once its header block and body are in.
pub(crate) fn decode(codec: &mut Codec, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
    let (head, body) = match codec.state {
        State::Body { head, body } => (head, body),
        _ => {
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                if buf.len() > MAX_HEAD {
                    return Err(FrameError::BadHeader("no end to the header block"));
                }
                return Ok(None);
            };
            let body = content_length(&buf[..end])?;
            if body > codec.max {
                return Err(FrameError::TooLarge { limit: codec.max });
            }
            let head = end + 4;
            codec.state = State::Body { head, body };
            (head, body)
        }
    };
    if buf.len() < head + body {
        buf.reserve(head + body - buf.len());
        return Ok(None);
    }
    codec.state = State::Start;
    let _ = buf.split_to(head);
    Ok(Some(frame(buf.split_to(body))))
}

/// The value of the `Content-Length` header (names are case-insensitive;
/// other headers are ignored).
fn content_length(block: &[u8]) -> Result<usize, FrameError> {
    let block =
        std::str::from_utf8(block).map_err(|_| FrameError::BadHeader("a header is not UTF-8"))?;
    let mut length = None;
    for line in block.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(FrameError::BadHeader("a header line without a colon"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FrameError::BadHeader(
                    "Content-Length is not a non-negative integer",
                ));
            }
            let n = value
                .parse::<usize>()
                .map_err(|_| FrameError::BadHeader("Content-Length is too large"))?;
            if length.replace(n).is_some_and(|before| before != n) {
                return Err(FrameError::BadHeader(
                    "two different Content-Length headers",
                ));
            }
        }
    }
    length.ok_or(FrameError::BadHeader("no Content-Length header"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use bytes::BytesMut;
    use tokio_util::codec::Decoder as _;

    use super::super::codec::{Codec, Frame, FrameError};
    use super::super::Framing;

    fn next(codec: &mut Codec, buf: &mut BytesMut) -> Result<Option<String>, FrameError> {
        Ok(codec.decode(buf)?.map(|frame| match frame {
            Frame::Text(text) => text.as_str().to_owned(),
            Frame::NotUtf8 => "<not utf-8>".to_owned(),
        }))
    }

    #[test]
    fn headers_in_any_case_with_others_tolerated() {
        let mut codec = Codec::new(Framing::ContentLength, 100);
        let mut buf = BytesMut::from(
            &b"content-length: 3\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[1]Content-Length:2\r\n\r\n{}"[..],
        );
        assert_eq!(next(&mut codec, &mut buf).unwrap().unwrap(), "[1]");
        assert_eq!(next(&mut codec, &mut buf).unwrap().unwrap(), "{}");
        assert_eq!(next(&mut codec, &mut buf).unwrap(), None);
    }

    #[test]
    fn a_body_split_anywhere_waits_for_the_rest() {
        let whole = b"Content-Length: 7\r\n\r\n[1,2,3]";
        for cut in 0..whole.len() {
            let mut codec = Codec::new(Framing::ContentLength, 100);
            let mut buf = BytesMut::from(&whole[..cut]);
            assert_eq!(next(&mut codec, &mut buf).unwrap(), None, "cut at {cut}");
            buf.extend_from_slice(&whole[cut..]);
            assert_eq!(next(&mut codec, &mut buf).unwrap().unwrap(), "[1,2,3]");
        }
    }

    #[test]
    fn unreadable_lengths_and_oversized_bodies() {
        for head in [
            "Content-Length: -1",
            "Content-Length: ten",
            "Content-Length: ",
            "Content-Type: x",
            "junk",
        ] {
            let mut codec = Codec::new(Framing::ContentLength, 100);
            let mut buf = BytesMut::from(format!("{head}\r\n\r\n{{}}").as_bytes());
            assert!(
                matches!(next(&mut codec, &mut buf), Err(FrameError::BadHeader(_))),
                "{head}"
            );
        }
        let mut codec = Codec::new(Framing::ContentLength, 100);
        let mut buf = BytesMut::from(&b"Content-Length: 101\r\n\r\n"[..]);
        assert!(matches!(
            next(&mut codec, &mut buf),
            Err(FrameError::TooLarge { limit: 100 })
        ));
    }
}

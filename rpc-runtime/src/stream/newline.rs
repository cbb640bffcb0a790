//! Newline-delimited JSON: one message per line.

use bytes::BytesMut;

use super::codec::{frame, Codec, Frame, FrameError, State};

/// The next line of `buf` as a message, skipping blank lines.
pub(crate) fn decode(codec: &mut Codec, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
    loop {
        let searched = match codec.state {
            State::Searched(n) => n.min(buf.len()),
            _ => 0,
        };
        let Some(at) = buf[searched..].iter().position(|&b| b == b'\n') else {
            if buf.len() > codec.max {
                return Err(FrameError::TooLarge { limit: codec.max });
            }
            codec.state = State::Searched(buf.len());
            return Ok(None);
        };
        codec.state = State::Start;
        let mut line = buf.split_to(searched + at + 1);
        line.truncate(line.len() - 1);
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.len() > codec.max {
            return Err(FrameError::TooLarge { limit: codec.max });
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        return Ok(Some(frame(line)));
    }
}

/// What is left when the stream ends without a final newline: a last
/// message, unless it is blank.
pub(crate) fn decode_last(
    codec: &mut Codec,
    buf: &mut BytesMut,
) -> Result<Option<Frame>, FrameError> {
    codec.state = State::Start;
    let line = buf.split();
    if line.len() > codec.max {
        return Err(FrameError::TooLarge { limit: codec.max });
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(frame(line)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use tokio_util::codec::Decoder as _;

    use super::super::codec::{Codec, Frame, FrameError};
    use super::super::Framing;
    use bytes::BytesMut;

    fn texts(codec: &mut Codec, buf: &mut BytesMut) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(frame) = codec.decode(buf).unwrap() {
            match frame {
                Frame::Text(text) => out.push(text.as_str().to_owned()),
                Frame::NotUtf8 => out.push("<not utf-8>".to_owned()),
            }
        }
        out
    }

    #[test]
    fn lines_crlf_and_blank_lines() {
        let mut codec = Codec::new(Framing::Newline, 100);
        let mut buf = BytesMut::from(&b"{\"a\":1}\r\n\n  \r\n[1]\n\xff\nrest"[..]);
        assert_eq!(
            texts(&mut codec, &mut buf),
            ["{\"a\":1}", "[1]", "<not utf-8>"]
        );
        assert_eq!(&buf[..], b"rest");
        buf.extend_from_slice(b"\n");
        assert_eq!(texts(&mut codec, &mut buf), ["rest"]);
    }

    #[test]
    fn a_line_over_the_limit_is_an_error_before_its_end() {
        let mut codec = Codec::new(Framing::Newline, 8);
        let mut buf = BytesMut::from(&b"123456789"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(FrameError::TooLarge { limit: 8 })
        ));
        let mut buf = BytesMut::from(&b"12345678\n"[..]);
        assert_eq!(texts(&mut codec, &mut buf), ["12345678"]);
    }
}

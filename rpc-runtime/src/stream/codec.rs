//! The framings as `tokio-util` codecs: bytes in, messages out, and back.

use bytes::{BufMut as _, BytesMut};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::codec::{Decoder, Encoder};

use super::{content_length, newline, Framing};

/// One message cut from the stream.
#[derive(Debug)]
pub(crate) enum Frame {
    /// UTF-8 text for the core.
    Text(Utf8Bytes),
    /// A message that is not UTF-8: answered `-32700`, the stream goes on.
    NotUtf8,
}

/// What stops a stream: nothing after it can be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FrameError {
    /// A message (or its announced length) over the limit.
    #[error("a message over the limit of {limit} bytes")]
    TooLarge { limit: usize },
    /// A `Content-Length` header block that cannot be read.
    #[error("bad framing: {0}")]
    BadHeader(&'static str),
    /// The stream ended partway through a message.
    #[error("the stream ended partway through a message")]
    Truncated,
    /// The socket failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Cuts messages from bytes in one framing, within a size limit, and
/// frames outgoing messages the same way.
#[derive(Debug)]
pub(crate) struct Codec {
    framing: Framing,
    pub(crate) max: usize,
    /// Newline: how far the buffer was searched for `\n`.
    /// Content-Length: the length of the header block and the body, once read.
    pub(crate) state: State,
}

#[derive(Debug, Default)]
pub(crate) enum State {
    #[default]
    Start,
    /// Newline: bytes already searched.
    Searched(usize),
    /// Content-Length: the header block's length and the body's.
    Body { head: usize, body: usize },
}

impl Codec {
    pub(crate) fn new(framing: Framing, max: usize) -> Self {
        Self {
            framing,
            max,
            state: State::Start,
        }
    }
}

/// `bytes` as a frame: UTF-8 text, or not.
pub(crate) fn frame(bytes: BytesMut) -> Frame {
    match Utf8Bytes::try_from(bytes.freeze()) {
        Ok(text) => Frame::Text(text),
        Err(_) => Frame::NotUtf8,
    }
}

impl Decoder for Codec {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        match self.framing {
            Framing::Newline => newline::decode(self, buf),
            Framing::ContentLength => content_length::decode(self, buf),
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        match self.framing {
            Framing::Newline => newline::decode_last(self, buf),
            Framing::ContentLength if buf.is_empty() => Ok(None),
            Framing::ContentLength => Err(FrameError::Truncated),
        }
    }
}

impl Encoder<String> for Codec {
    type Error = std::io::Error;

    fn encode(&mut self, text: String, out: &mut BytesMut) -> Result<(), std::io::Error> {
        match self.framing {
            Framing::Newline => {
                out.reserve(text.len() + 1);
                // A raw newline would cut the message; outside strings it is
                // whitespace, and JSON strings cannot hold one raw.
                if text.contains(['\n', '\r']) {
                    out.put_slice(text.replace(['\n', '\r'], " ").as_bytes());
                } else {
                    out.put_slice(text.as_bytes());
                }
                out.put_u8(b'\n');
            }
            Framing::ContentLength => {
                let head = format!("Content-Length: {}\r\n\r\n", text.len());
                out.reserve(head.len() + text.len());
                out.put_slice(head.as_bytes());
                out.put_slice(text.as_bytes());
            }
        }
        Ok(())
    }
}

//! What the connection driver reads: one event per frame, whatever the
//! framing (WebSocket frames, or messages cut from a byte stream).

use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::{CloseReason, ConnectionError};
use crate::Refusal;

/// One thing read from the peer.
#[derive(Debug)]
#[cfg_attr(not(feature = "stream"), allow(dead_code))] // the byte streams' events
pub(crate) enum Event {
    /// A message for the core; `binary`: answer it in a binary frame.
    Message { text: Utf8Bytes, binary: bool },
    /// A message the core refuses unread (not UTF-8); the stream goes on.
    Refused(Refusal),
    /// A frame with nothing for the core (ping, pong).
    Other,
    /// The peer's close frame.
    Closed(CloseReason),
    /// The peer ended its side of a byte stream: it sends nothing more,
    /// and still reads the answers to what it sent.
    Finished,
    /// What was read breaks the framing: answer `reply` (if any), close
    /// with `code` and `text`, and, when `ends`, stop reading (the stream
    /// cannot be resynchronised).
    Fatal {
        reason: CloseReason,
        reply: Option<String>,
        code: u16,
        text: &'static str,
        ends: bool,
        what: &'static str,
        detail: String,
    },
    /// The socket failed.
    Lost(ConnectionError),
}

/// A WebSocket frame (or error) as an event.
pub(crate) fn ws_event(frame: Result<Message, WsError>) -> Event {
    match frame {
        Ok(Message::Text(text)) => Event::Message {
            text,
            binary: false,
        },
        Ok(Message::Binary(bytes)) => match Utf8Bytes::try_from(bytes) {
            Ok(text) => Event::Message { text, binary: true },
            Err(error) => Event::Fatal {
                reason: CloseReason::Error(ConnectionError::with_source(
                    "a binary frame that is not UTF-8",
                    error,
                )),
                reply: None,
                code: 1007,
                text: "binary frame is not UTF-8",
                // The stream itself is fine: wait for the peer's close.
                ends: false,
                what: "binary frame is not UTF-8",
                detail: error.to_string(),
            },
        },
        Ok(Message::Close(frame)) => Event::Closed(match frame {
            Some(frame) => CloseReason::Remote {
                code: frame.code.into(),
                reason: frame.reason.to_string(),
            },
            None => CloseReason::Remote {
                code: 1005,
                reason: String::new(),
            },
        }),
        Ok(_) => Event::Other, // ping (answered by tungstenite), pong, raw frame
        Err(WsError::Capacity(error)) => Event::Fatal {
            reason: CloseReason::MessageTooBig,
            reply: None,
            code: 1009,
            text: "message too big",
            // The stream is unusable after this error.
            ends: true,
            what: "message over the size limit",
            detail: error.to_string(),
        },
        // RFC 6455 §8.1: a text message that is not UTF-8 fails the
        // connection with 1007.
        Err(WsError::Utf8(error)) => Event::Fatal {
            reason: CloseReason::Error(ConnectionError::with_source(
                "a text frame that is not UTF-8",
                error.clone(),
            )),
            reply: None,
            code: 1007,
            text: "text frame is not UTF-8",
            ends: true,
            what: "text frame is not UTF-8",
            detail: error.to_string(),
        },
        // RFC 6455 §7.4.1: a frame that breaks the protocol (unmasked from
        // a client, reserved bits or opcodes, a fragmented control frame)
        // fails the connection with 1002.
        Err(WsError::Protocol(error)) if error != ProtocolError::ResetWithoutClosingHandshake => {
            Event::Fatal {
                reason: CloseReason::Error(ConnectionError::with_source(
                    "protocol error",
                    error.clone(),
                )),
                reply: None,
                code: 1002,
                text: "protocol error",
                ends: true,
                what: "protocol error",
                detail: error.to_string(),
            }
        }
        Err(error) => Event::Lost(ConnectionError::with_source("the WebSocket failed", error)),
    }
}

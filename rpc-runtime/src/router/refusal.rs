//! Why a transport refuses a message or its calls, and the JSON-RPC error
//! each refusal is answered with: written here, once, for every transport.

use std::time::Duration;

use crate::protocol::{codes, write_error_response, ErrorObject, ErrorObjectOwned, Id, Version};

/// A message, or the calls in it, that a transport will not run. The core
/// writes the answer, so every transport says the same thing the same way.
///
/// [`Busy`](Self::Busy) and [`Closing`](Self::Closing) refuse each call of a
/// message that was read (given to
/// [`Inbound::refuse`](crate::Inbound::refuse)): every request is answered
/// with the error and its own id, responses in it still reach their callers.
/// The others refuse a message that could not be read at all; its answer,
/// [`response`](Self::response), has id `null`.
///
/// ```
/// use rpc_runtime::Refusal;
/// let refusal = Refusal::TooLarge { limit: 1024 };
/// assert_eq!(refusal.error_object().code, -32002);
/// assert_eq!(
///     refusal.response(),
///     r#"{"jsonrpc":"2.0","error":{"code":-32002,"message":"Request body too large: the limit is 1024 bytes"},"id":null}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Too many calls in flight on the connection (`-32001`).
    Busy,
    /// The connection is closing (`-32001`).
    Closing,
    /// An HTTP method other than `POST` (`-32600`; HTTP 405).
    MethodNotAllowed,
    /// A content type other than JSON (`-32600`; HTTP 415).
    UnsupportedContentType,
    /// A message over the size limit, in bytes (`-32002`; HTTP 413).
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// A body that did not arrive in time (`-32600`; HTTP 408).
    BodyTimeout {
        /// How long the body had.
        limit: Duration,
    },
    /// A body that could not be read (`-32600`; HTTP 400).
    BodyUnreadable,
    /// A message that is not UTF-8 text (`-32700`).
    NotUtf8,
    /// The server is shutting down and takes no new connection (`-32001`;
    /// HTTP 503).
    ShuttingDown,
    /// A layer around the HTTP service failed instead of answering (a
    /// timeout, a load shedder) (`-32603`; HTTP 500).
    LayerFailed,
    /// A byte stream whose framing cannot be read (a `Content-Length`
    /// header that is missing, negative or not a number), and why
    /// (`-32700`); the stream cannot go on after it.
    BadFraming(&'static str),
    /// A WebSocket upgrade request that cannot be served, and why
    /// (`-32600`; HTTP 400, or 426 for a version other than 13).
    BadUpgrade(&'static str),
    /// A ZeroMQ message whose body is more than one frame (`-32600`):
    /// `frames` body frames, or more than `limit` frames in all (the most
    /// a message may have) when `frames` is over it.
    ///
    /// ```
    /// use rpc_runtime::Refusal;
    /// let two = Refusal::Multipart { frames: 2, limit: 64 };
    /// assert_eq!(two.error_object().code, -32600);
    /// assert!(two.response().contains("one JSON-RPC message per ZeroMQ message, in one frame (got 2 body frames)"));
    /// assert!(two.response().ends_with(r#""id":null}"#));
    /// let many = Refusal::Multipart { frames: usize::MAX, limit: 64 };
    /// assert!(many.response().contains("(got more than 64 frames)"));
    /// ```
    Multipart {
        /// How many body frames came.
        frames: usize,
        /// The most frames a message may have.
        limit: usize,
    },
}

impl Refusal {
    /// The error object the refusal is answered with.
    #[must_use]
    pub fn error_object(&self) -> ErrorObjectOwned {
        match self {
            Refusal::Busy => ErrorObject::new(
                codes::SERVER_BUSY,
                "Server busy: too many calls in flight on this connection",
            ),
            Refusal::Closing => ErrorObject::new(codes::SERVER_BUSY, "The connection is closing"),
            Refusal::MethodNotAllowed => ErrorObject::new(
                codes::INVALID_REQUEST,
                "Method not allowed: send JSON-RPC requests with POST",
            ),
            Refusal::UnsupportedContentType => ErrorObject::new(
                codes::INVALID_REQUEST,
                "Unsupported content type: expected application/json",
            ),
            Refusal::TooLarge { limit } => ErrorObject::new(
                codes::TOO_LARGE,
                format!("Request body too large: the limit is {limit} bytes"),
            ),
            Refusal::BodyTimeout { limit } => ErrorObject::new(
                codes::INVALID_REQUEST,
                format!("Request body not received within {} ms", limit.as_millis()),
            ),
            Refusal::BodyUnreadable => {
                ErrorObject::new(codes::INVALID_REQUEST, "The request body could not be read")
            }
            Refusal::NotUtf8 => ErrorObject::parse_error(),
            Refusal::ShuttingDown => {
                ErrorObject::new(codes::SERVER_BUSY, "Server busy: shutting down")
            }
            Refusal::LayerFailed => ErrorObject::new(
                codes::INTERNAL_ERROR,
                "Internal error: a server layer failed",
            ),
            Refusal::BadFraming(reason) => {
                ErrorObject::new(codes::PARSE_ERROR, format!("Parse error: {reason}"))
            }
            Refusal::BadUpgrade(reason) => ErrorObject::new(codes::INVALID_REQUEST, *reason),
            Refusal::Multipart { frames, limit } => {
                let got = if frames > limit {
                    format!("more than {limit} frames")
                } else {
                    format!("{frames} body frames")
                };
                ErrorObject::new(
                    codes::INVALID_REQUEST,
                    format!("Invalid Request: one JSON-RPC message per ZeroMQ message, in one frame (got {got})"),
                )
            }
        }
    }

    /// The whole answer to a refused message: a JSON-RPC 2.0 error response
    /// with id `null`.
    #[must_use]
    pub fn response(&self) -> String {
        let mut out = String::with_capacity(128);
        write_error_response(&mut out, Version::V2, &Id::null(), &self.error_object());
        out
    }
}

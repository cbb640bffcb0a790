//! Why a connection ended, as its driver, its `Peer` handles and the calls
//! that were waiting on it see it. It lives beside [`ClientError`] (not in
//! the WebSocket module) because a call's `Closed` error carries it on every
//! transport.
//!
//! [`ClientError`]: super::ClientError

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use super::BoxError;

/// Why a connection ended.
///
/// It is an [`Error`](std::error::Error) too: a call that found its
/// connection gone fails with
/// [`ClientError::Closed`](super::ClientError::Closed) holding it, and a
/// socket failure's cause is its [`source`](std::error::Error::source).
///
/// ```
/// use std::error::Error as _;
/// use rpc_runtime::client::{CloseReason, ConnectionError};
/// assert_eq!(CloseReason::Remote { code: 1000, reason: String::new() }.to_string(), "closed by the peer (code 1000)");
/// let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
/// let lost = CloseReason::Error(ConnectionError::with_source("socket failed", io));
/// assert_eq!(lost.to_string(), "connection lost: socket failed: reset by peer");
/// assert!(lost.source().unwrap().source().unwrap().is::<std::io::Error>());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent a close frame.
    Remote {
        /// The close code it sent (1005 when it sent none).
        code: u16,
        /// The reason text it sent.
        reason: String,
    },
    /// This side closed it ([`Peer::close`](crate::ws::Peer::close), or a
    /// client closed by its owner), code 1000.
    Local,
    /// The shutdown signal fired (server shutdown), code 1001.
    Shutdown,
    /// The peer stopped answering pings.
    PingTimeout,
    /// Nothing was sent or received for the idle timeout, code 1000.
    IdleTimeout,
    /// The peer sent a message over the size limit, code 1009.
    MessageTooBig,
    /// The peer ended its side of a byte stream (TCP, Unix socket) after
    /// its messages were answered.
    EndOfStream,
    /// The socket failed, or the peer vanished without a close frame.
    Error(ConnectionError),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Remote { code, reason } if reason.is_empty() => {
                write!(f, "closed by the peer (code {code})")
            }
            CloseReason::Remote { code, reason } => {
                write!(f, "closed by the peer (code {code}: {reason})")
            }
            CloseReason::Local => f.write_str("closed by this side"),
            CloseReason::Shutdown => f.write_str("closed for shutdown"),
            CloseReason::PingTimeout => f.write_str("the peer stopped answering pings"),
            CloseReason::IdleTimeout => f.write_str("closed after the idle timeout"),
            CloseReason::MessageTooBig => {
                f.write_str("the peer sent a message over the size limit (code 1009)")
            }
            CloseReason::EndOfStream => f.write_str("the peer ended the stream"),
            CloseReason::Error(error) => write!(f, "connection lost: {error}"),
        }
    }
}

impl std::error::Error for CloseReason {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CloseReason::Error(error) => Some(error),
            _ => None,
        }
    }
}

/// How a connection failed: what went wrong and, when an error of the
/// socket or the framing was behind it, that error as its
/// [`source`](std::error::Error::source).
///
/// The cause is kept boxed (behind an `Arc`, so a [`CloseReason`] stays
/// `Clone` for every handle that asks): a dependency's error type is never
/// part of this API. Two of them are equal when they say the same.
///
/// ```
/// use std::error::Error as _;
/// use rpc_runtime::client::ConnectionError;
/// let plain = ConnectionError::new("the writer stopped");
/// assert_eq!(plain.to_string(), "the writer stopped");
/// assert!(plain.source().is_none());
/// let utf8 = std::str::from_utf8(&[0xff]).unwrap_err();
/// let caused = ConnectionError::with_source("a text frame that is not UTF-8", utf8);
/// assert_eq!(caused.what(), "a text frame that is not UTF-8");
/// assert!(caused.source().unwrap().is::<std::str::Utf8Error>());
/// ```
#[derive(Clone)]
pub struct ConnectionError {
    what: Cow<'static, str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ConnectionError {
    /// A failure `what` describes, with no error behind it.
    #[must_use]
    pub fn new(what: impl Into<Cow<'static, str>>) -> Self {
        Self {
            what: what.into(),
            source: None,
        }
    }

    /// A failure `what` describes, caused by `source`.
    #[must_use]
    pub fn with_source(what: impl Into<Cow<'static, str>>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: Some(Arc::from(source.into())),
        }
    }

    /// What went wrong, without the cause.
    #[must_use]
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl fmt::Debug for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionError")
            .field("what", &self.what)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.what),
            None => f.write_str(&self.what),
        }
    }
}

impl std::error::Error for ConnectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Equal when they say the same: the cause is compared by its text (an
/// error type need not be comparable).
impl PartialEq for ConnectionError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for ConnectionError {}

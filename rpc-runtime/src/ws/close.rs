use std::fmt;

/// Why a WebSocket connection ended.
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
    /// This side closed it ([`Peer::close`](super::Peer::close)), code 1000.
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
    Error(String),
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

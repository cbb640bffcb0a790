//! The WebSocket transport (feature `ws`): one connection driver shared by
//! the server and `rpc-client`, in which either side may call the other.
//! The byte-stream transports (TCP, Unix sockets: [`crate::stream`], feature
//! `stream`) run on the same driver, with a codec in place of WebSocket
//! frames ([`Connection::run_framed`]).
//!
//! - [`Connection`] drives one socket: a reader loop parses each text (or
//!   UTF-8 binary) frame once, hands responses to this side's waiting
//!   calls, runs requests on a [`Router`](crate::Router) concurrently (a
//!   slow call never holds back a fast one) and a writer sends frames,
//!   flushing once per burst.
//! - [`Peer`] is a cloneable handle to the other side: a
//!   [`Caller`](crate::client::Caller) for calls, notifications and batches,
//!   which handlers get from their context with `ctx.ws_peer()`.
//! - [`WsConfig`] holds the limits: message size, calls in flight,
//!   keepalive pings, idle and request timeouts.
//!
//! # How a connection runs
//!
//! - **One task.** The task that awaits [`Connection::run`] reads frames,
//!   polls every call in flight (a `FuturesUnordered` of borrowed futures:
//!   nothing is spawned per call, and a call whose handler is synchronous
//!   completes on its first poll) and polls the writer, which owns the
//!   socket's write half: it takes every frame already waiting (up to 256)
//!   and flushes once per burst. Replies answered at once reach the writer
//!   without the queue and without a wake; frames from elsewhere (pushes,
//!   this side's calls) come through the queue. One task, not a reader and
//!   a writer task: with two, every message made two tasks runnable and
//!   tokio woke the other worker thread for it (1.7 futex calls a message
//!   under strace, against none for jsonrpsee); now 0.03.
//! - **Bounded everywhere.** Outgoing frames wait in a bounded queue
//!   ([`WsConfig::write_queue`]); a write that stalls past
//!   [`WsConfig::write_timeout`] ends the connection. When
//!   [`WsConfig::max_in_flight`] messages are running, reading stops
//!   (TCP then slows the peer down), except while this side awaits responses
//!   from the peer: those must be read, or a handler that calls the peer
//!   would wait forever. Calls read then still run up to twice the limit,
//!   and are refused (`-32001`) beyond it.
//! - **Both directions on one socket.** Each frame is parsed once: members
//!   that are responses go to the calls this side is waiting on (by id),
//!   the rest run on the router, and their answers go back in the frame's
//!   type (binary for binary). A message may mix both.
//! - **Ending.** A close frame, a dead socket, a missed pong, the idle timer,
//!   an oversized message (1009), [`Peer::close`] (1000) or the shutdown
//!   signal of [`Connection::run_until`] (1001, after the calls in flight
//!   finish) end it; every call still waiting fails at once with
//!   [`ClientError::Closed`](crate::client::ClientError::Closed), and
//!   [`Peer::closed`] resolves with the [`CloseReason`].
//!
//! Wire logging: every frame sent and received is a `trace` event under
//! target `rpc_runtime::ws` (server side) or `rpc_client::ws` (client side).

#[doc(hidden)]
#[path = "glue.rs"]
pub mod __tungstenite;
mod config;
mod connection;
mod durable;
mod inbound;
mod incoming;
mod peer;
mod pending;
mod writer;

// Defined beside `ClientError`, whose `Closed` variant carries a
// `CloseReason` on every transport; here too, where connections end.
pub use crate::client::{CloseReason, ConnectionError};
pub use config::WsConfig;
pub use connection::Connection;
pub use durable::Resubscriber;
pub use peer::{IdSource, Peer};

/// Which end of the connection this is, and over what; only the log
/// target and the metrics depend on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(all(feature = "stream", feature = "zmq")), allow(dead_code))] // the byte streams' and ZeroMQ's sides
pub(crate) enum Side {
    Server,
    Client,
    /// A byte stream's serving end (TCP, Unix socket).
    StreamServer(&'static str),
    /// A byte stream's calling end.
    StreamClient(&'static str),
    /// A ZeroMQ DEALER (or REQ) client's connection.
    ZmqClient,
}

impl Side {
    #[cfg(feature = "metrics")]
    pub(crate) fn is_server(self) -> bool {
        matches!(self, Side::Server | Side::StreamServer(_))
    }

    /// The transport's name, as contexts and metrics give it.
    pub(crate) fn transport(self) -> &'static str {
        match self {
            Side::Server | Side::Client => "ws",
            Side::StreamServer(name) | Side::StreamClient(name) => name,
            Side::ZmqClient => "zmq",
        }
    }
}

/// A `trace` event for a frame on the wire, under the side's target.
macro_rules! wire {
    ($side:expr, $($field:tt)+) => {
        match $side {
            $crate::ws::Side::Server => ::tracing::trace!(target: "rpc_runtime::ws", $($field)+),
            $crate::ws::Side::Client => ::tracing::trace!(target: "rpc_client::ws", $($field)+),
            $crate::ws::Side::StreamServer(_) => ::tracing::trace!(target: "rpc_runtime::stream", $($field)+),
            $crate::ws::Side::StreamClient(_) => ::tracing::trace!(target: "rpc_client::stream", $($field)+),
            $crate::ws::Side::ZmqClient => ::tracing::trace!(target: "rpc_client::zmq", $($field)+),
        }
    };
}

/// A `debug` event about the connection, under the side's target.
macro_rules! event {
    ($side:expr, $($field:tt)+) => {
        match $side {
            $crate::ws::Side::Server => ::tracing::debug!(target: "rpc_runtime::ws", $($field)+),
            $crate::ws::Side::Client => ::tracing::debug!(target: "rpc_client::ws", $($field)+),
            $crate::ws::Side::StreamServer(_) => ::tracing::debug!(target: "rpc_runtime::stream", $($field)+),
            $crate::ws::Side::StreamClient(_) => ::tracing::debug!(target: "rpc_client::stream", $($field)+),
            $crate::ws::Side::ZmqClient => ::tracing::debug!(target: "rpc_client::zmq", $($field)+),
        }
    };
}

#[cfg(feature = "stream")]
pub(crate) use incoming::Event;
#[cfg(feature = "stream")]
pub(crate) use writer::{Encoding, Outgoing};
pub(crate) use {event, wire};

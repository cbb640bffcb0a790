//! The WebSocket transport (feature `ws`): one connection driver shared by
//! the server and `rpc-client`, in which either side may call the other.
//!
//! - [`Connection`] drives one socket: a reader loop parses each text (or
//!   UTF-8 binary) frame once, hands responses to this side's waiting
//!   calls, runs requests on a [`Router`](crate::Router) concurrently (a
//!   slow call never holds back a fast one) and a writer task sends frames,
//!   flushing once per burst.
//! - [`Peer`] is a cloneable handle to the other side: a
//!   [`Caller`](crate::client::Caller) for calls, notifications and batches,
//!   which handlers get from their context with `ctx.peer::<Peer>()`.
//! - [`WsConfig`] holds the limits: message size, calls in flight,
//!   keepalive pings, idle and request timeouts.
//!
//! Wire logging: every frame sent and received is a `trace` event under
//! target `rpc_runtime::ws` (server side) or `rpc_client::ws` (client side).

mod close;
mod config;
mod connection;
mod inbound;
mod peer;
mod pending;
mod writer;

pub use close::CloseReason;
pub use config::WsConfig;
pub use connection::Connection;
pub use peer::Peer;

/// Which end of the connection this is; only the log target depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// A `trace` event for a frame on the wire, under the side's target.
macro_rules! wire {
    ($side:expr, $($field:tt)+) => {
        match $side {
            $crate::ws::Side::Server => ::tracing::trace!(target: "rpc_runtime::ws", $($field)+),
            $crate::ws::Side::Client => ::tracing::trace!(target: "rpc_client::ws", $($field)+),
        }
    };
}

/// A `debug` event about the connection, under the side's target.
macro_rules! event {
    ($side:expr, $($field:tt)+) => {
        match $side {
            $crate::ws::Side::Server => ::tracing::debug!(target: "rpc_runtime::ws", $($field)+),
            $crate::ws::Side::Client => ::tracing::debug!(target: "rpc_client::ws", $($field)+),
        }
    };
}

pub(crate) use {event, wire};

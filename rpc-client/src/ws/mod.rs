//! The WebSocket client: [`WsClient`], its [`WsClientBuilder`], the
//! [`ReconnectPolicy`] and the [`ConnectionState`] it reports.
//!
//! The connection itself is `rpc_runtime::ws::Connection`, the same driver
//! the server uses, so either side may call the other. Every frame sent and
//! received is logged as a `trace` event under target `rpc_client::ws`;
//! connects, drops and reconnects under the same target at `debug` and above.

mod builder;
mod client;
mod connect;
mod reconnect;
mod state;
mod transport;

pub use crate::error::ConnectError;
pub use builder::{WsClientBuilder, DEFAULT_CONNECT_TIMEOUT};
pub use client::WsClient;
pub use reconnect::ReconnectPolicy;
pub use rpc_runtime::ws::{CloseReason, Peer, WsConfig};
pub use state::ConnectionState;
pub use transport::WsTransport;

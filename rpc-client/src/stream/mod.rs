//! The byte-stream client: [`StreamClient`] over TCP or a Unix socket (or
//! any pair of byte-stream halves), framed as newline-delimited JSON or
//! with `Content-Length` headers ([`Framing`]).
//!
//! The connection is `rpc_runtime::ws::Connection`, the driver the
//! WebSocket client and every server use, so either side may call the
//! other and subscriptions work. Every message sent and received is a
//! `trace` event under target `rpc_client::stream`.

mod builder;
mod client;

pub use builder::StreamClientBuilder;
pub use client::StreamClient;
pub use rpc_runtime::stream::{Framing, StreamConfig};

//! Byte-stream transports (feature `stream`): JSON-RPC over TCP and Unix
//! sockets (`StreamServer`, with the `server` feature) and this
//! process's stdin and stdout ([`serve_stdio`]), framed as newline-delimited JSON or with `Content-Length`
//! headers (the LSP base protocol), see [`Framing`].
//!
//! A stream connection runs on the same driver as a WebSocket
//! ([`Connection`](crate::ws::Connection), with
//! [`run_framed`](crate::ws::Connection::run_framed)): calls run
//! concurrently and are answered as they finish, either side may call the
//! other (a handler's `ctx.ws_peer()` is the connected client, the
//! same [`Peer`](crate::ws::Peer) type as on WebSocket), subscriptions work,
//! and the limits of [`StreamConfig`] hold. The transport only cuts
//! messages from the bytes; everything else is the core's.
//!
//! - **Too large**: a message over
//!   [`max_message_size`](StreamConfig::max_message_size) (for
//!   `Content-Length`, an announced length over it, before the body is
//!   read) is answered `-32002` with id `null`, then the connection closes.
//! - **Bad framing**: with newlines, a line that is not JSON is answered
//!   `-32700` and the stream goes on (a line that is not UTF-8 too). With
//!   `Content-Length`, an unreadable header block (the length missing,
//!   negative, not a number) is answered `-32700`, then the connection
//!   closes: the stream cannot be resynchronised.
//! - **End of stream**: when the peer ends its side (a half-close), what
//!   it sent is answered, then this side ends too. A `Content-Length`
//!   message cut short by the end is dropped; with newlines, a last line
//!   without its newline is read as a message.
//! - **Graceful shutdown** ([`StreamServerHandle::shutdown`]): new
//!   connections are refused, new calls get `-32001`, calls in flight
//!   finish, each subscription gets its last notice, then each connection
//!   ends its side of the stream.
//!
//! ```
//! use std::time::Duration;
//! use rpc_runtime::stream::{Framing, StreamConfig, StreamServer};
//! use rpc_runtime::{protocol::ErrorObjectOwned, Router};
//! use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mut router = Router::new();
//! router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
//! let server = StreamServer::new(router, StreamConfig::new(Framing::Newline));
//! let handle = server.bind_tcp("127.0.0.1:0").await?;
//!
//! let socket = tokio::net::TcpStream::connect(handle.local_addr().unwrap()).await?;
//! let (read, mut write) = socket.into_split();
//! write.write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"id\":1}\n").await?;
//! let mut line = String::new();
//! BufReader::new(read).read_line(&mut line).await?;
//! assert_eq!(line, "{\"jsonrpc\":\"2.0\",\"result\":\"pong\",\"id\":1}\n");
//! handle.shutdown(Duration::from_secs(1)).await;
//! # Ok(())
//! # }
//! ```
//!
//! Wire logging: every message sent and received is a `trace` event under
//! target `rpc_runtime::stream` (server side) or `rpc_client::stream`
//! (client side).

mod codec;
mod config;
mod connection;
mod content_length;
mod framing;
mod newline;
#[cfg(feature = "server")]
mod server;
mod stdio;

pub use config::StreamConfig;
pub use framing::{Framing, UnknownFraming};
#[cfg(feature = "server")]
pub use server::{StreamServer, StreamServerHandle};
pub use stdio::{serve_stdio, serve_stdio_until};

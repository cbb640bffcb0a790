//! ZeroMQ transport (feature `zmq`): JSON-RPC over REP and ROUTER sockets
//! ([`ZmqServer`], with the `server` feature), for REQ and DEALER clients
//! (`rpc_client::ZmqClient`, or any ZeroMQ library: libzmq, pyzmq,
//! `jsonrpcclient`'s `ZMQClient`).
//!
//! ZMTP 3 with the NULL mechanism (no CURVE) over `tcp://` and `ipc://`
//! is spoken by [`wire`], this crate's own implementation: every length
//! it reads is checked before anything is allocated, and nothing on its
//! receive path can panic (see [`wire`] for why not the `zeromq` crate).
//! Each peer's connection runs on a task of its own.
//!
//! One JSON-RPC message (a request, a notification or a batch) is one
//! ZeroMQ message whose last frame is the JSON text; the frames before it,
//! up to and including the first empty one, are its envelope
//! ([`split_envelope`]), and its reply goes back with the same envelope.
//!
//! - **REP** ([`ZmqServer::bind_rep`]): one request at a time per peer,
//!   and strictly one reply per request. A notification (nothing to
//!   answer) gets an *empty* reply, as `jsonrpcserver`'s and
//!   `jsonrpcclient`'s ZeroMQ examples expect, so a REQ client never
//!   hangs.
//! - **ROUTER** ([`ZmqServer::bind_router`]): many peers at once, and from
//!   one DEALER peer many calls in flight at once (up to
//!   [`max_in_flight`](ZmqConfig::max_in_flight); past it the connection
//!   stops reading until one finishes), answered as they finish. A
//!   notification gets no reply in a bare (DEALER-style) message, and an
//!   empty reply in a message with a delimiter (REQ-style), so REQ clients
//!   do not hang.
//!
//! The defined answers (id `null`; then the connection goes on):
//!
//! - **Multipart**: a message with more than one body frame after its
//!   envelope (or more than [`wire::MAX_FRAMES`] frames) is answered
//!   `-32600` Invalid Request, "one JSON-RPC message per ZeroMQ message,
//!   in one frame".
//! - **Not JSON**: a body that is not UTF-8 is answered `-32700`; a body
//!   that is not JSON (an empty one too) `-32700` from the core, as on
//!   every transport.
//! - **Too large**: a message over
//!   [`max_message_size`](ZmqConfig::max_message_size) (the sum of its
//!   frames, judged from the lengths announced, before they are read) is
//!   read past without being kept and answered `-32002`.
//! - **Broken ZMTP** (a bad greeting, a mechanism other than NULL, an
//!   incompatible socket type, reserved flag bits, a malformed command, a
//!   stream cut mid-frame): the connection is closed (after an `ERROR`
//!   command for a wrong socket type), nothing is answered, other peers
//!   are not affected.
//! - **Graceful shutdown** ([`ZmqServerHandle::shutdown`]): new
//!   connections are refused, messages read from then on get `-32001`,
//!   calls in flight finish and are answered, then each connection closes.
//!
//! ZeroMQ has no server push here: no subscriptions, no calls from the
//! server to the client (a subscribe method answers `-32006`).
//!
//! A DEALER client's connection (`rpc_client::ZmqClient`'s) runs on the
//! connection driver of the WebSocket and stream clients, with ZeroMQ as
//! its framing: [`Connection::zmq_client`](crate::ws::Connection::zmq_client)
//! and [`Connection::run_zmq`](crate::ws::Connection::run_zmq) (with the
//! `stream` feature).
//!
//! ```
//! use std::time::Duration;
//! use rpc_runtime::zmq::{connect, wire, SocketType, ZmqConfig, ZmqServer};
//! use rpc_runtime::{protocol::ErrorObjectOwned, Router};
//! use tokio::io::AsyncWriteExt as _;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut router = Router::new();
//! router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
//! let server = ZmqServer::new(router, ZmqConfig::default());
//! let handle = server.bind_router("tcp://127.0.0.1:0").await?;
//!
//! // A DEALER by hand (rpc_client::ZmqClient does this for you).
//! let mut dealer = connect(handle.local_endpoint(), SocketType::Dealer, 1 << 20).await?;
//! let mut out = Vec::new();
//! wire::encode_message(&mut out, &[br#"{"jsonrpc":"2.0","method":"ping","id":1}"#]);
//! // Two body frames: one JSON-RPC message per ZeroMQ message, please.
//! wire::encode_message(&mut out, &[b"{", b"}"]);
//! dealer.writer.write_all(&out).await?;
//! let Some(wire::Received::Message(reply)) = dealer.reader.next().await? else { panic!() };
//! assert_eq!(reply, [br#"{"jsonrpc":"2.0","result":"pong","id":1}"#.to_vec()]);
//! let Some(wire::Received::Message(reply)) = dealer.reader.next().await? else { panic!() };
//! assert!(String::from_utf8(reply[0].clone())?.contains("-32600"));
//! handle.shutdown(Duration::from_secs(1)).await;
//! # Ok(())
//! # }
//! ```
//!
//! Connection events are logged with `tracing` under the target
//! `rpc_runtime::zmq`.

#[cfg(feature = "stream")]
mod client_connection;
mod config;
mod connect;
#[cfg(feature = "server")]
mod connection;
mod endpoint;
mod envelope;
mod peer;
#[cfg(feature = "server")]
mod server;
mod socket_type;
pub mod wire;

pub use config::ZmqConfig;
pub use connect::{connect, BoxRead, BoxWrite, ZmtpConnection};
pub use endpoint::{EndpointError, ZmqEndpoint};
pub use envelope::split_envelope;
pub use peer::ZmqPeer;
#[cfg(feature = "server")]
pub use server::{ZmqServer, ZmqServerHandle};
pub use socket_type::SocketType;

//! The ZeroMQ client (feature `zmq`): [`ZmqClient`] on a REQ or DEALER
//! socket, over `tcp://` or `ipc://`, to any REP or ROUTER server that
//! speaks JSON-RPC (ours is `rpc_runtime::zmq::ZmqServer`).
//!
//! One JSON-RPC message (a call, a notification, a batch) is one ZeroMQ
//! message of one body frame. The wire protocol (ZMTP 3, NULL mechanism)
//! is `rpc_runtime::zmq::wire`.

mod builder;
mod client;
mod dealer;
mod link;
mod req;

pub use builder::ZmqClientBuilder;
pub use client::ZmqClient;
pub use rpc_runtime::zmq::{SocketType, ZmqEndpoint};

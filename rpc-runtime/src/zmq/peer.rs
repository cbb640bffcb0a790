//! What a handler knows of the ZeroMQ peer a call came from.

use super::SocketType;

/// The ZeroMQ peer of a connection, in each call's
/// [`Context`](crate::Context): `ctx.get::<ZmqPeer>()`. The context's
/// transport is `"zmq"`, and its [`peer_addr`](crate::Context::peer_addr)
/// the peer's TCP address (none over `ipc://`).
///
/// ```
/// use rpc_runtime::zmq::{SocketType, ZmqPeer};
/// use rpc_runtime::Context;
/// let ctx = Context::new();
/// ctx.insert(ZmqPeer::new(SocketType::Dealer, Some(b"worker-1".to_vec())));
/// assert_eq!(ctx.get::<ZmqPeer>().unwrap().socket_type, SocketType::Dealer);
/// ```
///
/// Non-exhaustive: more of what the peer announced may be recorded (its
/// handshake's other properties); a test makes one with [`ZmqPeer::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZmqPeer {
    /// The socket type the peer announced (REQ or DEALER, or ROUTER).
    pub socket_type: SocketType,
    /// The routing id it announced (`ZMQ_ROUTING_ID`), if any.
    pub routing_id: Option<Vec<u8>>,
}

impl ZmqPeer {
    /// A peer that announced `socket_type` and `routing_id`.
    #[must_use]
    pub fn new(socket_type: SocketType, routing_id: Option<Vec<u8>>) -> Self {
        Self {
            socket_type,
            routing_id,
        }
    }
}

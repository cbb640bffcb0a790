//! The four ZeroMQ socket types JSON-RPC runs over, and which may talk to
//! which.

use std::fmt;

/// A ZeroMQ socket type this toolkit speaks: the servers are
/// [`Rep`](Self::Rep) or [`Router`](Self::Router), the clients
/// [`Req`](Self::Req) or [`Dealer`](Self::Dealer).
///
/// ```
/// use rpc_runtime::zmq::SocketType;
/// assert!(SocketType::Router.accepts(SocketType::Req));
/// assert!(SocketType::Rep.accepts(SocketType::Dealer));
/// assert!(!SocketType::Rep.accepts(SocketType::Rep));
/// assert_eq!(SocketType::from_name(b"DEALER"), Some(SocketType::Dealer));
/// assert_eq!(SocketType::Router.to_string(), "ROUTER");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Sends a request, waits for its reply, one at a time.
    Req,
    /// Receives a request, sends its reply, one at a time.
    Rep,
    /// Sends and receives freely (many requests in flight).
    Dealer,
    /// Serves many peers, each message tagged with the peer it came from.
    Router,
}

impl SocketType {
    /// The name ZMTP uses for it in the `Socket-Type` property.
    ///
    /// ```
    /// use rpc_runtime::zmq::SocketType;
    /// const NAME: &str = SocketType::Dealer.name();
    /// assert_eq!(NAME, "DEALER");
    /// assert_eq!(SocketType::Rep.name(), SocketType::Rep.to_string());
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
        }
    }

    /// The socket type with this ZMTP name, if it is one of the four
    /// (compared ignoring ASCII case).
    ///
    /// ```
    /// use rpc_runtime::zmq::SocketType;
    /// assert_eq!(SocketType::from_name(b"REQ"), Some(SocketType::Req));
    /// assert_eq!(SocketType::from_name(b"router"), Some(SocketType::Router));
    /// // PUB/SUB and the rest are not spoken here.
    /// assert_eq!(SocketType::from_name(b"PUB"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        [
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
        ]
        .into_iter()
        .find(|kind| kind.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// Whether a socket of this type may talk to a peer of type `peer`
    /// (the ZMTP compatibility table, for these four).
    ///
    /// ```
    /// use rpc_runtime::zmq::SocketType;
    /// // A `const fn`: usable in constants.
    /// const REQ_TO_ROUTER: bool = SocketType::Req.accepts(SocketType::Router);
    /// assert!(REQ_TO_ROUTER);
    /// assert!(SocketType::Dealer.accepts(SocketType::Dealer));
    /// // Two REQs would both wait for the other's request.
    /// assert!(!SocketType::Req.accepts(SocketType::Req));
    /// ```
    #[must_use]
    pub const fn accepts(self, peer: SocketType) -> bool {
        use SocketType::{Dealer, Rep, Req, Router};
        matches!(
            (self, peer),
            (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

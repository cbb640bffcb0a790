//! The settings of a ZeroMQ endpoint.

use std::time::Duration;

/// The limits of a ZeroMQ server's connections (and, for what applies, of
/// a client's): the same names and defaults as
/// [`StreamConfig`](crate::stream::StreamConfig).
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::zmq::ZmqConfig;
/// let config = ZmqConfig::new()
///     .with_max_message_size(1 << 20)
///     .with_max_in_flight(64)
///     .with_max_connections(100)
///     .with_handshake_timeout(Duration::from_secs(2))
///     .with_write_timeout(Duration::from_secs(3))
///     .with_write_queue(32);
/// assert_eq!(config.max_message_size, 1 << 20);
/// assert_eq!(config.max_in_flight, 64);
/// assert_eq!(config.max_connections, 100);
/// assert_eq!(config.handshake_timeout, Duration::from_secs(2));
/// assert_eq!(config.write_timeout, Duration::from_secs(3));
/// assert_eq!(config.write_queue, 32);
///
/// // `new` is the defaults; the two queue limits are at least 1.
/// assert_eq!(ZmqConfig::new().max_in_flight, 256);
/// assert_eq!(ZmqConfig::new().max_connections, ZmqConfig::default().max_connections);
/// let floor = ZmqConfig::new().with_max_in_flight(0).with_write_queue(0);
/// assert_eq!((floor.max_in_flight, floor.write_queue), (1, 1));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use]
pub struct ZmqConfig {
    /// The largest incoming message in bytes (the sum of its frames). A
    /// larger one is read past and answered `-32002` (id `null`); the
    /// connection goes on, ZMTP frames carrying their length. Default
    /// 10 MiB.
    pub max_message_size: usize,
    /// How many messages from one peer (a batch counts once) may run at
    /// once on a ROUTER socket. When reached, the connection stops reading
    /// until one finishes, so a fast sender is slowed down instead of
    /// buffered. A REP socket runs one at a time. Default 256.
    pub max_in_flight: usize,
    /// How many peers a listener serves at once. A connection over the
    /// limit is closed before any of it is read. Default 10,000.
    pub max_connections: usize,
    /// How long a peer may take to greet and send `READY`. Default 10 s.
    pub handshake_timeout: Duration,
    /// How long a write may take before the peer is deemed gone. Default
    /// 10 s.
    pub write_timeout: Duration,
    /// How many outgoing messages may wait for the socket. Default 256.
    pub write_queue: usize,
}

impl Default for ZmqConfig {
    fn default() -> Self {
        Self {
            max_message_size: 10 << 20,
            max_in_flight: 256,
            max_connections: 10_000,
            handshake_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            write_queue: 256,
        }
    }
}

impl ZmqConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`max_in_flight`](Self::max_in_flight) (at least 1).
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Sets [`max_connections`](Self::max_connections).
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets [`handshake_timeout`](Self::handshake_timeout).
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout).
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`write_queue`](Self::write_queue) (at least 1).
    pub fn with_write_queue(mut self, messages: usize) -> Self {
        self.write_queue = messages.max(1);
        self
    }
}

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::subscription::SubscriptionLimits;

/// Limits and timers of one WebSocket connection, the same on both sides.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::ws::WsConfig;
/// let config = WsConfig::default()
///     .with_max_message_size(1 << 20)
///     .with_max_in_flight(64)
///     .with_ping(Some(Duration::from_secs(10)), Duration::from_secs(5));
/// assert_eq!(config.max_message_size, 1 << 20);
/// let few = WsConfig::default()
///     .with_subscription_limits(rpc_runtime::subscription::SubscriptionLimits::default().with_max_per_connection(4));
/// assert_eq!(few.subscriptions.max_per_connection, 4);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use]
pub struct WsConfig {
    /// The largest incoming message in bytes; a larger one closes the
    /// connection with code 1009. Default 10 MiB.
    pub max_message_size: usize,
    /// How many incoming messages (a batch counts once) may be running at
    /// the same time. When reached, the connection stops reading until one
    /// finishes, so a fast sender is slowed down instead of buffered.
    /// While this side awaits responses from the peer it must keep reading
    /// (or a handler calling back the peer would wait forever): calls read
    /// then still run up to twice this limit, and beyond that are answered
    /// with `-32001` (server busy). Default 256.
    pub max_in_flight: usize,
    /// How often to ping the peer; `None` sends no pings. Default 30 s.
    pub ping_interval: Option<Duration>,
    /// How long after a ping the peer may stay silent (no pong, no frame)
    /// before the connection is closed. Default 20 s.
    pub pong_timeout: Duration,
    /// Close the connection (code 1000) after this long with no message
    /// received or sent, no call running and none awaiting its response.
    /// Default none.
    pub idle_timeout: Option<Duration>,
    /// How long an outgoing call waits for its response. Default none.
    pub request_timeout: Option<Duration>,
    /// How many outgoing frames may wait for the socket before senders
    /// wait. Default 256.
    pub write_queue: usize,
    /// How long a write to the socket may take before the peer is deemed
    /// gone, and how long the closing handshake may take. Default 10 s.
    pub write_timeout: Duration,
    /// The size of the buffer each connection reads the socket into. It is
    /// held for the connection's whole life, so it sets the cost of an idle
    /// connection; a read fills it at most once per system call, and a
    /// message larger than it still arrives whole. Default 4 KiB
    /// (tungstenite's own default is 128 KiB).
    pub read_buffer_size: usize,
    /// How many subscriptions the connection may hold and how their ids
    /// are made. Default 1024, random ids.
    pub subscriptions: SubscriptionLimits,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            max_message_size: 10 << 20,
            max_in_flight: 256,
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(20),
            idle_timeout: None,
            request_timeout: None,
            write_queue: 256,
            write_timeout: Duration::from_secs(10),
            read_buffer_size: 4 * 1024,
            subscriptions: SubscriptionLimits::default(),
        }
    }
}

impl WsConfig {
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

    /// Sets [`ping_interval`](Self::ping_interval) and
    /// [`pong_timeout`](Self::pong_timeout).
    pub fn with_ping(mut self, interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.ping_interval = interval;
        self.pong_timeout = pong_timeout;
        self
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`write_queue`](Self::write_queue) (at least 1).
    pub fn with_write_queue(mut self, frames: usize) -> Self {
        self.write_queue = frames.max(1);
        self
    }

    /// Sets [`read_buffer_size`](Self::read_buffer_size) (at least 1 KiB).
    pub fn with_read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes.max(1024);
        self
    }

    /// Sets [`subscriptions`](Self::subscriptions).
    pub fn with_subscription_limits(mut self, limits: SubscriptionLimits) -> Self {
        self.subscriptions = limits;
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout).
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The `tungstenite` settings that enforce these limits, for the
    /// handshake (`WebSocketStream::from_raw_socket`,
    /// `connect_async_with_config`). Not public: tungstenite's types stay
    /// out of this API (`rpc-client` reaches it through
    /// [`__tungstenite`](super::__tungstenite)).
    #[must_use]
    pub(crate) fn tungstenite_config(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_message_size))
            // Replies are flushed once per burst by the writer; let tungstenite
            // collect a burst instead of writing each frame on its own.
            .write_buffer_size(64 * 1024)
            .read_buffer_size(self.read_buffer_size)
    }
}

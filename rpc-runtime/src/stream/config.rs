//! The settings of a byte-stream endpoint.

use std::time::Duration;

use super::Framing;
use crate::subscription::SubscriptionLimits;
use crate::ws::WsConfig;

/// The framing and limits of a byte-stream connection (TCP, Unix socket),
/// the same on both sides. The limits mean what they mean on WebSocket
/// ([`WsConfig`]), with the same defaults; there are no pings (a byte
/// stream has none), so set [`idle_timeout`](Self::idle_timeout) to close
/// connections that go quiet.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::stream::{Framing, StreamConfig};
/// use rpc_runtime::subscription::SubscriptionLimits;
/// let config = StreamConfig::new(Framing::ContentLength)
///     .with_max_message_size(1 << 20)
///     .with_idle_timeout(Some(Duration::from_secs(300)));
/// assert_eq!(config.framing, Framing::ContentLength);
/// assert_eq!(StreamConfig::default().max_message_size, 10 << 20);
///
/// // Every setter; the counts have floors (at least 1 call, 1 message, 1 KiB).
/// let tight = StreamConfig::default()
///     .with_framing(Framing::Newline)
///     .with_max_message_size(64 * 1024)
///     .with_max_in_flight(0)
///     .with_idle_timeout(None)
///     .with_request_timeout(Some(Duration::from_secs(5)))
///     .with_write_queue(0)
///     .with_read_buffer_size(16)
///     .with_write_timeout(Duration::from_secs(2))
///     .with_max_connections(100)
///     .with_subscription_limits(SubscriptionLimits::default().with_max_per_connection(8));
/// assert_eq!((tight.max_in_flight, tight.write_queue, tight.read_buffer_size), (1, 1, 1024));
/// assert_eq!((tight.framing, tight.max_message_size, tight.max_connections), (Framing::Newline, 64 * 1024, 100));
/// assert_eq!((tight.idle_timeout, tight.request_timeout), (None, Some(Duration::from_secs(5))));
/// assert_eq!((tight.write_timeout, tight.subscriptions.max_per_connection), (Duration::from_secs(2), 8));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use]
pub struct StreamConfig {
    /// How messages are cut from the stream. Default [`Framing::Newline`].
    pub framing: Framing,
    /// The largest incoming message in bytes. A larger one is answered
    /// `-32002` (id `null`), then the connection is closed. Default 10 MiB.
    pub max_message_size: usize,
    /// How many incoming messages may run at once; see
    /// [`WsConfig::max_in_flight`]. Default 256.
    pub max_in_flight: usize,
    /// Close the connection after this long with nothing sent or received
    /// and nothing running or awaited. Default none.
    pub idle_timeout: Option<Duration>,
    /// How long an outgoing call waits for its response. Default none.
    pub request_timeout: Option<Duration>,
    /// How many outgoing messages may wait for the socket. Default 256.
    pub write_queue: usize,
    /// How long a write may take before the peer is deemed gone, and how
    /// long the close may take. Default 10 s.
    pub write_timeout: Duration,
    /// The size of the buffer each connection reads into at first (it
    /// grows for larger messages). Default 4 KiB.
    pub read_buffer_size: usize,
    /// How many subscriptions a connection may hold, and their ids.
    pub subscriptions: SubscriptionLimits,
    /// How many connections a listener serves at once (servers only). A
    /// connection over the limit is accepted and closed at once, before any
    /// of it is read. Default 10,000, as the HTTP server's.
    pub max_connections: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self::new(Framing::default())
    }
}

impl StreamConfig {
    /// The defaults, with `framing`.
    pub fn new(framing: Framing) -> Self {
        let ws = WsConfig::default();
        Self {
            framing,
            max_message_size: ws.max_message_size,
            max_in_flight: ws.max_in_flight,
            idle_timeout: ws.idle_timeout,
            request_timeout: ws.request_timeout,
            write_queue: ws.write_queue,
            write_timeout: ws.write_timeout,
            read_buffer_size: ws.read_buffer_size,
            subscriptions: ws.subscriptions,
            max_connections: 10_000,
        }
    }

    /// Sets [`framing`](Self::framing).
    pub fn with_framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
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
    pub fn with_write_queue(mut self, messages: usize) -> Self {
        self.write_queue = messages.max(1);
        self
    }

    /// Sets [`read_buffer_size`](Self::read_buffer_size) (at least 1 KiB).
    pub fn with_read_buffer_size(mut self, bytes: usize) -> Self {
        self.read_buffer_size = bytes.max(1024);
        self
    }

    /// Sets [`write_timeout`](Self::write_timeout).
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections).
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Sets [`subscriptions`](Self::subscriptions).
    pub fn with_subscription_limits(mut self, limits: SubscriptionLimits) -> Self {
        self.subscriptions = limits;
        self
    }

    /// The connection driver's settings for these limits (no pings).
    ///
    /// ```
    /// let ws = rpc_runtime::stream::StreamConfig::default().connection_config();
    /// assert_eq!(ws.ping_interval, None);
    /// ```
    pub fn connection_config(&self) -> WsConfig {
        WsConfig::default()
            .with_max_message_size(self.max_message_size)
            .with_max_in_flight(self.max_in_flight)
            .with_ping(None, self.write_timeout)
            .with_idle_timeout(self.idle_timeout)
            .with_request_timeout(self.request_timeout)
            .with_write_queue(self.write_queue)
            .with_write_timeout(self.write_timeout)
            .with_read_buffer_size(self.read_buffer_size)
            .with_subscription_limits(self.subscriptions.clone())
    }
}

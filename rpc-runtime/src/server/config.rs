//! The limits and switches of an HTTP server.

use std::time::Duration;

/// Limits and switches of a [`Server`](super::Server) (and of an
/// [`RpcService`](super::RpcService) mounted in another tower stack).
///
/// Set through [`ServerBuilder`](super::ServerBuilder); read back with
/// [`Server::config`](super::Server::config).
///
/// ```
/// use rpc_runtime::server::ServerConfig;
/// let config = ServerConfig::default();
/// assert_eq!(config.max_body_size, 10 * 1024 * 1024);
/// assert!(!config.method_map);
/// assert_eq!(config.health.unwrap().readiness, "/ready");
/// assert!(config.drain_delay.is_zero());
/// assert_eq!(config.explorer, None);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The largest request body accepted, in bytes; a larger one is answered
    /// `413` with a JSON-RPC error body. Default 10 MiB.
    pub max_body_size: usize,
    /// How many TCP connections are served at once; a connection over the
    /// limit is closed as soon as it is accepted, before anything is read
    /// (cheapest under a flood, and the client sees a closed connection it
    /// may retry). Default 10,000.
    pub max_connections: usize,
    /// How long a client may take to start talking and to send a request
    /// head; the connection is closed when it takes longer. It also bounds
    /// how long an idle HTTP/1.1 keep-alive connection is kept, and how long
    /// a new connection may stay silent. `None` turns the limit off.
    /// Default 30 s.
    pub header_read_timeout: Option<Duration>,
    /// How long a client may take to send a request body once its head is
    /// in; the request is answered `408` when it takes longer. `None` turns
    /// the limit off. Default 60 s.
    pub body_read_timeout: Option<Duration>,
    /// Answer a plain `GET` on the endpoint with the list of methods and
    /// their parameter names. Default off (`GET` is `405`).
    pub method_map: bool,
    /// When set, replaces the router's
    /// [`call_timeout`](crate::RouterConfig::call_timeout). Default: keep
    /// the router's.
    pub call_timeout: Option<Duration>,
    /// When set, replaces the router's
    /// [`max_batch_len`](crate::RouterConfig::max_batch_len). Default: keep
    /// the router's.
    pub max_batch_len: Option<usize>,
    /// The limits of WebSocket connections upgraded on the endpoint: message
    /// size, calls in flight, keepalive pings, idle timeout.
    pub ws: crate::ws::WsConfig,
    /// Which web origins may call from a browser, and open a WebSocket with
    /// an `Origin` header. Default `None`: no CORS headers, and any origin
    /// may open a WebSocket.
    pub cors: Option<super::Cors>,
    /// Answer `rpc.discover` with the router's OpenRPC document, and a `GET`
    /// that accepts `application/json` with the same document. Default on.
    #[cfg(feature = "openrpc")]
    pub discover: bool,
    /// The document's `info` and `servers`.
    #[cfg(feature = "openrpc")]
    pub openrpc: crate::openrpc::OpenRpcConfig,
    /// Where the liveness and readiness endpoints answer (`GET`/`HEAD`:
    /// `200` / `503`, a small JSON body), before the layers and the JSON-RPC
    /// pipeline. `None` turns them off: those paths are then the API's like
    /// any other. Default `/health` and `/ready`.
    pub health: Option<super::HealthPaths>,
    /// How long [`ServerHandle::drain`](super::ServerHandle::drain) keeps
    /// serving (and accepting) after readiness turns `503`, before the
    /// shutdown starts: the time a load balancer or Kubernetes needs to see
    /// the failing probe and stop sending (a probe period or two). Default
    /// zero.
    pub drain_delay: Duration,
    /// Where the API explorer page is served (`GET`/`HEAD`), and then also
    /// for a browser's `GET /` (`Accept: text/html`); before the layers,
    /// like the health endpoints. `None` (the default) turns it off.
    pub explorer: Option<String>,
    /// Serve HTTPS and WSS instead of plain HTTP and WebSocket, with this
    /// certificate (see [`ServerBuilder::tls`](super::ServerBuilder::tls)).
    /// `None` (the default): plain. A [mounted](super::Server::service)
    /// service ignores it: its stack owns the connections.
    #[cfg(feature = "tls")]
    pub tls: Option<super::TlsConfig>,
    /// How long a client may take to finish the TLS handshake, counted from
    /// the accept, and never longer than
    /// [`header_read_timeout`](Self::header_read_timeout); the connection is
    /// closed when it takes longer. Default 10 s.
    #[cfg(feature = "tls")]
    pub tls_handshake_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_size: 10 * 1024 * 1024,
            max_connections: 10_000,
            header_read_timeout: Some(Duration::from_secs(30)),
            body_read_timeout: Some(Duration::from_secs(60)),
            method_map: false,
            call_timeout: None,
            max_batch_len: None,
            ws: crate::ws::WsConfig::default(),
            cors: None,
            #[cfg(feature = "openrpc")]
            discover: true,
            #[cfg(feature = "openrpc")]
            openrpc: crate::openrpc::OpenRpcConfig::default(),
            health: Some(super::HealthPaths::default()),
            drain_delay: Duration::ZERO,
            explorer: None,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl ServerConfig {
    /// Applies the settings that belong to the router (call timeout, batch
    /// length) to `router`.
    pub(crate) fn apply_to(&self, router: crate::Router) -> crate::Router {
        if self.call_timeout.is_none() && self.max_batch_len.is_none() {
            return router;
        }
        let mut config = router.config().clone();
        if let Some(timeout) = self.call_timeout {
            config = config.with_call_timeout(Some(timeout));
        }
        if let Some(len) = self.max_batch_len {
            config = config.with_max_batch_len(len);
        }
        router.with_config(config)
    }
}

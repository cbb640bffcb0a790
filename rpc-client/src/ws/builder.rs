use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use rpc_runtime::client::ClientError;
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;

use super::{ReconnectPolicy, WsClient};

/// Options for a [`WsClient`]; start with [`WsClient::builder`].
///
/// ```no_run
/// use std::time::Duration;
/// use rpc_client::{ReconnectPolicy, WsClient};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// # async fn demo() -> Result<(), rpc_client::ClientError> {
/// let mut own_methods = Router::new();
/// own_methods.register_sync("client.ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// let client = WsClient::builder("ws://127.0.0.1:9944/")
///     .bearer_auth("secret-token")
///     .request_timeout(Duration::from_secs(10))
///     .serve(own_methods)
///     .reconnect(ReconnectPolicy::exponential(Duration::from_millis(100), Duration::from_secs(10)))
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `connect` is called"]
pub struct WsClientBuilder {
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) invalid_header: Option<String>,
    pub(crate) config: WsConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) router: Arc<Router>,
    pub(crate) reconnect: Option<ReconnectPolicy>,
}

impl WsClientBuilder {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            headers: HeaderMap::new(),
            invalid_header: None,
            config: WsConfig::default(),
            connect_timeout: Duration::from_secs(10),
            router: Arc::new(Router::new()),
            reconnect: None,
        }
    }

    /// Sends a header with the upgrade request (for authentication, say).
    /// An invalid name or value makes [`connect`](Self::connect) fail.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.append(name, value);
            }
            _ => self.invalid_header = Some(name.to_owned()),
        }
        self
    }

    /// Sends `Authorization: Bearer <token>` with the upgrade request.
    pub fn bearer_auth(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// How long a call waits for its response. Default: no limit.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config = self.config.with_request_timeout(Some(timeout));
        self
    }

    /// How long connecting (TCP and the upgrade) may take. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest message accepted from the server. Default 10 MiB.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config = self.config.with_max_message_size(bytes);
        self
    }

    /// Pings the server every `interval` (`None`: never) and drops the
    /// connection when it stays silent for `pong_timeout` after one.
    pub fn ping_interval(mut self, interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.config = self.config.with_ping(interval, pong_timeout);
        self
    }

    /// Replaces all connection settings at once.
    pub fn config(mut self, config: WsConfig) -> Self {
        self.config = config;
        self
    }

    /// The methods the server may call on this client (requests and
    /// notifications it sends down the socket).
    pub fn serve(mut self, router: impl Into<Arc<Router>>) -> Self {
        self.router = router.into();
        self
    }

    /// Reconnects with this policy when the connection drops.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = Some(policy);
        self
    }

    /// Connects.
    ///
    /// # Errors
    /// [`ClientError::Transport`] when the server cannot be reached or the
    /// URL or a header is invalid, [`ClientError::HttpStatus`] when it
    /// refuses the upgrade, [`ClientError::Timeout`] after the connect
    /// timeout.
    pub async fn connect(self) -> Result<WsClient, ClientError> {
        if let Some(name) = &self.invalid_header {
            return Err(ClientError::Transport(
                format!("invalid header \"{name}\"").into(),
            ));
        }
        WsClient::start(self).await
    }
}

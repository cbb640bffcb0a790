use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue};
use rpc_runtime::client::ClientError;
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use tower_layer::{Identity, Stack};

use super::{ReconnectPolicy, WsClient, WsTransport};
use crate::middleware::ClientLayers;
use crate::tls::TlsOptions;

/// Options for a [`WsClient`]; start with [`WsClient::builder`].
///
/// `L` is the stack of [layers](crate::middleware) given to
/// [`layer`](Self::layer); [`Identity`] (none) to begin with.
///
/// `ws://` URLs connect in the clear, `wss://` URLs over TLS (rustls).
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
#[must_use = "a builder does nothing until `connect` is called"]
pub struct WsClientBuilder<L = Identity> {
    pub(crate) layers: L,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    /// The first invalid option, reported by `connect`.
    pub(crate) error: Option<String>,
    pub(crate) config: WsConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) router: Arc<Router>,
    pub(crate) reconnect: Option<ReconnectPolicy>,
    pub(crate) tls: TlsOptions,
}

impl<L> fmt::Debug for WsClientBuilder<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClientBuilder")
            .field("url", &self.url)
            .field("config", &self.config)
            .field("connect_timeout", &self.connect_timeout)
            .field("reconnect", &self.reconnect)
            .finish_non_exhaustive()
    }
}

impl WsClientBuilder {
    pub(crate) fn new(url: &str) -> Self {
        Self {
            layers: Identity::new(),
            url: url.to_owned(),
            headers: HeaderMap::new(),
            error: None,
            config: WsConfig::default(),
            connect_timeout: Duration::from_secs(10),
            router: Arc::new(Router::new()),
            reconnect: None,
            tls: TlsOptions::default(),
        }
    }
}

impl<L> WsClientBuilder<L> {
    /// Adds a [layer](crate::middleware) around every call, notification
    /// and batch the client sends (not around the calls the server makes
    /// to it). Layers are ordered as `tower::ServiceBuilder` orders them:
    /// the first added is the outermost.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use rpc_client::middleware::{LoggingLayer, TimeoutLayer};
    /// use rpc_client::WsClient;
    /// # async fn demo() -> Result<(), rpc_client::ClientError> {
    /// let client = WsClient::builder("ws://127.0.0.1:9944/")
    ///     .layer(LoggingLayer::new())
    ///     .layer(TimeoutLayer::new(Duration::from_secs(1)))
    ///     .connect()
    ///     .await?;
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn layer<N>(self, layer: N) -> WsClientBuilder<Stack<N, L>> {
        WsClientBuilder {
            layers: Stack::new(layer, self.layers),
            url: self.url,
            headers: self.headers,
            error: self.error,
            config: self.config,
            connect_timeout: self.connect_timeout,
            router: self.router,
            reconnect: self.reconnect,
            tls: self.tls,
        }
    }

    /// Sends this header with the upgrade request (for authentication, say),
    /// replacing an earlier value of the same name. An invalid name or value
    /// makes [`connect`](Self::connect) fail.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        if let Err(e) = crate::headers::insert(&mut self.headers, name, value) {
            self.fail(format!("invalid header {e}"));
        }
        self
    }

    /// Sends these headers with the upgrade request, replacing earlier
    /// values of the same names.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        crate::headers::extend(&mut self.headers, headers);
        self
    }

    /// HTTP basic authentication on the upgrade request
    /// (`Authorization: Basic …`).
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
        self.authorization(crate::headers::basic_auth(user, password))
    }

    /// Bearer token authentication on the upgrade request
    /// (`Authorization: Bearer …`).
    pub fn bearer_auth(self, token: &str) -> Self {
        self.authorization(crate::headers::bearer_auth(token))
    }

    fn authorization(mut self, value: Result<HeaderValue, String>) -> Self {
        match value {
            Ok(value) => {
                self.headers.insert(AUTHORIZATION, value);
            }
            Err(e) => self.fail(format!("invalid header {e}")),
        }
        self
    }

    fn fail(&mut self, error: String) {
        self.error.get_or_insert(error);
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

    /// Trusts this root certificate (PEM, one or more, or DER) for
    /// `wss://`, besides the built-in ones.
    pub fn add_root_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.tls.extra_roots.push(pem_or_der.into());
        self
    }

    /// Whether `wss://` trusts the built-in (Mozilla, `webpki-roots`) root
    /// certificates. Default on.
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in_roots = enabled;
        self
    }

    /// Presents this client certificate chain and key (both PEM) to
    /// `wss://` servers that ask for one (mutual TLS).
    pub fn client_certificate(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.client_auth = Some((cert_chain_pem.into(), key_pem.into()));
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
    pub async fn connect(self) -> Result<WsClient, ClientError>
    where
        L: ClientLayers<WsTransport>,
    {
        if let Some(error) = self.error {
            return Err(ClientError::Transport(error.into()));
        }
        WsClient::start(self).await
    }
}

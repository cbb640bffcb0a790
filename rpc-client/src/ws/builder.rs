use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
#[cfg(doc)]
use rpc_runtime::client::ClientError;
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use tower_layer::{Identity, Stack};

use super::{ReconnectPolicy, WsClient, WsTransport};
use crate::error::{BuildError, ConnectError};
use crate::id::{DecimalIds, IdGenerator};
use crate::middleware::ClientLayers;
use crate::tls::TlsOptions;

/// The default [`WsClientBuilder::connect_timeout`]: 10 seconds (as the
/// HTTP client's `DEFAULT_CONNECT_TIMEOUT`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = crate::error::CONNECT_TIMEOUT;

/// Options for a [`WsClient`]; start with [`WsClient::builder`].
///
/// `L` is the stack of [layers](crate::middleware) given to
/// [`layer`](Self::layer); [`Identity`] (none) to begin with.
///
/// `ws://` URLs connect in the clear, `wss://` URLs over TLS (rustls).
///
/// Every setter but [`config`](Self::config) sets one thing; `config`
/// replaces the base [`WsConfig`] the setters apply over, so the order of
/// the calls does not matter: a setter wins over `config` whether it comes
/// before or after it.
///
/// ```no_run
/// use std::time::Duration;
/// use rpc_client::{id::UuidIds, ReconnectPolicy, WsClient};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// # async fn demo() -> Result<(), rpc_client::ClientError> {
/// let mut own_methods = Router::new();
/// own_methods.register_sync("client.ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// let client = WsClient::builder("ws://127.0.0.1:9944/")
///     .bearer_auth("secret-token")
///     .connect_timeout(Duration::from_secs(2))
///     .request_timeout(Duration::from_secs(10))
///     .id_generator(UuidIds)
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
    pub(crate) error: Option<BuildError>,
    /// The base settings, from [`config`](Self::config).
    pub(crate) config: WsConfig,
    /// What the setters said, applied over `config`.
    pub(crate) overrides: Overrides,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) router: Arc<Router>,
    pub(crate) reconnect: Option<ReconnectPolicy>,
    pub(crate) tls: TlsOptions,
}

impl<L> fmt::Debug for WsClientBuilder<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsClientBuilder")
            .field("url", &self.url)
            .field("config", &self.effective_config())
            .field("connect_timeout", &self.connect_timeout)
            .field("reconnect", &self.reconnect)
            .finish_non_exhaustive()
    }
}

impl WsClientBuilder {
    // Without `tls`, `TlsOptions` is a unit struct; `default()` keeps one
    // spelling for both builds.
    #[allow(clippy::default_constructed_unit_structs)]
    pub(crate) fn new(url: &str) -> Self {
        Self {
            layers: Identity::new(),
            url: url.to_owned(),
            headers: default_headers(),
            error: None,
            config: WsConfig::default(),
            overrides: Overrides::default(),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            ids: Arc::new(DecimalIds::new()),
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
            overrides: self.overrides,
            connect_timeout: self.connect_timeout,
            ids: self.ids,
            router: self.router,
            reconnect: self.reconnect,
            tls: self.tls,
        }
    }

    /// Sends this header with the upgrade request (for authentication, say),
    /// replacing an earlier value of the same name. An invalid name or value
    /// makes [`connect`](Self::connect) fail with
    /// [`ConnectError::Build`]`(`[`BuildError::InvalidHeader`]`)`, before
    /// connecting.
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        if let Err(e) = crate::headers::insert(&mut self.headers, name, value) {
            self.fail(BuildError::InvalidHeader(e));
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
            Err(e) => self.fail(BuildError::InvalidHeader(e)),
        }
        self
    }

    fn fail(&mut self, error: BuildError) {
        self.error.get_or_insert(error);
    }

    /// How long a call waits for its response. Default: no limit (or what
    /// [`config`](Self::config) says).
    /// Running out gives [`ClientError::Timeout`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.overrides.request_timeout = Some(timeout);
        self
    }

    /// How long connecting (TCP, TLS and the upgrade) may take (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]); `None`: no limit. Running out gives
    /// [`ClientError::Timeout`].
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// The largest message accepted from the server. Default 10 MiB (or
    /// what [`config`](Self::config) says).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.overrides.max_message_size = Some(bytes);
        self
    }

    /// Pings the server every `interval` (`None`: never) and drops the
    /// connection when it stays silent for `pong_timeout` after one.
    pub fn ping_interval(mut self, interval: Option<Duration>, pong_timeout: Duration) -> Self {
        self.overrides.ping = Some((interval, pong_timeout));
        self
    }

    /// The base connection settings (default [`WsConfig::default`]). The
    /// other setters ([`request_timeout`](Self::request_timeout),
    /// [`max_message_size`](Self::max_message_size),
    /// [`ping_interval`](Self::ping_interval)) apply over it whatever the
    /// order of the calls; a second `config` replaces the first.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::{ws::WsConfig, WsClient};
    /// let builder = WsClient::builder("ws://127.0.0.1:9944/")
    ///     .request_timeout(Duration::from_secs(1))
    ///     .config(WsConfig::default().with_max_message_size(1 << 16));
    /// let config = builder.effective_config();
    /// assert_eq!(config.request_timeout, Some(Duration::from_secs(1)));
    /// assert_eq!(config.max_message_size, 1 << 16);
    /// ```
    pub fn config(mut self, config: WsConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings the connection will have: [`config`](Self::config)'s,
    /// with the setters' values over them.
    pub fn effective_config(&self) -> WsConfig {
        let mut config = self.config.clone();
        if let Some(timeout) = self.overrides.request_timeout {
            config = config.with_request_timeout(Some(timeout));
        }
        if let Some(bytes) = self.overrides.max_message_size {
            config = config.with_max_message_size(bytes);
        }
        if let Some((interval, pong_timeout)) = self.overrides.ping {
            config = config.with_ping(interval, pong_timeout);
        }
        config
    }

    /// Makes the ids of calls with `generator` (default [`DecimalIds`]),
    /// as [`HttpClientBuilder::id_generator`](crate::HttpClientBuilder::id_generator)
    /// does. The calls the client's served methods make back to the server
    /// (through `ctx.ws_peer()`) take their ids from it too. Ids must
    /// differ among the calls waiting for a response: a call whose id is in
    /// use fails with [`ClientError::Transport`] without being sent.
    pub fn id_generator(self, generator: impl IdGenerator + 'static) -> Self {
        self.shared_id_generator(Arc::new(generator))
    }

    /// Makes the ids of calls with a generator shared with other clients.
    pub fn shared_id_generator(mut self, generator: Arc<dyn IdGenerator>) -> Self {
        self.ids = generator;
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
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn add_root_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.tls.changed().extra_roots.push(pem_or_der.into());
        self
    }

    /// Whether `wss://` trusts the built-in (Mozilla, `webpki-roots`) root
    /// certificates. Default on with the `webpki-roots` feature.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.changed().built_in_roots = enabled;
        self
    }

    /// Whether `wss://` trusts the operating system's root certificates,
    /// as [`HttpClientBuilder::native_roots`](crate::HttpClientBuilder::native_roots)
    /// says; off by default.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn native_roots(mut self, enabled: bool) -> Self {
        self.tls.changed().native_roots = enabled;
        self
    }

    /// Presents this client certificate chain and key (both PEM) to
    /// `wss://` servers that ask for one (mutual TLS).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn client_certificate(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.changed().client_auth = Some((cert_chain_pem.into(), key_pem.into()));
        self
    }

    /// Uses this rustls configuration for `wss://` instead of building
    /// one, as [`HttpClientBuilder::tls_config`](crate::HttpClientBuilder::tls_config)
    /// does; the other TLS setters are then ignored. It is used as given:
    /// leave its ALPN list empty (or `http/1.1`), since the upgrade is an
    /// HTTP/1.1 request.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// # async fn demo() -> Result<(), rpc_client::ConnectError> {
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let mut roots = rustls::RootCertStore::empty();
    /// roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let client = rpc_client::WsClient::builder("wss://rpc.example.com")
    ///     .tls_config(config)
    ///     .connect()
    ///     .await?;
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_config(mut self, config: impl Into<Arc<rustls::ClientConfig>>) -> Self {
        self.tls.changed().config = Some(config.into());
        self
    }

    /// The `User-Agent` header of the upgrade request (default
    /// `rpc-client/<version>`), as
    /// [`HttpClientBuilder::user_agent`](crate::HttpClientBuilder::user_agent).
    pub fn user_agent<V>(self, value: V) -> Self
    where
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.header(http::header::USER_AGENT, value)
    }

    /// Reconnects with this policy when the connection drops.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = Some(policy);
        self
    }

    /// Checks the options, then connects.
    ///
    /// # Errors
    /// [`ConnectError::Build`] for an invalid URL (not `ws://` or
    /// `wss://`, no host), header, certificate or TLS configuration, as
    /// [`HttpClientBuilder::build`](crate::HttpClientBuilder::build) says
    /// it; [`ConnectError::Connect`] with [`ClientError::Transport`] when
    /// the server cannot be reached, [`ClientError::HttpStatus`] when it
    /// refuses the upgrade, [`ClientError::Timeout`] after the connect
    /// timeout.
    pub async fn connect(self) -> Result<WsClient, ConnectError>
    where
        L: ClientLayers<WsTransport>,
    {
        if let Some(error) = self.error {
            return Err(error.into());
        }
        check_url(&self.url)?;
        if self.url.starts_with("wss:") {
            #[cfg(feature = "tls")]
            self.tls.client_config()?;
            #[cfg(not(feature = "tls"))]
            return Err(BuildError::FeatureDisabled {
                scheme: "wss".to_owned(),
                feature: "tls",
            }
            .into());
        }
        Ok(WsClient::start(self).await?)
    }
}

/// The headers every upgrade request has unless a setter replaces them.
fn default_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(concat!("rpc-client/", env!("CARGO_PKG_VERSION"))),
    );
    headers
}

/// What the setters said, applied over the base [`WsConfig`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Overrides {
    request_timeout: Option<Duration>,
    max_message_size: Option<usize>,
    ping: Option<(Option<Duration>, Duration)>,
}

/// A `ws://` or `wss://` URL with a host, or the [`BuildError`] that says
/// why not (the same as the HTTP client's for the same mistake).
fn check_url(url: &str) -> Result<(), BuildError> {
    let uri: Uri = url.parse().map_err(|e| BuildError::InvalidUrl {
        url: url.to_owned(),
        reason: format!("{e}"),
    })?;
    match uri.scheme_str() {
        Some("ws" | "wss") => {}
        Some(other) => return Err(BuildError::UnsupportedScheme(other.to_owned())),
        None => {
            return Err(BuildError::InvalidUrl {
                url: url.to_owned(),
                reason: "no scheme (expected ws:// or wss://)".to_owned(),
            })
        }
    }
    if uri.host().is_none() {
        return Err(BuildError::InvalidUrl {
            url: url.to_owned(),
            reason: "no host".to_owned(),
        });
    }
    Ok(())
}

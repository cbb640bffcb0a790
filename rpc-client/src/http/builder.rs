//! Configuration of an [`HttpClient`]: endpoint, timeouts, headers, auth,
//! TLS, ids, limits.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use crate::error::BuildError;
use http::header::{
    HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_TYPE,
    PROXY_AUTHORIZATION, USER_AGENT,
};
use http::{HeaderMap, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_layer::{Identity, Stack};

use super::connector::Connector;
use super::proxy::{ProxySetting, Route};
use super::{HttpClient, HttpTransport, Shared};
use crate::id::{DecimalIds, IdGenerator};
use crate::middleware::ClientLayers;
#[cfg(feature = "tls")]
use crate::tls::TlsOptions;

/// The default [`HttpClientBuilder::request_timeout`]: 60 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The default [`HttpClientBuilder::connect_timeout`]: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`HttpClientBuilder::max_response_size`]: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 10 * 1024 * 1024;
/// The `User-Agent` sent unless [`HttpClientBuilder::user_agent`] or a
/// `user-agent` header says otherwise: `rpc-client/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("rpc-client/", env!("CARGO_PKG_VERSION"));

/// Builds an [`HttpClient`]; start with [`HttpClient::builder`].
///
/// `L` is the stack of [layers](crate::middleware) given to
/// [`layer`](Self::layer); [`Identity`] (none) to begin with.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::{id::UuidIds, HttpClient};
///
/// let client = HttpClient::builder("https://rpc.example.com/v1")
///     .connect_timeout(Duration::from_secs(2))
///     .request_timeout(Duration::from_secs(30))
///     .header("x-api-version", "3")
///     .bearer_auth("s3cret")
///     .id_generator(UuidIds)
///     .build()
///     .unwrap();
/// assert_eq!(client.endpoint().host(), Some("rpc.example.com"));
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct HttpClientBuilder<L = Identity> {
    layers: L,
    url: String,
    connect_timeout: Option<Duration>,
    request_timeout: Duration,
    headers: HeaderMap,
    max_response_size: usize,
    decompression: bool,
    proxy: ProxySetting,
    #[cfg(feature = "tls")]
    tls: TlsOptions,
    ids: Arc<dyn IdGenerator>,
    http2: bool,
    http2_prior_knowledge: bool,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    /// The first invalid header given; reported by `build` so the chain
    /// of setters stays infallible.
    error: Option<BuildError>,
}

impl<L> fmt::Debug for HttpClientBuilder<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("url", &self.url)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("headers", &super::wire::Redacted(&self.headers))
            .field("max_response_size", &self.max_response_size)
            .finish_non_exhaustive()
    }
}

impl HttpClientBuilder {
    pub(super) fn new(url: &str) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
        Self {
            layers: Identity::new(),
            url: url.to_owned(),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            headers,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            decompression: true,
            proxy: ProxySetting::default(),
            #[cfg(feature = "tls")]
            tls: TlsOptions::default(),
            ids: Arc::new(DecimalIds::new()),
            http2: true,
            http2_prior_knowledge: false,
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: usize::MAX,
            error: None,
        }
    }
}

impl<L> HttpClientBuilder<L> {
    /// Adds a [layer](crate::middleware) around every call, notification
    /// and batch the client sends. Layers are ordered as
    /// `tower::ServiceBuilder` orders them: the first added is the
    /// outermost (it sees the request first and the outcome last).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::middleware::{LoggingLayer, TimeoutLayer};
    /// use rpc_client::HttpClient;
    ///
    /// let client = HttpClient::builder("http://127.0.0.1:8080")
    ///     .layer(LoggingLayer::new())
    ///     .layer(TimeoutLayer::new(Duration::from_secs(1)))
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn layer<N>(self, layer: N) -> HttpClientBuilder<Stack<N, L>> {
        HttpClientBuilder {
            layers: Stack::new(layer, self.layers),
            url: self.url,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            headers: self.headers,
            max_response_size: self.max_response_size,
            decompression: self.decompression,
            proxy: self.proxy,
            #[cfg(feature = "tls")]
            tls: self.tls,
            ids: self.ids,
            http2: self.http2,
            http2_prior_knowledge: self.http2_prior_knowledge,
            pool_idle_timeout: self.pool_idle_timeout,
            pool_max_idle_per_host: self.pool_max_idle_per_host,
            error: self.error,
        }
    }

    /// How long to wait for a TCP connection to be established
    /// (default [`DEFAULT_CONNECT_TIMEOUT`]); `None` leaves it to the OS.
    /// Running out gives [`ClientError::Timeout`](crate::ClientError::Timeout).
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// How long one exchange may take, from its start (waiting for a
    /// pooled connection or connecting included) to having read the whole
    /// response (default [`DEFAULT_REQUEST_TIMEOUT`]).
    /// Running out gives [`ClientError::Timeout`](crate::ClientError::Timeout).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sends this header with every request, replacing an earlier value of
    /// the same name. An invalid name or value makes [`build`](Self::build)
    /// fail with [`BuildError::InvalidHeader`].
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

    /// Sends these headers with every request, replacing earlier values of
    /// the same names.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        crate::headers::extend(&mut self.headers, headers);
        self
    }

    /// HTTP basic authentication (`Authorization: Basic …`).
    pub fn basic_auth(self, user: &str, password: Option<&str>) -> Self {
        self.authorization(crate::headers::basic_auth(user, password))
    }

    /// Bearer token authentication (`Authorization: Bearer …`).
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

    /// The `User-Agent` header (default [`DEFAULT_USER_AGENT`],
    /// `rpc-client/<version>`); a `user-agent` given to
    /// [`header`](Self::header) does the same. An invalid value makes
    /// [`build`](Self::build) fail with [`BuildError::InvalidHeader`].
    ///
    /// ```
    /// let client = rpc_client::HttpClient::builder("http://localhost:8080")
    ///     .user_agent("my-wallet/2.1")
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    pub fn user_agent<V>(self, value: V) -> Self
    where
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        self.header(USER_AGENT, value)
    }

    /// Whether to ask for compressed responses, `Accept-Encoding: gzip, br`
    /// (default on). A response with `Content-Encoding: gzip` or `br` is
    /// decoded either way, and its decoded size counts against
    /// [`max_response_size`](Self::max_response_size): a body that inflates
    /// past it fails the call with
    /// [`ClientError::Transport`](crate::ClientError::Transport). An
    /// `accept-encoding` given to [`header`](Self::header) wins over this.
    pub fn decompression(mut self, enabled: bool) -> Self {
        self.decompression = enabled;
        self
    }

    /// Sends every request through this HTTP proxy, `http://[user:password@]host[:port]`
    /// (the user and password become `Proxy-Authorization: Basic`),
    /// whatever the environment says. `http://` endpoints are reached by
    /// requests in absolute form, `https://` ones through a `CONNECT`
    /// tunnel. A URL that is not `http://` with a host makes
    /// [`build`](Self::build) fail with [`BuildError::InvalidProxy`].
    ///
    /// Without this or [`no_proxy`](Self::no_proxy), `build` reads
    /// `HTTP_PROXY` (for `http://` endpoints), `HTTPS_PROXY` (for
    /// `https://`), `ALL_PROXY` and `NO_PROXY`, upper or lower case, as
    /// curl does (`HTTP_PROXY` is ignored when `REQUEST_METHOD` is set, as
    /// in a CGI script). An environment proxy that is not `http://` is
    /// ignored with a warning. See [`HttpClient::proxy`].
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Connects directly, whatever `HTTP_PROXY` and the like say.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxySetting::None;
        self
    }

    /// Also trusts this root certificate for HTTPS: PEM text (every
    /// `CERTIFICATE` in it) or one DER certificate. Bad bytes make
    /// [`build`](Self::build) fail with [`BuildError::Certificate`].
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn add_root_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.tls.changed().extra_roots.push(pem_or_der.into());
        self
    }

    /// Whether to trust the built-in (Mozilla, `webpki-roots`) root
    /// certificates; on by default with the `webpki-roots` feature (without
    /// it there are none to trust). Turn it
    /// off to trust only the roots given to
    /// [`add_root_certificate`](Self::add_root_certificate) (and the OS
    /// store's, with [`native_roots`](Self::native_roots)).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.changed().built_in_roots = enabled;
        self
    }

    /// Whether to trust the operating system's root certificates (read
    /// with `rustls-native-certs` when the client is built: on Linux the
    /// distribution's bundle, `SSL_CERT_FILE` / `SSL_CERT_DIR` if set);
    /// off by default. They add to the built-in roots and those given to
    /// [`add_root_certificate`](Self::add_root_certificate). A store with
    /// no usable root makes [`build`](Self::build) fail with
    /// [`BuildError::Certificate`].
    ///
    /// ```
    /// let client = rpc_client::HttpClient::builder("https://rpc.example.com")
    ///     .built_in_roots(false)
    ///     .native_roots(true)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn native_roots(mut self, enabled: bool) -> Self {
        self.tls.changed().native_roots = enabled;
        self
    }

    /// Authenticates to HTTPS servers with this certificate chain and
    /// private key (both PEM; the key PKCS#8, PKCS#1 or SEC1).
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

    /// Uses this rustls configuration for HTTPS instead of building one:
    /// its roots or verifier, client certificate, crypto provider and
    /// protocol versions are yours (for instance a
    /// `rustls-platform-verifier` config, or one with a custom verifier).
    /// The other TLS setters are then ignored. Only its ALPN list is
    /// replaced: the client offers `h2` and `http/1.1` as
    /// [`http2`](Self::http2) and
    /// [`http2_prior_knowledge`](Self::http2_prior_knowledge) allow.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let mut roots = rustls::RootCertStore::empty();
    /// roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let client = rpc_client::HttpClient::builder("https://rpc.example.com")
    ///     .tls_config(config)
    ///     .build()
    ///     .unwrap();
    /// # let _ = client;
    /// ```
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_config(mut self, config: impl Into<Arc<rustls::ClientConfig>>) -> Self {
        self.tls.changed().config = Some(config.into());
        self
    }

    /// Makes the ids of calls with `generator` (default
    /// [`DecimalIds`]).
    pub fn id_generator(self, generator: impl IdGenerator + 'static) -> Self {
        self.shared_id_generator(Arc::new(generator))
    }

    /// Makes the ids of calls with a generator shared with other clients.
    pub fn shared_id_generator(mut self, generator: Arc<dyn IdGenerator>) -> Self {
        self.ids = generator;
        self
    }

    /// The largest response body accepted, in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`]); a larger one fails the call with
    /// [`ClientError::Transport`](crate::ClientError::Transport).
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Whether to offer HTTP/2 to HTTPS servers (by ALPN; on by default).
    /// Plain `http://` uses HTTP/1.1 unless
    /// [`http2_prior_knowledge`](Self::http2_prior_knowledge) is set.
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Speaks only HTTP/2, without negotiating it first (also over plain
    /// `http://`, "h2c"): for servers known to accept it. Concurrent calls
    /// are then multiplexed over one connection.
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.http2_prior_knowledge = true;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s; `None`
    /// keeps it until the server closes it).
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// How many idle connections to keep per host (default: no limit);
    /// `0` turns keep-alive reuse off.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    fn fail(&mut self, error: BuildError) {
        self.error.get_or_insert(error);
    }

    /// Builds the client. Needs no runtime; the client's calls must run
    /// inside a Tokio runtime.
    ///
    /// # Errors
    /// An invalid URL or header, a certificate or key that cannot be read,
    /// or a TLS configuration rustls refuses.
    pub fn build(self) -> Result<HttpClient, BuildError>
    where
        L: ClientLayers<HttpTransport>,
    {
        if let Some(error) = self.error {
            return Err(error);
        }
        let endpoint: Uri = self.url.parse().map_err(|e| BuildError::InvalidUrl {
            url: self.url.clone(),
            reason: format!("{e}"),
        })?;
        match endpoint.scheme_str() {
            Some("http" | "https") => {}
            Some(other) => return Err(BuildError::UnsupportedScheme(other.to_owned())),
            None => {
                return Err(BuildError::InvalidUrl {
                    url: self.url,
                    reason: "no scheme (expected http:// or https://)".to_owned(),
                })
            }
        }
        if endpoint.host().is_none() {
            return Err(BuildError::InvalidUrl {
                url: self.url,
                reason: "no host".to_owned(),
            });
        }

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(self.connect_timeout);
        let route = self.proxy.route(&endpoint)?;
        let mut headers = self.headers;
        if let Route::Forward {
            auth: Some(auth), ..
        } = &route
        {
            headers.insert(PROXY_AUTHORIZATION, auth.clone());
        }
        if self.decompression && !headers.contains_key(ACCEPT_ENCODING) {
            headers.insert(
                ACCEPT_ENCODING,
                HeaderValue::from_static(super::decode::ACCEPT_ENCODING),
            );
        }
        let proxy = route.proxy().cloned();
        let connector = Connector::new(http, route);
        // Built for `http://` too, so a bad certificate is reported at
        // once whatever the endpoint.
        #[cfg(feature = "tls")]
        let connector = {
            let tls = self.tls.client_config()?;
            connector.with_tls(&tls, self.http2, self.http2_prior_knowledge)
        };
        #[cfg(not(feature = "tls"))]
        if endpoint.scheme_str() == Some("https") {
            return Err(BuildError::FeatureDisabled {
                scheme: "https".to_owned(),
                feature: "tls",
            });
        }
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .http2_only(self.http2_prior_knowledge)
            .build(connector);

        let shared = Arc::new(Shared {
            endpoint,
            client,
            proxy,
            headers,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_response_size: self.max_response_size,
            ids: self.ids,
        });
        let layers = self.layers.wrap(HttpTransport::new(Arc::clone(&shared)));
        Ok(HttpClient::from_parts(shared, layers))
    }
}

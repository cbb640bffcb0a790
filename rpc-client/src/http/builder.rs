//! Configuration of an [`HttpClient`]: endpoint, timeouts, headers, auth,
//! TLS, ids, limits.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rpc_runtime::client::BoxError;
use tower_layer::{Identity, Stack};

use super::{HttpClient, HttpTransport, Shared};
use crate::id::{DecimalIds, IdGenerator};
use crate::middleware::ClientLayers;
use crate::tls::TlsOptions;

/// The default [`HttpClientBuilder::request_timeout`]: 60 seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The default [`HttpClientBuilder::connect_timeout`]: 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`HttpClientBuilder::max_response_size`]: 10 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 10 * 1024 * 1024;

/// Why a client could not be built: what [`HttpClientBuilder::build`]
/// returns, and [`WsClientBuilder::connect`](crate::WsClientBuilder::connect)
/// in [`ConnectError::Build`](crate::ConnectError::Build), the same variant
/// for the same mistake.
///
/// ```
/// use rpc_client::{BuildError, HttpClient};
/// let bad = HttpClient::builder("http://127.0.0.1:8080").header("x-token", "line\nbreak").build();
/// assert!(matches!(bad, Err(BuildError::InvalidHeader(_))));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not a valid absolute URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's scheme is not the client's: `http` or `https` for
    /// [`HttpClient`], `ws` or `wss` for [`WsClient`](crate::WsClient).
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
    /// A header name or value is not valid HTTP.
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// A certificate or private key could not be read or used.
    #[error("invalid certificate: {0}")]
    Certificate(String),
    /// The TLS configuration could not be made.
    #[error("TLS configuration: {0}")]
    Tls(#[source] BoxError),
}

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
        Self {
            layers: Identity::new(),
            url: url.to_owned(),
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            headers,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
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

    /// Also trusts this root certificate for HTTPS: PEM text (every
    /// `CERTIFICATE` in it) or one DER certificate. Bad bytes make
    /// [`build`](Self::build) fail with [`BuildError::Certificate`].
    pub fn add_root_certificate(mut self, pem_or_der: impl Into<Vec<u8>>) -> Self {
        self.tls.extra_roots.push(pem_or_der.into());
        self
    }

    /// Whether to trust the built-in (Mozilla, `webpki-roots`) root
    /// certificates; on by default with the `webpki-roots` feature (without
    /// it there are none to trust). Turn it
    /// off to trust only the roots given to
    /// [`add_root_certificate`](Self::add_root_certificate).
    pub fn built_in_roots(mut self, enabled: bool) -> Self {
        self.tls.built_in_roots = enabled;
        self
    }

    /// Authenticates to HTTPS servers with this certificate chain and
    /// private key (both PEM; the key PKCS#8, PKCS#1 or SEC1).
    pub fn client_certificate(
        mut self,
        cert_chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.tls.client_auth = Some((cert_chain_pem.into(), key_pem.into()));
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
        let tls = self.tls.client_config()?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let connector = if self.http2 || self.http2_prior_knowledge {
            https.enable_http1().enable_http2().wrap_connector(http)
        } else {
            https.enable_http1().wrap_connector(http)
        };
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
            headers: self.headers,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_response_size: self.max_response_size,
            ids: self.ids,
        });
        let layers = self.layers.wrap(HttpTransport::new(Arc::clone(&shared)));
        Ok(HttpClient::from_parts(shared, layers))
    }
}

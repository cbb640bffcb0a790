//! The JSON-RPC client over HTTP(S): [`HttpClient`] and its builder.
//!
//! Each call is one `POST` of the request text to the endpoint; the
//! response body is decoded by the core's `decode_response` /
//! `decode_batch_response`. How the HTTP status is read:
//!
//! | answer | result |
//! | --- | --- |
//! | 2xx with a JSON-RPC response | its result, or [`ClientError::Rpc`] |
//! | 2xx with an empty body (e.g. 204) to a call | [`ClientError::InvalidResponse`] |
//! | 2xx with any body (empty, `null`, `[]`, anything) to a notification or a batch of notifications only | `Ok` (the body is logged at `debug` and ignored) |
//! | non-2xx whose body is a JSON-RPC error response | [`ClientError::Rpc`] (e.g. `-32700` with 400) |
//! | any other non-2xx | [`ClientError::HttpStatus`] with the body text |
//! | 2xx with a body that is not JSON (HTML, garbage) | [`ClientError::Unparsable`] |
//! | JSON that is not a valid response (no `jsonrpc`, both or neither of `result`/`error`, wrong id) | [`ClientError::InvalidResponse`] |
//! | connection refused or reset, TLS failure, body too large | [`ClientError::Transport`] |
//! | connect or request timeout | [`ClientError::Timeout`] |

mod builder;
mod calls;
mod connector;
mod decode;
mod exchange;
mod proxy;
mod transport;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use rpc_runtime::client::{BatchRequest, BatchResponse, Caller, ClientError};
use rpc_runtime::params::EncodedParams;
use serde::de::DeserializeOwned;

pub use builder::{
    BuildError, HttpClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_USER_AGENT,
};
pub use transport::HttpTransport;
pub use wire::TARGET as LOG_TARGET;

use crate::middleware::{BoxClientService, ClientRequest, ClientService};
use transport::ExtraHeaders;

/// A JSON-RPC client over HTTP or HTTPS.
///
/// Connections are pooled and kept alive, so many calls share one TCP (and
/// TLS) connection. The client is cheap to clone: clones share the pool,
/// the settings and the id generator, and may be used from many tasks at
/// once. It implements [`Caller`], so generated stubs work over it. Layers
/// given to [`HttpClientBuilder::layer`] wrap every call, notification and
/// batch it sends (see [`middleware`](crate::middleware)).
///
/// ```
/// use rpc_client::{HttpClient, PositionalParams};
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // A stand-in server that answers one call with a fixed response.
/// # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let url = format!("http://{}", listener.local_addr()?);
/// # tokio::spawn(async move {
/// #     let (mut socket, _) = listener.accept().await.unwrap();
/// #     let mut request = vec![0; 4096];
/// #     let _ = socket.read(&mut request).await.unwrap();
/// #     let body = r#"{"jsonrpc":"2.0","result":19,"id":1}"#;
/// #     let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
/// #     socket.write_all(reply.as_bytes()).await.unwrap();
/// # });
/// let client = HttpClient::new(&url)?;
///
/// let mut params = PositionalParams::new();
/// params.push("minuend", &42)?;
/// params.push("subtrahend", &23)?;
/// let difference: i64 = client.request("subtract", params.finish()).await?;
/// assert_eq!(difference, 19);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    shared: Arc<Shared>,
    /// Headers added by [`HttpClient::with_headers`].
    extra_headers: Option<Arc<HeaderMap>>,
    /// The layers over an [`HttpTransport`], if any were given.
    layers: Option<BoxClientService>,
}

pub(crate) struct Shared {
    endpoint: Uri,
    client: Client<connector::Connector, Full<Bytes>>,
    /// The proxy requests go through, if any.
    proxy: Option<Uri>,
    headers: HeaderMap,
    connect_timeout: Option<Duration>,
    request_timeout: Duration,
    max_response_size: usize,
    ids: Arc<dyn crate::id::IdGenerator>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("endpoint", &self.shared.endpoint)
            .field("proxy", &self.shared.proxy)
            .field("headers", &wire::Redacted(&self.shared.headers))
            .field(
                "extra_headers",
                &self.extra_headers.as_deref().map(wire::Redacted),
            )
            .field("request_timeout", &self.shared.request_timeout)
            .field("layers", &self.layers.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for `url` with the default settings.
    ///
    /// ```
    /// let client = rpc_client::HttpClient::new("http://localhost:8080/rpc").unwrap();
    /// assert_eq!(client.endpoint().path(), "/rpc");
    /// assert!(rpc_client::HttpClient::new("ftp://localhost").is_err());
    /// ```
    ///
    /// # Errors
    /// When the URL is not an absolute `http` or `https` URL.
    pub fn new(url: &str) -> Result<Self, BuildError> {
        Self::builder(url).build()
    }

    /// Starts configuring a client for `url`.
    pub fn builder(url: &str) -> HttpClientBuilder {
        HttpClientBuilder::new(url)
    }

    /// The URL requests are posted to.
    #[must_use]
    pub fn endpoint(&self) -> &Uri {
        &self.shared.endpoint
    }

    /// The HTTP proxy requests go through: the one given to
    /// [`HttpClientBuilder::proxy`], or the one `HTTP_PROXY` / `HTTPS_PROXY`
    /// / `ALL_PROXY` named when the client was built (unless `NO_PROXY`
    /// exempts the endpoint); `None` when the client connects directly.
    ///
    /// ```
    /// use rpc_client::HttpClient;
    /// let client = HttpClient::builder("http://localhost:8080")
    ///     .proxy("http://127.0.0.1:3128")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(client.proxy().and_then(|p| p.port_u16()), Some(3128));
    /// let direct = HttpClient::builder("http://localhost:8080").no_proxy().build().unwrap();
    /// assert!(direct.proxy().is_none());
    /// ```
    #[must_use]
    pub fn proxy(&self) -> Option<&Uri> {
        self.shared.proxy.as_ref()
    }

    /// A client that also sends `headers` with each request, replacing the
    /// client's own headers of the same names. It shares the connection
    /// pool and id generator with `self`, and is cheap to make per call.
    ///
    /// ```
    /// use rpc_client::header::{HeaderMap, HeaderValue};
    /// use rpc_client::HttpClient;
    ///
    /// let client = HttpClient::new("http://localhost:8080").unwrap();
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-request-id", HeaderValue::from_static("abc-123"));
    /// let traced = client.with_headers(headers);
    /// // traced.request::<u64>("count", rpc_client::EncodedParams::none()).await ...
    /// # let _ = traced;
    /// ```
    #[must_use]
    pub fn with_headers(&self, headers: HeaderMap) -> Self {
        let merged = match &self.extra_headers {
            Some(existing) => {
                let mut merged = HeaderMap::clone(existing);
                for name in headers.keys() {
                    merged.remove(name);
                }
                merged.extend(headers);
                merged
            }
            None => headers,
        };
        Self {
            shared: Arc::clone(&self.shared),
            extra_headers: Some(Arc::new(merged)),
            layers: self.layers.clone(),
        }
    }

    /// Calls `method` and decodes its result as `R`.
    ///
    /// # Errors
    /// See the [module docs](self) for which answer gives which error.
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        match &self.layers {
            None => {
                self.shared
                    .request(self.extra_headers.as_deref(), method, params)
                    .await
            }
            Some(layers) => layers
                .call(self.layered(ClientRequest::call(method, params)))
                .await?
                .into_result(),
        }
    }

    /// Sends a notification: a call without an id, which gets no answer.
    /// Returns once the server has acknowledged the HTTP request.
    ///
    /// # Errors
    /// A transport failure, a timeout, or a non-2xx status.
    pub async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        match &self.layers {
            None => {
                self.shared
                    .notify(self.extra_headers.as_deref(), method, params)
                    .await
            }
            Some(layers) => layers
                .call(self.layered(ClientRequest::notification(method, params)))
                .await?
                .into_notified(),
        }
    }

    /// Sends a batch of calls and notifications as one request; each call's
    /// typed result is then read from the [`BatchResponse`] with its slot,
    /// whatever order the server answered in. An empty batch is not sent.
    ///
    /// ```no_run
    /// use rpc_client::{BatchRequest, EncodedParams, HttpClient};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = HttpClient::new("http://127.0.0.1:8080")?;
    /// let mut batch = BatchRequest::new();
    /// let sum = batch.call::<i64>("sum", EncodedParams::from_value(&[1, 2, 4])?);
    /// let hello = batch.call::<String>("hello", EncodedParams::none());
    /// batch.notify("log", EncodedParams::from_value(&["sent a batch"])?);
    /// let response = client.batch(batch).await?;
    /// println!("{} {}", response.get(sum)?, response.get(hello)?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As for [`request`](Self::request), for the batch as a whole; one
    /// call's own error comes from [`BatchResponse::get`].
    pub async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        match &self.layers {
            None => {
                self.shared
                    .batch(self.extra_headers.as_deref(), batch)
                    .await
            }
            Some(layers) => layers
                .call(self.layered(ClientRequest::batch(batch)))
                .await?
                .into_batch(),
        }
    }

    /// `request` with this client's extra headers attached for the
    /// transport.
    fn layered(&self, mut request: ClientRequest) -> ClientRequest {
        if let Some(headers) = &self.extra_headers {
            request
                .extensions_mut()
                .insert(ExtraHeaders(Arc::clone(headers)));
        }
        request
    }

    /// Posts a hand-made message (anything: a request, a batch, even
    /// invalid JSON) and returns the response body as it came, empty for a
    /// `204 No Content`. It does not pass through the client's
    /// [layers](crate::middleware).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = rpc_client::HttpClient::new("http://127.0.0.1:8080")?;
    /// let raw = client.send(r#"{"jsonrpc":"2.0","method":"ping","id":"x"}"#).await?;
    /// println!("{raw}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A transport failure, a timeout, or [`ClientError::HttpStatus`] for a
    /// non-2xx status (the body is not interpreted).
    pub async fn send(&self, raw: &str) -> Result<String, ClientError> {
        let reply = self.post("<raw>", raw.to_owned()).await?;
        if reply.status.is_success() {
            Ok(reply.body)
        } else {
            Err(ClientError::HttpStatus {
                status: reply.status.as_u16(),
                body: reply.body,
            })
        }
    }

    async fn post(&self, what: &str, body: String) -> Result<exchange::Reply, ClientError> {
        self.shared
            .post(self.extra_headers.as_deref(), what, body)
            .await
    }

    pub(super) fn from_parts(shared: Arc<Shared>, layers: Option<BoxClientService>) -> Self {
        Self {
            shared,
            extra_headers: None,
            layers,
        }
    }
}

impl Caller for HttpClient {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.request(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        HttpClient::notify(self, method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        HttpClient::batch(self, batch).await
    }
}

//! The HTTP server (feature `server`): JSON-RPC over `POST`, HTTP/1.1
//! keep-alive and HTTP/2 (prior knowledge) on one port, limits, graceful
//! shutdown, and a [`tower_service::Service`] to mount a router inside axum or
//! any tower stack.
//!
//! | Request                                                   | Response |
//! |-----------------------------------------------------------|----------|
//! | `GET` or `HEAD` on the liveness path (default `/health`)   | `200`, `{"status":"ok"}` while the server serves |
//! | `GET` or `HEAD` on the readiness path (default `/ready`)   | `200`, `{"status":"ready"}`; `503`, `{"status":"draining"}` once a drain or shutdown started, `{"status":"not ready"}` while the application [is not](ServerHandle::set_ready) |
//! | another method on a health path                           | `405`, `Allow: GET, HEAD` |
//! | `POST`, `application/json` (any params) or `application/json-rpc` | `200` and the JSON reply, JSON-RPC errors included |
//! | the same, but nothing to reply (notification, all-notification batch) | `204`, empty body |
//! | `GET`/`HEAD` on the [explorer](ServerBuilder::explorer)'s path, or `GET /` with `Accept: text/html` (not `application/json`), explorer on | `200`, the explorer page (`text/html`) |
//! | `GET` with `Accept: application/json`, discovery on (default) | `200`, the OpenRPC document (as `rpc.discover` returns it) |
//! | another `GET` with the method map on                      | `200`, `{"methods":[{"name":..,"params":[..]},..]}` |
//! | `OPTIONS` with [`cors`](ServerBuilder::cors) set          | `200`, tower-http's preflight answer |
//! | any other method                                          | `405`, `Allow: POST` (`GET, POST` with the method map) |
//! | another or no content type                                | `415` |
//! | a body over [`max_body_size`](ServerBuilder::max_body_size) | `413` |
//! | a body not in within [`body_read_timeout`](ServerBuilder::body_read_timeout) | `408` |
//!
//! Every other non-2xx answer carries a JSON-RPC error object (id `null`)
//! that says what was wrong, with `content-type: application/json`.
//!
//! Health and draining, for several instances behind nginx or Kubernetes:
//! the health paths are answered before the [layers](ServerBuilder::layer)
//! and the JSON-RPC pipeline (no middleware, no content type needed, no
//! auth layer in the way of a probe), from bytes rendered once; move them
//! with [`health_paths`](ServerBuilder::health_paths), or turn them off
//! with [`health_checks`](ServerBuilder::health_checks). Point the
//! readiness probe at `/ready` and the liveness probe at `/health`;
//! [`ServerHandle::set_ready`] holds readiness off until the application
//! can serve. On SIGTERM, [`ServerHandle::drain_on_signal`] (or
//! [`drain`](ServerHandle::drain)) turns readiness `503` at once, keeps
//! serving for the [`drain_delay`](ServerBuilder::drain_delay) while the
//! balancer takes the instance out, then shuts down gracefully: in-flight
//! calls finish, WebSocket clients get close `1001` and reconnect to
//! another instance.
//!
//! ```
//! use std::time::Duration;
//! use rpc_runtime::{server::Server, Router};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let handle = Server::builder()
//!     .health_paths("/livez", "/readyz")
//!     .drain_delay(Duration::from_millis(10))
//!     .build(Router::new())
//!     .bind("127.0.0.1:0")
//!     .await?;
//! handle.set_ready(false);
//! // ... connect to the broker, warm the caches, then:
//! handle.set_ready(true);
//! // On SIGTERM (`drain_on_signal` waits for it):
//! handle.drain(Duration::from_secs(10)).await;
//! # Ok(())
//! # }
//! ```
//!
//! A standalone server answers on every path; to put the API on one path
//! beside other routes, mount [`Server::service`] (or [`RpcService`]) in axum
//! or another tower stack.
//!
//! Handlers read the HTTP request head (headers, cookies, URI), the peer
//! address, and the request's extensions through their
//! [`Context`](crate::Context): the basis for auth.
//!
//! Tower layers: [`ServerBuilder::layer`] wraps the server's HTTP service
//! (an [`RpcService`]) in any [`tower::Layer`] whose service takes
//! `http::Request<hyper::body::Incoming>` and answers with an
//! [`http_body::Body`](hyper::body::Body) of `Bytes` (tower-http's
//! compression, request id, trace, timeout, auth layers...). Several
//! `.layer()` calls compose in `tower::ServiceBuilder` order: the first
//! added is the outermost. The layers see every request, WebSocket
//! upgrades included (a layer that passes the request on keeps hyper's
//! upgrade handle in its extensions, which the upgrade needs), and the
//! server's own limits stay in force around and under them: connection
//! limit, header timeout and graceful shutdown around, body size and body
//! timeout under. What a layer inserts into the request's `http::Extensions`
//! reaches handlers as [`Context::extensions`](crate::Context::extensions):
//! for an HTTP call its request's, for a WebSocket the upgrade request's,
//! for every call of the connection. A layer that fails instead of
//! answering (tower's `Timeout`) gets the client a `500` with a JSON-RPC
//! error. Without layers requests take the direct path, with nothing boxed.
//!
//! ```
//! use rpc_runtime::{protocol::ErrorObjectOwned, server::Server, Router};
//!
//! /// What an auth layer found.
//! #[derive(Clone)]
//! struct User(&'static str);
//!
//! let mut router = Router::new();
//! router.register_sync("me", |_params, ctx| {
//!     let user = ctx.extensions().and_then(|ext| ext.get::<User>()).map(|user| user.0);
//!     Ok::<_, ErrorObjectOwned>(user.unwrap_or("anonymous"))
//! }).unwrap();
//! let server = Server::builder()
//!     .layer(tower::util::MapRequestLayer::new(|mut request: http::Request<_>| {
//!         request.extensions_mut().insert(User("ada"));
//!         request
//!     }))
//!     .build(router);
//! # let _ = server;
//! ```
//!
//! Connections: at most [`max_connections`](ServerBuilder::max_connections)
//! at once (one over the limit is closed on arrival); a client has
//! [`header_read_timeout`](ServerBuilder::header_read_timeout) to start and
//! to send each request head, which also closes idle keep-alive connections.
//!
//! ```
//! use std::time::Duration;
//! use rpc_runtime::{protocol::ErrorObjectOwned, server::Server, Router};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mut router = Router::new();
//! router.register_sync("whoami", |_params, ctx| {
//!     let agent = ctx.request_head().and_then(|head| head.header("user-agent")).unwrap_or("?");
//!     Ok::<_, ErrorObjectOwned>(format!("{agent} from {:?}", ctx.peer_addr()))
//! }).unwrap();
//!
//! let handle = Server::builder()
//!     .max_body_size(1024 * 1024)
//!     .call_timeout(Duration::from_secs(5))
//!     .build(router)
//!     .bind("127.0.0.1:0")
//!     .await?;
//! println!("listening on {}", handle.local_addr());
//! // ... serve until it is time to stop, then:
//! handle.shutdown(Duration::from_secs(10)).await;
//! # Ok(())
//! # }
//! ```

mod accept;
mod body;
mod config;
mod connection;
mod cors;
mod discovery;
mod explorer;
mod first_bytes;
mod health;
mod http;
mod layer;
/// The accept loop the stream and ZeroMQ servers share.
pub(crate) mod listener;
mod method_map;
mod service;
mod signal;
#[cfg(feature = "tls")]
mod tls;
mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Incoming};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tower::layer::util::{Identity, Stack};
use tower::Layer;

pub use body::RpcBody;
pub use config::ServerConfig;
pub use cors::Cors;
pub use health::HealthPaths;
pub use service::RpcService;
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError, TlsInfo};

use self::accept::{Control, Counters, Stop};
use self::health::Readiness;
use self::http::{BoxError, HttpState};
use self::layer::Layered;
use crate::Router;

/// A router with its server settings, ready to listen.
///
/// Build one with [`Server::builder`]; then [`bind`](Server::bind) an
/// address, [`serve`](Server::serve) a listener you already have, or take a
/// [`service`](Server::service) to mount in another stack. One `Server` may
/// serve several listeners; each gets its own handle and connection limit.
#[derive(Clone)]
#[must_use = "a server does nothing until it is bound or served"]
pub struct Server {
    state: Arc<HttpState>,
    /// The builder's layers around the service, erased; `None` without
    /// layers (the direct path).
    layered: Option<Layered>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("router", &self.state.router)
            .field("config", &self.state.config)
            .field("layered", &self.layered.is_some())
            .finish()
    }
}

impl Server {
    /// Starts a server with the default [`ServerConfig`] and no layers.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            config: ServerConfig::default(),
            layer: Identity::new(),
            layered: false,
        }
    }

    /// Binds `addr` and serves on it from a task of its own. Use port `0`
    /// for any free port; [`ServerHandle::local_addr`] tells which.
    ///
    /// # Errors
    /// When the address does not resolve or cannot be bound.
    pub async fn bind(&self, addr: impl ToSocketAddrs) -> std::io::Result<ServerHandle> {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener)
    }

    /// Serves connections from `listener` on a task of its own.
    ///
    /// # Errors
    /// When the listener's local address cannot be read.
    ///
    /// # Panics
    /// Outside a Tokio runtime.
    pub fn serve(&self, listener: TcpListener) -> std::io::Result<ServerHandle> {
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(Stop::Serve);
        let (done_tx, done_rx) = watch::channel(None);
        let counters = Arc::new(Counters::default());
        let readiness = Arc::new(Readiness::default());
        let control = Control {
            stop: stop_rx,
            done: done_tx,
        };
        tokio::spawn(accept::run(
            listener,
            Arc::clone(&self.state),
            Arc::clone(&counters),
            Arc::clone(&readiness),
            control,
            self.layered.clone(),
        ));
        tracing::info!(target: "rpc_runtime::http", %local_addr, "listening");
        Ok(ServerHandle {
            inner: Arc::new(HandleInner {
                local_addr,
                stop: stop_tx,
                done: done_rx,
                counters,
                readiness,
                drain_delay: self.state.config.drain_delay,
                #[cfg(feature = "tls")]
                tls: self.state.config.tls.clone(),
            }),
        })
    }

    /// The server as a tower service, sharing this server's router and
    /// limits (not its [`layer`](ServerBuilder::layer)s: in another stack,
    /// put them in that stack).
    pub fn service(&self) -> RpcService {
        RpcService::from_state(Arc::clone(&self.state))
    }

    /// The router being served (with the config's call timeout and batch
    /// length applied).
    pub fn router(&self) -> &Router {
        &self.state.router
    }

    /// The settings in force.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.state.config
    }
}

/// Sets a [`Server`]'s limits and [`layer`](ServerBuilder::layer)s;
/// [`build`](ServerBuilder::build) it with a router.
///
/// `L` is the stack of layers added so far ([`Identity`] for none).
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::{server::Server, Router};
/// let server = Server::builder()
///     .max_body_size(64 * 1024)
///     .max_connections(100)
///     .max_batch_len(20)
///     .call_timeout(Duration::from_secs(2))
///     .method_map(true)
///     .build(Router::new());
/// assert_eq!(server.config().max_connections, 100);
/// assert_eq!(server.router().config().max_batch_len, 20);
/// ```
#[derive(Clone)]
#[must_use = "call `build` to get the server"]
pub struct ServerBuilder<L = Identity> {
    config: ServerConfig,
    layer: L,
    /// Whether [`layer`](Self::layer) was called: without it the server
    /// takes the direct path, with nothing erased.
    layered: bool,
}

impl<L> std::fmt::Debug for ServerBuilder<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("config", &self.config)
            .field("layered", &self.layered)
            .finish_non_exhaustive()
    }
}

impl<L> ServerBuilder<L> {
    /// Wraps the server's HTTP service in `layer`, inside the layers added
    /// before (as `tower::ServiceBuilder::layer` does: the first added is
    /// the outermost). The innermost layer wraps an [`RpcService`]; the
    /// outermost must be a `tower::Service<http::Request<hyper::body::Incoming>>`
    /// that is `Clone + Send + Sync`, with a `Send` future and a response
    /// body of `Bytes` (see [`build`](Self::build)). The layered service is
    /// built once, in `build`, and cloned for each request.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// use tower::util::MapRequestLayer;
    ///
    /// #[derive(Clone)]
    /// struct Tenant(String);
    ///
    /// let server = Server::builder()
    ///     .layer(MapRequestLayer::new(|mut request: http::Request<_>| {
    ///         let tenant = request.headers().get("x-tenant").and_then(|v| v.to_str().ok());
    ///         let tenant = Tenant(tenant.unwrap_or("public").to_owned());
    ///         request.extensions_mut().insert(tenant);
    ///         request
    ///     }))
    ///     .max_body_size(64 * 1024)
    ///     .build(Router::new());
    /// assert_eq!(server.config().max_body_size, 64 * 1024);
    /// ```
    pub fn layer<T>(self, layer: T) -> ServerBuilder<Stack<T, L>> {
        ServerBuilder {
            config: self.config,
            layer: Stack::new(layer, self.layer),
            layered: true,
        }
    }

    /// The largest request body, in bytes (default 10 MiB); larger is `413`.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.config.max_body_size = bytes;
        self
    }

    /// How many connections are served at once (default 10,000, at least 1);
    /// a connection over the limit is closed as soon as it is accepted.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.max_connections = n;
        self
    }

    /// How long a client may take to send a request head (default 30 s);
    /// also the idle time after which a keep-alive connection is closed.
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a request body (default 60 s);
    /// slower is `408`.
    pub fn body_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.body_read_timeout = timeout;
        self
    }

    /// The longest a call may run; a slower one is answered with a `-32000`
    /// error that says so. Overrides the router's
    /// [`call_timeout`](crate::RouterConfig::call_timeout).
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.config.call_timeout = Some(timeout);
        self
    }

    /// The longest batch accepted; longer is one `-32600` error. Overrides
    /// the router's [`max_batch_len`](crate::RouterConfig::max_batch_len).
    pub fn max_batch_len(mut self, len: usize) -> Self {
        self.config.max_batch_len = Some(len);
        self
    }

    /// Answer a plain `GET` on the endpoint with the methods and their
    /// parameter names (default off).
    pub fn method_map(mut self, on: bool) -> Self {
        self.config.method_map = on;
        self
    }

    /// Lets browsers call from pages of other origins (CORS), and limits
    /// which origins may open a WebSocket (see [`Cors`]).
    ///
    /// ```
    /// use rpc_runtime::{server::{Cors, Server}, Router};
    /// let server = Server::builder().cors(Cors::any_origin()).build(Router::new());
    /// assert!(server.config().cors.is_some());
    /// ```
    pub fn cors(mut self, cors: Cors) -> Self {
        self.config.cors = Some(cors);
        self
    }

    /// Sets the limits of WebSocket connections (see [`ServerConfig::ws`]).
    pub fn ws_config(mut self, config: crate::ws::WsConfig) -> Self {
        self.config.ws = config;
        self
    }

    /// Sets the OpenRPC document's `info`: the API's title, version and
    /// description (default: `JSON-RPC API`, `0.0.0`).
    ///
    /// ```
    /// use rpc_runtime::{openrpc::Server as Endpoint, server::Server, Router};
    /// let server = Server::builder()
    ///     .info("Calculator", "1.0.0", Some("Arithmetic over JSON-RPC"))
    ///     .servers([Endpoint::new("http://127.0.0.1:8080")])
    ///     .build(Router::new());
    /// assert!(server.router().has_method("rpc.discover"));
    /// ```
    #[cfg(feature = "openrpc")]
    pub fn info(mut self, title: &str, version: &str, description: Option<&str>) -> Self {
        let mut info = crate::openrpc::Info::new(title, version);
        info.description = description.map(str::to_owned);
        self.config.openrpc.info = info;
        self
    }

    /// Sets the OpenRPC document's `servers` (default none).
    #[cfg(feature = "openrpc")]
    pub fn servers(mut self, servers: impl IntoIterator<Item = crate::openrpc::Server>) -> Self {
        self.config.openrpc.servers = servers.into_iter().collect();
        self
    }

    /// Answers `rpc.discover` with the OpenRPC document of the router, and
    /// a `GET` whose `Accept` names `application/json` with the same
    /// document (default on). The document is built and serialized once,
    /// when the server is built.
    #[cfg(feature = "openrpc")]
    pub fn discover(mut self, on: bool) -> Self {
        self.config.discover = on;
        self
    }

    /// Moves the liveness and readiness endpoints to `liveness` and
    /// `readiness` (default `/health` and `/ready`), turning them on if
    /// they were off; the old paths are then the API's like any other.
    ///
    /// ```
    /// use rpc_runtime::server::{HealthPaths, Server};
    /// use rpc_runtime::Router;
    /// let server = Server::builder().health_paths("/livez", "/readyz").build(Router::new());
    /// assert_eq!(server.config().health, Some(HealthPaths::new("/livez", "/readyz")));
    /// ```
    pub fn health_paths(mut self, liveness: &str, readiness: &str) -> Self {
        self.config.health = Some(HealthPaths::new(liveness, readiness));
        self
    }

    /// Turns the liveness and readiness endpoints on (default, at the
    /// paths set before, `/health` and `/ready` if none) or off; off, a
    /// `GET /health` is answered as any `GET` on the endpoint is (`405`,
    /// or the OpenRPC document or method map).
    ///
    /// ```
    /// use rpc_runtime::{server::Server, Router};
    /// let server = Server::builder().health_checks(false).build(Router::new());
    /// assert_eq!(server.config().health, None);
    /// let server = Server::builder().health_checks(false).health_checks(true).build(Router::new());
    /// assert_eq!(server.config().health.as_ref().map(|paths| paths.liveness.as_str()), Some("/health"));
    /// ```
    pub fn health_checks(mut self, on: bool) -> Self {
        if !on {
            self.config.health = None;
        } else if self.config.health.is_none() {
            self.config.health = Some(HealthPaths::default());
        }
        self
    }

    /// How long a [`drain`](ServerHandle::drain) keeps serving, and
    /// accepting, with readiness already `503` (default zero): set it to
    /// what the load balancer needs to notice, a probe period or two
    /// (Kubernetes: `periodSeconds` × `failureThreshold` of the readiness
    /// probe, plus the time for the endpoint change to reach every proxy),
    /// so that no client is sent to a closed port meanwhile.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// let server = Server::builder().drain_delay(Duration::from_secs(10)).build(Router::new());
    /// assert_eq!(server.config().drain_delay, Duration::from_secs(10));
    /// ```
    pub fn drain_delay(mut self, delay: Duration) -> Self {
        self.config.drain_delay = delay;
        self
    }

    /// Serves the API explorer at `path` (a leading `/` added when
    /// missing), and for a browser's `GET /` (an `Accept` naming
    /// `text/html` and not `application/json`): one self-contained page,
    /// compiled into the server, that lists the methods of `rpc.discover`,
    /// renders a form per method from its schemas and calls them over HTTP
    /// or WebSocket, subscriptions included. Default off.
    ///
    /// The page is answered before the [layers](Self::layer), like the
    /// health endpoints (a browser's navigation carries no `Authorization`
    /// header); the calls it makes meet the layers as any call does, with
    /// the headers the user sets in the page.
    ///
    /// ```
    /// use rpc_runtime::{server::Server, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder()
    ///     .explorer("/explorer")
    ///     .build(Router::new())
    ///     .bind("127.0.0.1:0")
    ///     .await?;
    /// println!("open http://{}/explorer", handle.local_addr());
    /// # handle.shutdown(std::time::Duration::from_secs(1)).await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn explorer(mut self, path: &str) -> Self {
        self.config.explorer = Some(path.to_owned());
        self
    }

    /// Serves HTTPS and WSS on the port instead of HTTP and WebSocket
    /// (feature `tls`), with a [`rustls::ServerConfig`] built with the
    /// crypto provider of your choice, or a [`TlsConfig`] to keep a clone
    /// of for [reloads](TlsConfig::reload). HTTP/1.1 and HTTP/2 are both
    /// served, agreed on by ALPN (`h2` and `http/1.1` are offered when the
    /// config names no protocol); WebSocket upgrades ride HTTP/1.1.
    ///
    /// The handshake runs on the connection's own task, in its slot under
    /// [`max_connections`](Self::max_connections), within
    /// [`tls_handshake_timeout`](Self::tls_handshake_timeout) and the
    /// [`header_read_timeout`](Self::header_read_timeout) (counted from the
    /// accept). A failed handshake (a client certificate the verifier
    /// refuses, plaintext on the port, a timeout) closes that connection,
    /// is logged at debug under `rpc_runtime::tls` and counted by
    /// [`ServerHandle::tls_handshakes_failed`]; nothing else is affected.
    ///
    /// For mutual TLS, build the config with a client-certificate verifier
    /// (`rustls::server::WebPkiClientVerifier`); handlers read the verified
    /// chain from [`Context::tls`](crate::Context::tls).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use rpc_runtime::{server::Server, Router};
    /// use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    /// use rustls::server::WebPkiClientVerifier;
    ///
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// // The CA whose certificates clients must present (here made on the spot).
    /// let ca_key = rcgen::KeyPair::generate()?;
    /// let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new())?;
    /// ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    /// let ca = ca_params.self_signed(&ca_key)?;
    /// let mut client_roots = rustls::RootCertStore::empty();
    /// client_roots.add(ca.der().clone())?;
    /// let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider.clone())
    ///     .build()?;
    ///
    /// let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    /// let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der()));
    /// let config = rustls::ServerConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()?
    ///     .with_client_cert_verifier(verifier)
    ///     .with_single_cert(vec![issued.cert.der().clone()], key)?;
    ///
    /// let handle = Server::builder().tls(config).build(Router::new()).bind("127.0.0.1:0").await?;
    /// println!("serving https://localhost:{}", handle.local_addr().port());
    /// # handle.shutdown(std::time::Duration::from_secs(1)).await;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: impl Into<TlsConfig>) -> Self {
        self.config.tls = Some(config.into());
        self
    }

    /// How long a client may take to finish the TLS handshake (default
    /// 10 s, and never longer than the
    /// [`header_read_timeout`](Self::header_read_timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// let server = Server::builder().tls_handshake_timeout(Duration::from_secs(3)).build(Router::new());
    /// assert_eq!(server.config().tls_handshake_timeout, Duration::from_secs(3));
    /// ```
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.tls_handshake_timeout = timeout;
        self
    }

    /// Replaces every setting at once (the layers stay).
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// The server for `router`, its layers (if any) built around its
    /// service once.
    pub fn build<B>(self, router: Router) -> Server
    where
        L: Layer<RpcService>,
        L::Service: tower::Service<::http::Request<Incoming>, Response = ::http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<::http::Request<Incoming>>>::Error: Into<BoxError>,
        <L::Service as tower::Service<::http::Request<Incoming>>>::Future: Send + 'static,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let state = Arc::new(HttpState::new(router, self.config));
        let layered = self.layered.then(|| {
            let service = RpcService::from_state(Arc::clone(&state));
            layer::erase(self.layer.layer(service))
        });
        Server { state, layered }
    }
}

/// How a server's shutdown went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shutdown {
    /// Every in-flight request finished within the deadline.
    Graceful,
    /// The deadline passed; this many connections were closed with work
    /// still in flight.
    Forced {
        /// How many connections were closed at the deadline.
        connections: usize,
    },
}

/// A running server: its address, its connection counters, and the way to
/// stop it.
///
/// Clones control the same server. Dropping every handle leaves the server
/// running for as long as the Tokio runtime does; call
/// [`shutdown`](Self::shutdown) to stop it.
#[derive(Clone, Debug)]
#[must_use = "without the handle the server cannot be shut down"]
pub struct ServerHandle {
    inner: Arc<HandleInner>,
}

#[derive(Debug)]
struct HandleInner {
    local_addr: SocketAddr,
    stop: watch::Sender<Stop>,
    done: watch::Receiver<Option<Shutdown>>,
    counters: Arc<Counters>,
    /// What this listener's readiness endpoint answers.
    readiness: Arc<Readiness>,
    drain_delay: Duration,
    /// Shared with the accept loop: a reload here is what it reads next.
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
}

impl ServerHandle {
    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Stops the server: stops accepting at once (new connections are
    /// refused) and readiness turns `503`, lets in-flight requests finish
    /// for up to `deadline` while idle connections close (WebSockets with
    /// `1001`), then closes whatever is left. Resolves when the server has
    /// stopped. The first call's deadline counts; later calls just wait. A
    /// shutdown during a [`drain`](Self::drain)'s delay starts at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::{Server, Shutdown}, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder().build(Router::new()).bind("127.0.0.1:0").await?;
    /// let addr = handle.local_addr();
    /// assert_eq!(handle.shutdown(Duration::from_secs(1)).await, Shutdown::Graceful);
    /// assert!(handle.is_stopped());
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self, deadline: Duration) -> Shutdown {
        self.inner.readiness.start_draining();
        self.inner.stop.send_if_modified(|stop| {
            // The first shutdown counts; one during a drain's delay cuts
            // the delay short.
            let first = !matches!(stop, Stop::Now { .. });
            if first {
                *stop = Stop::Now { deadline };
            }
            first
        });
        self.stopped().await
    }

    /// Waits for Ctrl-C, or on Unix also SIGTERM (what `docker stop`,
    /// Kubernetes and systemd send), then shuts the server down as
    /// [`shutdown`](Self::shutdown) does with `deadline`. If the server stops
    /// some other way first, resolves with that outcome.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// # #[tokio::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder().build(Router::new()).bind("127.0.0.1:8080").await?;
    /// let outcome = handle.shutdown_on_signal(Duration::from_secs(10)).await?;
    /// println!("stopped: {outcome:?}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// When the signal handlers cannot be installed.
    pub async fn shutdown_on_signal(&self, deadline: Duration) -> std::io::Result<Shutdown> {
        tokio::select! {
            outcome = self.stopped() => return Ok(outcome),
            signal = signal::stop_requested() => signal?,
        }
        tracing::info!(target: "rpc_runtime::server", "stop signal: shutting down");
        Ok(self.shutdown(deadline).await)
    }

    /// Drains the server for a load balancer: readiness turns `503` at once
    /// (when `drain` is called, not when the future is first polled); the
    /// server goes on serving and accepting for the
    /// [`drain_delay`](ServerBuilder::drain_delay), while the balancer
    /// notices and stops sending; then it shuts down as
    /// [`shutdown`](Self::shutdown) does with `deadline` (counted from the
    /// end of the delay): no new connections, in-flight calls finish,
    /// WebSockets are closed with `1001` so their clients reconnect
    /// elsewhere, and what is left at the deadline is closed. Liveness stays
    /// `200` throughout. The future resolves when the server has stopped;
    /// dropping it does not cancel the drain.
    ///
    /// The first drain or shutdown counts; a [`shutdown`](Self::shutdown)
    /// during the delay starts at once, with its own deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::{Server, Shutdown}, Router};
    /// use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder()
    ///     .drain_delay(Duration::from_millis(100))
    ///     .build(Router::new())
    ///     .bind("127.0.0.1:0")
    ///     .await?;
    /// let drained = handle.drain(Duration::from_secs(5));
    /// assert!(handle.is_draining() && !handle.is_ready());
    ///
    /// // During the delay the server still accepts; readiness is 503.
    /// let mut probe = tokio::net::TcpStream::connect(handle.local_addr()).await?;
    /// probe.write_all(b"GET /ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
    /// let mut answer = String::new();
    /// probe.read_to_string(&mut answer).await?;
    /// assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    /// assert!(answer.ends_with(r#"{"status":"draining"}"#), "{answer}");
    ///
    /// assert_eq!(drained.await, Shutdown::Graceful);
    /// assert!(tokio::net::TcpStream::connect(handle.local_addr()).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn drain(&self, deadline: Duration) -> impl Future<Output = Shutdown> + Send + 'static {
        self.inner.readiness.start_draining();
        let delay = self.inner.drain_delay;
        let started = self.inner.stop.send_if_modified(|stop| {
            if *stop != Stop::Serve {
                return false;
            }
            *stop = if delay.is_zero() {
                Stop::Now { deadline }
            } else {
                let until = tokio::time::Instant::now().checked_add(delay);
                Stop::Drain { until, deadline }
            };
            true
        });
        if started {
            tracing::info!(target: "rpc_runtime::http", local_addr = %self.inner.local_addr,
                delay_ms = delay.as_millis(), deadline_ms = deadline.as_millis(),
                "draining: readiness off, shutting down after the delay");
        }
        let handle = self.clone();
        async move { handle.stopped().await }
    }

    /// Waits for Ctrl-C, or on Unix also SIGTERM, then
    /// [`drain`](Self::drain)s the server with `deadline`: what a server
    /// behind a load balancer or in Kubernetes wants on SIGTERM (with a
    /// [`drain_delay`](ServerBuilder::drain_delay), and a
    /// `terminationGracePeriodSeconds` above the delay plus `deadline`). If
    /// the server stops some other way first, resolves with that outcome.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// # #[tokio::main]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder()
    ///     .drain_delay(Duration::from_secs(10))
    ///     .build(Router::new())
    ///     .bind("0.0.0.0:8080")
    ///     .await?;
    /// let outcome = handle.drain_on_signal(Duration::from_secs(20)).await?;
    /// println!("stopped: {outcome:?}");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// When the signal handlers cannot be installed.
    pub async fn drain_on_signal(&self, deadline: Duration) -> std::io::Result<Shutdown> {
        tokio::select! {
            outcome = self.stopped() => return Ok(outcome),
            signal = signal::stop_requested() => signal?,
        }
        tracing::info!(target: "rpc_runtime::server", "stop signal: draining");
        Ok(self.drain(deadline).await)
    }

    /// Says whether the application is ready for traffic (default `true`),
    /// which the readiness endpoint reports: `503` `{"status":"not ready"}`
    /// while it is not (a broker not connected yet, a cache warming up).
    /// Liveness is not affected, nor is anything served; once a drain or
    /// shutdown has started, readiness stays `503` whatever this says.
    ///
    /// ```
    /// use rpc_runtime::{server::Server, Router};
    /// use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder().build(Router::new()).bind("127.0.0.1:0").await?;
    /// handle.set_ready(false);
    /// assert!(!handle.is_ready());
    ///
    /// let mut probe = tokio::net::TcpStream::connect(handle.local_addr()).await?;
    /// probe.write_all(b"GET /ready HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
    /// let mut answer = String::new();
    /// probe.read_to_string(&mut answer).await?;
    /// assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    /// assert!(answer.ends_with(r#"{"status":"not ready"}"#), "{answer}");
    ///
    /// handle.set_ready(true);
    /// assert!(handle.is_ready());
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_ready(&self, ready: bool) {
        self.inner.readiness.set_app(ready);
    }

    /// Whether the readiness endpoint answers `200` now: the application is
    /// [ready](Self::set_ready) and no drain or shutdown has started.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder().build(Router::new()).bind("127.0.0.1:0").await?;
    /// assert!(handle.is_ready());
    /// handle.shutdown(Duration::from_secs(1)).await;
    /// assert!(!handle.is_ready());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.inner.readiness.is_ready()
    }

    /// Whether a [`drain`](Self::drain) or [`shutdown`](Self::shutdown) has
    /// started (readiness is then `503` for good).
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::Server, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = Server::builder().build(Router::new()).bind("127.0.0.1:0").await?;
    /// assert!(!handle.is_draining());
    /// let stopped = handle.drain(Duration::from_secs(1));
    /// assert!(handle.is_draining());
    /// stopped.await;
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.inner.readiness.is_draining()
    }

    /// Resolves when the server has stopped (after a [`shutdown`](Self::shutdown)).
    pub async fn stopped(&self) -> Shutdown {
        let mut done = self.inner.done.clone();
        let outcome = match done.wait_for(Option::is_some).await {
            Ok(outcome) => outcome.unwrap_or(Shutdown::Graceful),
            // The accept task is gone without a word: the runtime is
            // shutting down and took every connection with it.
            Err(_) => Shutdown::Forced { connections: 0 },
        };
        outcome
    }

    /// Whether the server has stopped.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.inner.done.borrow().is_some()
    }

    /// How many connections were accepted since the server started (those
    /// refused over the limit included).
    #[must_use]
    pub fn connections_accepted(&self) -> usize {
        self.inner.counters.accepted.load(Ordering::Relaxed)
    }

    /// How many connections are open now.
    #[must_use]
    pub fn connections_active(&self) -> usize {
        self.inner.counters.active.load(Ordering::Relaxed)
    }

    /// Replaces the TLS configuration (a renewed certificate, a new client
    /// CA) for the connections accepted from now on, without a restart:
    /// open connections, WebSockets included, keep the session they have.
    /// The same as [`TlsConfig::reload`] on the config the server was built
    /// with, so every listener of that server gets it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use rpc_runtime::{server::Server, Router};
    /// use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    ///
    /// fn config() -> Result<rustls::ServerConfig, Box<dyn std::error::Error>> {
    ///     let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    ///     let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der()));
    ///     Ok(rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
    ///         .with_safe_default_protocol_versions()?
    ///         .with_no_client_auth()
    ///         .with_single_cert(vec![issued.cert.der().clone()], key)?)
    /// }
    ///
    /// let handle = Server::builder().tls(config()?).build(Router::new()).bind("127.0.0.1:0").await?;
    /// // The certificate was renewed on disk: load it, then
    /// handle.reload_tls(config()?)?;
    ///
    /// let plain = Server::builder().build(Router::new()).bind("127.0.0.1:0").await?;
    /// assert!(plain.reload_tls(config()?).is_err());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`TlsError::NotEnabled`] when the server was built without
    /// [`tls`](ServerBuilder::tls).
    #[cfg(feature = "tls")]
    pub fn reload_tls(&self, config: impl Into<Arc<rustls::ServerConfig>>) -> Result<(), TlsError> {
        let tls = self.inner.tls.as_ref().ok_or(TlsError::NotEnabled)?;
        tls.reload(config);
        Ok(())
    }

    /// How many TLS handshakes failed or timed out since the server
    /// started: clients refused by the certificate verifier, plaintext on
    /// the TLS port, clients too slow to finish.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls_handshakes_failed(&self) -> usize {
        self.inner.counters.tls_failed.load(Ordering::Relaxed)
    }

    /// How many connections were closed on arrival because
    /// [`max_connections`](ServerBuilder::max_connections) were open.
    #[must_use]
    pub fn connections_refused(&self) -> usize {
        self.inner.counters.refused.load(Ordering::Relaxed)
    }
}

//! The router as a `tower::Service`, to mount inside axum or any tower stack.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Body;

use super::body::RpcBody;
use super::config::ServerConfig;
use super::connection::Phase;
use super::http::{self as endpoint, BoxError, HttpState, Origin};
use super::layer::ServerConnection;
use super::Shutdown;
use crate::{BoxFuture, Router};

/// A [`Router`] served over HTTP as a [`tower_service::Service`]: the same
/// checks, limits and status codes as [`Server`](super::Server), for any
/// request body type.
///
/// Cloning is cheap (one `Arc`). Mount it on a path in axum with
/// `axum::Router::new().route_service("/rpc", service)`; tower layers
/// (timeouts, CORS, auth) wrap it like any service.
///
/// The peer address handlers see ([`Context::peer_addr`](crate::Context::peer_addr))
/// is read from a [`SocketAddr`] request extension by default; axum keeps
/// it in `ConnectInfo<SocketAddr>`, which
/// [`peer_addr_from`](Self::peer_addr_from) reads. The request's other
/// extensions reach handlers as [`Context::extensions`](crate::Context::extensions).
///
/// The health endpoints ([`ServerConfig::health`]) answer here too, for
/// requests whose URI path, as the service sees it, is a health path: in
/// axum, also route those paths to the service
/// (`.route_service("/health", service.clone())`, the same for `/ready`), or
/// keep the host's own probes and turn these off. Readiness is the
/// service's own ([`set_ready`](Self::set_ready)), `503` once its
/// [`shutdown`](Self::shutdown) starts; a service taken from
/// [`Server::service`](super::Server::service) has its own, apart from the
/// server's handles.
///
/// WebSocket connections upgraded through the service are served until
/// they end or [`shutdown`](Self::shutdown) drains them. It is also the
/// service that [`ServerBuilder::layer`](super::ServerBuilder::layer)'s
/// layers wrap inside a standalone server.
///
/// ```
/// use std::convert::Infallible;
/// use http_body_util::{BodyExt as _, Full};
/// use rpc_runtime::{protocol::ErrorObjectOwned, server::RpcService, Router};
/// use tower_service::Service as _;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut router = Router::new();
/// router.register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("world")).unwrap();
/// let mut service = RpcService::new(router);
///
/// let request = http::Request::post("/rpc")
///     .header("content-type", "application/json")
///     .body(Full::new(bytes::Bytes::from(r#"{"jsonrpc":"2.0","method":"hello","id":1}"#)))
///     .unwrap();
/// let response = service.call(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// let body = response.into_body().collect().await.unwrap().to_bytes();
/// assert_eq!(body, r#"{"jsonrpc":"2.0","result":"world","id":1}"#);
/// # }
/// ```
#[derive(Clone)]
#[must_use = "a service does nothing until it is mounted or called"]
pub struct RpcService {
    state: Arc<HttpState>,
    peer_addr: PeerAddrFn,
}

/// Reads the peer address from a request's extensions.
type PeerAddrFn = fn(&http::Extensions) -> Option<SocketAddr>;

fn socket_addr_extension(extensions: &http::Extensions) -> Option<SocketAddr> {
    extensions.get::<SocketAddr>().copied()
}

impl RpcService {
    /// Serves `router` with the default [`ServerConfig`].
    pub fn new(router: Router) -> Self {
        Self::with_config(router, ServerConfig::default())
    }

    /// Serves `router` with `config` (connection settings such as
    /// `max_connections` and `header_read_timeout` belong to whatever
    /// accepts the connections, and are ignored here).
    pub fn with_config(router: Router, config: ServerConfig) -> Self {
        Self::from_state(Arc::new(HttpState::new(router, config)))
    }

    pub(crate) fn from_state(state: Arc<HttpState>) -> Self {
        Self {
            state,
            peer_addr: socket_addr_extension,
        }
    }

    /// Reads the peer address that handlers see from the request's
    /// extensions with `read` (default: a [`SocketAddr`] extension). Under
    /// axum served with `into_make_service_with_connect_info::<SocketAddr>()`:
    /// `.peer_addr_from(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|info| info.0))`.
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use rpc_runtime::{server::RpcService, Router};
    /// /// What the host stack keeps the client's address in.
    /// #[derive(Clone)]
    /// struct ClientAddr(SocketAddr);
    ///
    /// let service = RpcService::new(Router::new())
    ///     .peer_addr_from(|ext| ext.get::<ClientAddr>().map(|addr| addr.0));
    /// # let _ = service;
    /// ```
    pub fn peer_addr_from(mut self, read: fn(&http::Extensions) -> Option<SocketAddr>) -> Self {
        self.peer_addr = read;
        self
    }

    /// Drains the WebSocket connections upgraded through this service (and
    /// its clones), as a standalone server's shutdown does: readiness turns
    /// `503`, new upgrades are
    /// refused (`503`), each connection stops taking calls, finishes those
    /// in flight and is closed with `1001` (going away); at `grace` those
    /// still open are dropped. Resolves when all are gone. Plain HTTP
    /// requests are the host stack's to drain (axum's
    /// `with_graceful_shutdown`); call this from the same shutdown signal.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::{RpcService, Shutdown}, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = RpcService::new(Router::new());
    /// assert_eq!(service.websockets_active(), 0);
    /// assert_eq!(service.shutdown(Duration::from_secs(1)).await, Shutdown::Graceful);
    /// # }
    /// ```
    pub async fn shutdown(&self, grace: Duration) -> Shutdown {
        self.state.readiness.start_draining();
        let sockets = &self.state.sockets;
        sockets.send_if_modified(|phase| {
            let serving = *phase == Phase::Serving;
            if serving {
                *phase = Phase::Draining;
            }
            serving
        });
        if tokio::time::timeout(grace, sockets.closed()).await.is_ok() {
            return Shutdown::Graceful;
        }
        let connections = self.websockets_active();
        tracing::warn!(target: "rpc_runtime::ws", connections, "shutdown deadline passed: closing WebSocket connections");
        sockets.send_replace(Phase::Closing);
        sockets.closed().await;
        Shutdown::Forced { connections }
    }

    /// Says whether the application is ready (default `true`), which the
    /// service's readiness endpoint reports (`503` `{"status":"not ready"}`
    /// while it is not); shared by the service's clones. After
    /// [`shutdown`](Self::shutdown) readiness stays `503`.
    ///
    /// ```
    /// use http_body_util::{BodyExt as _, Empty};
    /// use rpc_runtime::{server::RpcService, Router};
    /// use tower_service::Service as _;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut service = RpcService::new(Router::new());
    /// service.set_ready(false);
    /// assert!(!service.is_ready());
    /// let probe = || http::Request::get("/ready").body(Empty::<bytes::Bytes>::new()).unwrap();
    /// let response = service.call(probe()).await.unwrap();
    /// assert_eq!(response.status(), 503);
    /// let body = response.into_body().collect().await.unwrap().to_bytes();
    /// assert_eq!(body, r#"{"status":"not ready"}"#);
    ///
    /// service.set_ready(true);
    /// assert_eq!(service.call(probe()).await.unwrap().status(), 200);
    /// # }
    /// ```
    pub fn set_ready(&self, ready: bool) {
        self.state.readiness.set_app(ready);
    }

    /// Whether the service's readiness endpoint answers `200` now: the
    /// application is [ready](Self::set_ready) and no
    /// [`shutdown`](Self::shutdown) has started.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::{server::RpcService, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let service = RpcService::new(Router::new());
    /// assert!(service.is_ready());
    /// service.shutdown(Duration::from_secs(1)).await;
    /// assert!(!service.is_ready());
    /// # }
    /// ```
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.state.readiness.is_ready()
    }

    /// How many WebSocket connections upgraded through this service (and
    /// its clones) are open now.
    #[must_use]
    pub fn websockets_active(&self) -> usize {
        self.state.sockets_open.load(Ordering::Relaxed)
    }

    /// The router being served (with the config's call timeout and batch
    /// length applied).
    pub fn router(&self) -> &Router {
        &self.state.router
    }

    /// The limits in force.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.state.config
    }
}

impl std::fmt::Debug for RpcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcService")
            .field("router", &self.state.router)
            .field("config", &self.state.config)
            .finish()
    }
}

impl From<Router> for RpcService {
    fn from(router: Router) -> Self {
        Self::new(router)
    }
}

impl<B> tower_service::Service<Request<B>> for RpcService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<RpcBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<RpcBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let state = Arc::clone(&self.state);
        // Under a standalone server's layers, the connection it came on.
        let connection = request.extensions_mut().remove::<ServerConnection>();
        let peer = match &connection {
            Some(connection) => Some(connection.0.peer),
            None => (self.peer_addr)(request.extensions()),
        };
        Box::pin(async move {
            let origin = Origin {
                peer,
                connection: connection.as_ref().map(|connection| &connection.0),
            };
            Ok(endpoint::handle(&state, request, origin).await)
        })
    }
}

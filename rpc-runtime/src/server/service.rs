//! The router as a `tower::Service`, to mount inside axum or any tower stack.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use hyper::body::Body;

use super::body::RpcBody;
use super::config::ServerConfig;
use super::http::{self as endpoint, BoxError, HttpState, Origin};
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
/// is read from a [`SocketAddr`] request extension, if one is present. axum
/// keeps it in `ConnectInfo<SocketAddr>` instead, which a one-line layer
/// copies over (`examples/axum.rs` shows it).
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
        Self {
            state: Arc::new(HttpState::new(router, config)),
        }
    }

    pub(crate) fn from_state(state: Arc<HttpState>) -> Self {
        Self { state }
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

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let state = Arc::clone(&self.state);
        let peer = request.extensions().get::<SocketAddr>().copied();
        Box::pin(async move {
            let origin = Origin {
                peer,
                connection: None,
            };
            Ok(endpoint::handle(&state, request, origin).await)
        })
    }
}

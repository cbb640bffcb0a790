//! Tower layers around the standalone server's HTTP service: the layered
//! service is built and type-erased once, when the server is built; each
//! connection then clones it, and each request carries its connection to
//! the [`RpcService`](super::RpcService) inside in a private extension.
//!
//! The health endpoints are answered before the layers: a probe must not
//! be turned away by an auth layer, nor cost a trace span or compression.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::{ready, Either, FutureExt as _, Map, Ready};
use http::{Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Incoming};
use tower::util::{BoxCloneSyncService, Oneshot};
use tower::{Service, ServiceExt as _};

use super::connection::OpenConnection;
use super::http::{BoxError, Origin};
use crate::Refusal;

/// The body of a response that went through the server's layers.
pub(crate) type LayeredBody = UnsyncBoxBody<Bytes, BoxError>;

/// The server's layers around its [`RpcService`](super::RpcService), erased.
pub(crate) type Layered = BoxCloneSyncService<Request<Incoming>, Response<LayeredBody>, BoxError>;

/// What a layer's error becomes.
type Answered =
    fn(Result<Response<LayeredBody>, BoxError>) -> Result<Response<LayeredBody>, Infallible>;

/// The server connection a request arrived on, for the service under the
/// layers: the peer address, the connection slot a WebSocket keeps, and the
/// shutdown phases it follows. Taken out of the request before a handler
/// sees its extensions.
#[derive(Clone)]
pub(crate) struct ServerConnection(pub(crate) Arc<OpenConnection>);

/// Erases a layered service: its body boxed, its errors boxed.
pub(crate) fn erase<S, B>(service: S) -> Layered
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(
        service
            .map_response(|response: Response<B>| {
                response.map(|body| UnsyncBoxBody::new(body.map_err(Into::into)))
            })
            .map_err(Into::into),
    )
}

/// A layer's answer, or `500` for its error.
fn answered(
    result: Result<Response<LayeredBody>, BoxError>,
) -> Result<Response<LayeredBody>, Infallible> {
    Ok(result.unwrap_or_else(|error| layer_failed(&error)))
}

/// A layer failed instead of answering (tower's `Timeout`, a load shedder):
/// the client gets a `500` with a JSON-RPC error body rather than a
/// connection closed under it.
#[cold]
fn layer_failed(error: &BoxError) -> Response<LayeredBody> {
    tracing::debug!(target: "rpc_runtime::http", %error, "a server layer failed");
    super::http::reject(StatusCode::INTERNAL_SERVER_ERROR, &Refusal::LayerFailed)
        .map(|body| UnsyncBoxBody::new(body.map_err(|never| match never {})))
}

/// One connection's hyper service when the server has layers.
pub(crate) struct LayeredConnection {
    pub(crate) service: Layered,
    pub(crate) open: Arc<OpenConnection>,
}

impl hyper::service::Service<Request<Incoming>> for LayeredConnection {
    type Response = Response<LayeredBody>;
    type Error = Infallible;
    type Future = Either<
        Ready<Result<Response<LayeredBody>, Infallible>>,
        Map<Oneshot<Layered, Request<Incoming>>, Answered>,
    >;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let origin = Origin {
            peer: Some(self.open.peer),
            connection: Some(&self.open),
        };
        if let Some(answer) = super::http::early_answer(&self.open.state, &request, origin) {
            let answer =
                answer.map(|body| UnsyncBoxBody::new(body.map_err(|never| match never {})));
            return Either::Left(ready(Ok(answer)));
        }
        request
            .extensions_mut()
            .insert(ServerConnection(Arc::clone(&self.open)));
        // hyper calls through `&self`; a tower service needs its own clone
        // to be polled ready and called (as axum does per request).
        self.service
            .clone()
            .oneshot(request)
            .map(answered as Answered)
            .right_future()
    }
}

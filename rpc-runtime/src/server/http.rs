//! One HTTP request in, one HTTP response out: the checks (method, content
//! type, size), the body read, and the call into the router.
//!
//! Status codes: `200` with the JSON reply (JSON-RPC errors included: they
//! are the protocol's own business), `204` with an empty body when the
//! message needs no reply, `405` for methods other than `POST` (and `GET`
//! when the method map is on), `415` for other content types, `413` for a
//! body over the limit, `408` for a body that does not arrive in time, `400`
//! for a body that could not be read.

use std::convert::Infallible;
use std::future::Future as _;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONTENT_TYPE, ORIGIN};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Body;
use tokio::sync::watch;
use tower::{Layer as _, ServiceExt as _};
use tower_http::cors::CorsLayer;
use tracing::Instrument as _;

use super::body::RpcBody;
use super::config::ServerConfig;
use super::connection::{OpenConnection, Phase};
use super::explorer::Explorer;
use super::health::{Health, Readiness};
use super::{discovery, method_map, ws};
use crate::{Context, Refusal, RequestHead, Router};

/// The error type of a request body, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TARGET: &str = "rpc_runtime::http";
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// What every request of one server (or one mounted service) shares.
pub(crate) struct HttpState {
    /// Shared with every WebSocket connection the server upgrades.
    pub(crate) router: Arc<Router>,
    pub(crate) config: ServerConfig,
    /// The method map's JSON, rendered once; `None` when it is off.
    method_map: Option<Bytes>,
    /// The OpenRPC document, rendered once; `None` when discovery is off.
    openrpc: Option<Bytes>,
    allow: HeaderValue,
    /// tower-http's CORS layer for the config's policy; `None` when CORS is
    /// off.
    cors: Option<CorsLayer>,
    /// The shutdown phase of the WebSocket connections upgraded without a
    /// server connection (through a mounted [`RpcService`](super::RpcService));
    /// each holds a receiver, so the count of receivers is the count of
    /// live sockets.
    pub(crate) sockets: watch::Sender<Phase>,
    /// How many of those sockets are open.
    pub(crate) sockets_open: AtomicUsize,
    /// The health endpoints; `None` when they are off.
    pub(crate) health: Option<Health>,
    /// The explorer page; `None` when it is off.
    explorer: Option<Explorer>,
    /// The readiness of a mounted [`RpcService`](super::RpcService); a
    /// standalone server's connections answer with their handle's instead.
    pub(crate) readiness: Readiness,
    /// Error bodies, rendered once so a rejection costs no formatting.
    too_large: Bytes,
    parse_error: Bytes,
}

impl HttpState {
    pub(crate) fn new(router: Router, config: ServerConfig) -> Self {
        let mut router = config.apply_to(router);
        let cors = config.cors.as_ref().map(super::Cors::to_layer);
        let (sockets, _) = watch::channel(Phase::Serving);
        let method_map = config.method_map.then(|| method_map::render(&router));
        let openrpc = discovery::install(&mut router, &config);
        let allow = HeaderValue::from_static(if config.method_map {
            "GET, POST"
        } else {
            "POST"
        });
        let too_large = error_body(&Refusal::TooLarge {
            limit: config.max_body_size,
        });
        let parse_error = error_body(&Refusal::NotUtf8);
        let health = config.health.as_ref().map(Health::new);
        let explorer = config.explorer.as_deref().map(Explorer::new);
        Self {
            router: Arc::new(router),
            config,
            method_map,
            openrpc,
            allow,
            cors,
            sockets,
            sockets_open: AtomicUsize::new(0),
            health,
            explorer,
            readiness: Readiness::default(),
            too_large,
            parse_error,
        }
    }
}

/// Where a request came from.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    /// The remote address, when known.
    pub(crate) peer: Option<SocketAddr>,
    /// The server's connection it arrived on; `None` when the router is
    /// mounted in another stack, which owns its connections.
    pub(crate) connection: Option<&'a Arc<OpenConnection>>,
}

impl Origin<'_> {
    /// The TLS session of the server connection, when it has one.
    #[cfg(feature = "tls")]
    pub(crate) fn tls(&self) -> Option<Arc<super::TlsInfo>> {
        self.connection
            .and_then(|connection| connection.tls.clone())
    }
}

/// Answers one request.
pub(crate) async fn handle<B>(
    state: &Arc<HttpState>,
    request: Request<B>,
    origin: Origin<'_>,
) -> Response<RpcBody>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    if let Some(answer) = early_answer(state, &request, origin) {
        return answer;
    }
    let span = tracing::debug_span!(target: TARGET, "http.request",
        method = %request.method(), path = request.uri().path(), status = tracing::field::Empty);
    let response = match (&state.cors, &state.config.cors) {
        (Some(layer), Some(policy)) => {
            if ws::is_upgrade(&request) && !policy.allows(request.headers()) {
                tracing::debug!(target: TARGET, origin = ?request.headers().get(ORIGIN), "WebSocket upgrade from an origin not allowed");
                forbidden_origin()
            } else {
                // tower-http answers the preflight itself and adds the CORS
                // headers to the endpoint's response.
                let span = &span;
                let endpoint = tower::service_fn(|request| async move {
                    let response = respond(state, request, origin)
                        .instrument(span.clone())
                        .await;
                    Ok::<_, Infallible>(response)
                });
                match layer.layer(endpoint).oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
        _ => {
            respond(state, request, origin)
                .instrument(span.clone())
                .await
        }
    };
    span.record("status", response.status().as_u16());
    response
}

/// The answers given before the layers and the JSON-RPC pipeline: the
/// health endpoints' (with the readiness of the server connection the
/// request came on, or the mounted service's), then the explorer page's.
pub(crate) fn early_answer<B>(
    state: &HttpState,
    request: &Request<B>,
    origin: Origin<'_>,
) -> Option<Response<RpcBody>> {
    let readiness = match origin.connection {
        Some(connection) => &connection.readiness,
        None => &state.readiness,
    };
    if let Some(answer) = state
        .health
        .as_ref()
        .and_then(|health| health.answer(request, readiness))
    {
        return Some(answer);
    }
    state.explorer.as_ref()?.answer(request)
}

#[cold]
fn forbidden_origin() -> Response<RpcBody> {
    let mut response = Response::new(RpcBody::empty());
    *response.status_mut() = StatusCode::FORBIDDEN;
    response
}

async fn respond<B>(
    state: &Arc<HttpState>,
    request: Request<B>,
    origin: Origin<'_>,
) -> Response<RpcBody>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    // The WebSocket upgrade shares the endpoint: it is a GET, so it is
    // sorted out before the method check.
    if ws::is_upgrade(&request) {
        return ws::upgrade(state, request, origin).await;
    }
    match *request.method() {
        Method::POST => {}
        Method::GET if state.openrpc.is_some() && discovery::wants_json(request.headers()) => {
            return json(StatusCode::OK, state.openrpc.clone().unwrap_or_default());
        }
        Method::GET if state.method_map.is_some() => {
            return json(StatusCode::OK, state.method_map.clone().unwrap_or_default());
        }
        _ => return not_allowed(state, request.method()),
    }
    if !is_json(request.headers().get(CONTENT_TYPE)) {
        return unsupported_type(request.headers().get(CONTENT_TYPE));
    }

    let (parts, body) = request.into_parts();
    let limit = state.config.max_body_size;
    // A declared length over the limit is refused before a byte is read.
    if body.size_hint().lower() > limit as u64 {
        return too_large(state, body.size_hint().lower());
    }
    let bytes = match read_body(body, limit, state.config.body_read_timeout).await {
        Ok(bytes) => bytes,
        Err(ReadError::TooLarge) => return too_large(state, limit as u64 + 1),
        Err(ReadError::TimedOut(limit)) => return body_timed_out(limit),
        Err(ReadError::Failed(error)) => return body_failed(&error),
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        tracing::debug!(target: TARGET, "body is not valid UTF-8");
        return json(StatusCode::OK, state.parse_error.clone());
    };

    let mut extensions = parts.extensions;
    // A `Connection: upgrade` on a POST leaves hyper's upgrade handle here:
    // it is not the handler's to keep.
    extensions.remove::<hyper::upgrade::OnUpgrade>();
    let mut context = Context::builder()
        .transport("http")
        .request_head(RequestHead {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            extensions,
        });
    if let Some(peer) = origin.peer {
        context = context.peer_addr(peer);
    }
    #[cfg(feature = "tls")]
    if let Some(tls) = origin.tls() {
        context = context.shared_tls(tls);
    }
    match state.router.handle(text, &context.build()).await {
        Some(reply) => json(StatusCode::OK, Bytes::from(reply)),
        None => {
            let mut response = Response::new(RpcBody::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
    }
}

/// Whether the content type is JSON: `application/json` or
/// `application/json-rpc`, any case, any parameters (`charset=...`).
fn is_json(value: Option<&HeaderValue>) -> bool {
    let Some(value) = value else {
        return false;
    };
    let bytes = value.as_bytes();
    let essence = match bytes.iter().position(|&b| b == b';') {
        Some(end) => &bytes[..end],
        None => bytes,
    }
    .trim_ascii();
    essence.eq_ignore_ascii_case(b"application/json")
        || essence.eq_ignore_ascii_case(b"application/json-rpc")
}

enum ReadError {
    TooLarge,
    TimedOut(Duration),
    Failed(BoxError),
}

/// Collects the whole body once, within the size limit and the time limit.
async fn read_body<B>(body: B, limit: usize, timeout: Option<Duration>) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let mut collect = std::pin::pin!(Limited::new(body, limit).collect());
    // Most bodies are already in when the head is: try once before arming
    // a timer, which costs more than the read.
    let first = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match (first, timeout) {
        (Poll::Ready(collected), _) => collected,
        (Poll::Pending, Some(timeout)) => tokio::time::timeout(timeout, collect)
            .await
            .map_err(|_| ReadError::TimedOut(timeout))?,
        (Poll::Pending, None) => collect.await,
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(ReadError::TooLarge),
        Err(error) => Err(ReadError::Failed(error)),
    }
}

fn json(status: StatusCode, body: Bytes) -> Response<RpcBody> {
    let mut response = Response::new(RpcBody::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    response
}

/// A refusal's JSON-RPC error response (id `null`), as the core writes it.
pub(crate) fn error_body(refusal: &Refusal) -> Bytes {
    Bytes::from(refusal.response())
}

/// A rejection: the HTTP status and a JSON-RPC error body that says why.
pub(crate) fn reject(status: StatusCode, refusal: &Refusal) -> Response<RpcBody> {
    json(status, error_body(refusal))
}

#[cold]
fn not_allowed(state: &HttpState, method: &Method) -> Response<RpcBody> {
    tracing::debug!(target: TARGET, %method, "method not allowed");
    let mut response = reject(StatusCode::METHOD_NOT_ALLOWED, &Refusal::MethodNotAllowed);
    response.headers_mut().insert(ALLOW, state.allow.clone());
    response
}

#[cold]
fn unsupported_type(content_type: Option<&HeaderValue>) -> Response<RpcBody> {
    tracing::debug!(target: TARGET, content_type = ?content_type, "unsupported content type");
    reject(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &Refusal::UnsupportedContentType,
    )
}

#[cold]
fn too_large(state: &HttpState, size_at_least: u64) -> Response<RpcBody> {
    tracing::debug!(target: TARGET, size_at_least, limit = state.config.max_body_size, "body too large");
    json(StatusCode::PAYLOAD_TOO_LARGE, state.too_large.clone())
}

#[cold]
fn body_timed_out(limit: Duration) -> Response<RpcBody> {
    tracing::debug!(target: TARGET, limit_ms = limit.as_millis(), "body read timed out");
    reject(StatusCode::REQUEST_TIMEOUT, &Refusal::BodyTimeout { limit })
}

#[cold]
fn body_failed(error: &BoxError) -> Response<RpcBody> {
    tracing::debug!(target: TARGET, %error, "body could not be read");
    reject(StatusCode::BAD_REQUEST, &Refusal::BodyUnreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let ok = [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=UTF-8",
            "application/json-rpc",
            " application/json ; charset=latin1",
        ];
        for value in ok {
            assert!(is_json(Some(&HeaderValue::from_static(value))), "{value}");
        }
        let refused = [
            "text/plain",
            "application/jsonx",
            "application/xml",
            "",
            "json",
        ];
        for value in refused {
            assert!(!is_json(Some(&HeaderValue::from_static(value))), "{value}");
        }
        assert!(!is_json(None));
    }

    #[test]
    fn error_bodies_are_json_rpc() {
        let body = error_body(&Refusal::TooLarge { limit: 7 });
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["error"]["code"], crate::protocol::codes::TOO_LARGE);
        assert_eq!(
            value["error"]["message"],
            "Request body too large: the limit is 7 bytes"
        );
        assert!(value["id"].is_null());
    }
}

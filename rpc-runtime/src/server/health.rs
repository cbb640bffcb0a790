//! Liveness and readiness answers for load balancers and orchestrators
//! (nginx, Kubernetes probes): `GET /health` is `200` while the server
//! serves; `GET /ready` is `200` until a drain or shutdown starts, or while
//! the application says it is not ready, then `503`.
//!
//! They are answered before anything else sees the request (the server's
//! tower layers, CORS, the WebSocket upgrade, the JSON-RPC pipeline and its
//! middleware), from bytes rendered once: a probe every second from every
//! balancer must cost next to nothing, and an auth layer must not turn a
//! probe away.

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};

use super::body::RpcBody;
use super::http::reject;
use crate::Refusal;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// A cached "ready" must not outlive the drain that ends it.
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const GET_HEAD: HeaderValue = HeaderValue::from_static("GET, HEAD");

const OK: &[u8] = br#"{"status":"ok"}"#;
const READY: &[u8] = br#"{"status":"ready"}"#;
const NOT_READY: &[u8] = br#"{"status":"not ready"}"#;
const DRAINING: &[u8] = br#"{"status":"draining"}"#;

/// The paths of the liveness and readiness endpoints
/// ([`ServerConfig::health`](super::ServerConfig::health)); default
/// `/health` and `/ready`.
///
/// A path is compared with the request's URI path exactly (the query
/// ignored); one given without a leading `/` gets one. If both are the same
/// path, it answers liveness.
///
/// ```
/// use rpc_runtime::server::HealthPaths;
/// let paths = HealthPaths::new("livez", "/readyz");
/// assert_eq!(paths.liveness, "/livez");
/// assert_eq!(paths.readiness, "/readyz");
/// assert_eq!(HealthPaths::default(), HealthPaths::new("/health", "/ready"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HealthPaths {
    /// Answers `200` `{"status":"ok"}` while the server serves.
    pub liveness: String,
    /// Answers `200` `{"status":"ready"}`, or `503` with
    /// `{"status":"draining"}` or `{"status":"not ready"}`.
    pub readiness: String,
}

impl HealthPaths {
    /// The endpoints at `liveness` and `readiness`.
    pub fn new(liveness: impl Into<String>, readiness: impl Into<String>) -> Self {
        Self {
            liveness: rooted(liveness.into()),
            readiness: rooted(readiness.into()),
        }
    }
}

impl Default for HealthPaths {
    fn default() -> Self {
        Self::new("/health", "/ready")
    }
}

/// `path` with a leading `/`, which every request path has.
fn rooted(path: String) -> String {
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// Whether the application is ready, and whether a drain has begun: what
/// the readiness endpoint answers. One per [`ServerHandle`](super::ServerHandle)
/// (shared with its connections), one per mounted service.
#[derive(Debug)]
pub(crate) struct Readiness {
    app: AtomicBool,
    draining: AtomicBool,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            app: AtomicBool::new(true),
            draining: AtomicBool::new(false),
        }
    }
}

impl Readiness {
    /// Sets what the application says about itself.
    pub(crate) fn set_app(&self, ready: bool) {
        self.app.store(ready, Ordering::Relaxed);
    }

    /// From now on the readiness endpoint answers `503`; for good.
    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// Whether the readiness endpoint answers `200`.
    pub(crate) fn is_ready(&self) -> bool {
        !self.is_draining() && self.app.load(Ordering::Relaxed)
    }

    fn answer(&self) -> (StatusCode, &'static [u8]) {
        if self.is_draining() {
            (StatusCode::SERVICE_UNAVAILABLE, DRAINING)
        } else if self.app.load(Ordering::Relaxed) {
            (StatusCode::OK, READY)
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, NOT_READY)
        }
    }
}

/// A server's health endpoints, ready to answer.
#[derive(Debug)]
pub(crate) struct Health {
    liveness: Box<str>,
    readiness: Box<str>,
}

impl Health {
    pub(crate) fn new(paths: &HealthPaths) -> Self {
        Self {
            liveness: paths.liveness.as_str().into(),
            readiness: paths.readiness.as_str().into(),
        }
    }

    /// The answer to `request` when it is for a health path; `None` for
    /// every other path, which goes on as usual.
    ///
    /// `GET` and `HEAD` are answered (`HEAD` with the headers alone); any
    /// other method is `405` with `Allow: GET, HEAD`: the
    /// paths are the probes', not the API's.
    pub(crate) fn answer<B>(
        &self,
        request: &Request<B>,
        readiness: &Readiness,
    ) -> Option<Response<RpcBody>> {
        let path = request.uri().path();
        let (status, body) = if path == &*self.liveness {
            (StatusCode::OK, OK)
        } else if path == &*self.readiness {
            readiness.answer()
        } else {
            return None;
        };
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return Some(not_allowed(request.method()));
        }
        // HTTP/1 leaves out the body of a `HEAD` answer by itself, HTTP/2
        // does not: it is left out here, its length kept in the header.
        let head = request.method() == Method::HEAD;
        let mut response = Response::new(if head {
            RpcBody::empty()
        } else {
            RpcBody::new(Bytes::from_static(body))
        });
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, JSON);
        headers.insert(CACHE_CONTROL, NO_STORE);
        if head {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        Some(response)
    }
}

#[cold]
fn not_allowed(method: &Method) -> Response<RpcBody> {
    tracing::debug!(target: "rpc_runtime::http", %method, "method not allowed on a health path");
    let mut response = reject(StatusCode::METHOD_NOT_ALLOWED, &Refusal::MethodNotAllowed);
    response.headers_mut().insert(ALLOW, GET_HEAD);
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http_body_util::BodyExt as _;

    fn ask(health: &Health, method: Method, path: &str, readiness: &Readiness) -> Option<String> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap();
        let response = health.answer(&request, readiness)?;
        let status = response.status().as_u16();
        let body = futures_executor::block_on(response.into_body().collect())
            .unwrap()
            .to_bytes();
        Some(format!("{status} {}", String::from_utf8_lossy(&body)))
    }

    #[test]
    fn answers_only_its_paths() {
        let health = Health::new(&HealthPaths::default());
        let readiness = Readiness::default();
        let get = |path| ask(&health, Method::GET, path, &readiness);
        assert_eq!(get("/health").unwrap(), r#"200 {"status":"ok"}"#);
        assert_eq!(get("/health?probe=1").unwrap(), r#"200 {"status":"ok"}"#);
        assert_eq!(get("/ready").unwrap(), r#"200 {"status":"ready"}"#);
        assert_eq!(get("/"), None);
        assert_eq!(get("/health/"), None);
        assert_eq!(get("/healthz"), None);
        let head = ask(&health, Method::HEAD, "/ready", &readiness).unwrap();
        assert_eq!(head, "200 ", "no body");
        let post = ask(&health, Method::POST, "/health", &readiness).unwrap();
        assert!(post.starts_with("405 "), "{post}");
    }

    #[test]
    fn readiness_follows_the_application_then_the_drain() {
        let health = Health::new(&HealthPaths::new("livez", "readyz"));
        let readiness = Readiness::default();
        let ready = || ask(&health, Method::GET, "/readyz", &readiness).unwrap();
        assert!(readiness.is_ready());
        readiness.set_app(false);
        assert_eq!(ready(), r#"503 {"status":"not ready"}"#);
        assert!(!readiness.is_ready());
        readiness.set_app(true);
        assert_eq!(ready(), r#"200 {"status":"ready"}"#);
        readiness.start_draining();
        assert_eq!(ready(), r#"503 {"status":"draining"}"#);
        readiness.set_app(true);
        assert!(!readiness.is_ready(), "a drain is for good");
        let live = ask(&health, Method::GET, "/livez", &readiness).unwrap();
        assert_eq!(live, r#"200 {"status":"ok"}"#);
    }

    #[test]
    fn one_path_for_both_answers_liveness() {
        let health = Health::new(&HealthPaths::new("/probe", "/probe"));
        let readiness = Readiness::default();
        readiness.start_draining();
        let answer = ask(&health, Method::GET, "/probe", &readiness).unwrap();
        assert_eq!(answer, r#"200 {"status":"ok"}"#);
    }
}

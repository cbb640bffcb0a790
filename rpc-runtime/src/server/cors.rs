//! Cross-origin requests from browsers (CORS): which web origins may call
//! the server, the answer to a preflight, and the headers that let a page
//! read a reply.
//!
//! CORS is not access control: a browser still sends a simple request from
//! any origin, and non-browser clients ignore it. It decides what a page may
//! *read*. The same origin list does guard the WebSocket upgrade, which
//! browsers send from any page with its `Origin` and never preflight: a page
//! of another origin is refused (`403`), so it cannot ride the user's
//! cookies into a connection (cross-site WebSocket hijacking).

use std::time::Duration;

use http::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, Method, Response, StatusCode};

use super::body::RpcBody;

/// Which web origins may call the server from a browser.
///
/// Off by default: no CORS headers are sent, and a preflight (`OPTIONS`)
/// is answered `405`, so browsers let only pages of the server's own origin
/// read replies. Turn it on with [`ServerBuilder::cors`](super::ServerBuilder::cors).
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::server::{Cors, Server};
/// use rpc_runtime::Router;
/// let server = Server::builder()
///     .cors(Cors::origins(["https://app.example.com"]).allow_credentials(true))
///     .build(Router::new());
/// assert!(server.config().cors.is_some());
/// let open = Cors::any_origin().max_age(Duration::from_secs(3600));
/// # let _ = open;
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Cors {
    /// `None`: any origin.
    origins: Option<Vec<HeaderValue>>,
    credentials: bool,
    max_age: HeaderValue,
}

impl Cors {
    /// Any origin may call and read replies (`Access-Control-Allow-Origin: *`,
    /// or the caller's origin when credentials are allowed).
    pub fn any_origin() -> Self {
        Self {
            origins: None,
            credentials: false,
            max_age: HeaderValue::from_static("600"),
        }
    }

    /// Only these origins (`scheme://host[:port]`, compared exactly as the
    /// browser sends them, e.g. `https://app.example.com`). Values that
    /// cannot be a header are skipped.
    pub fn origins<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = origins
            .into_iter()
            .filter_map(|o| HeaderValue::from_str(o.as_ref().trim_end_matches('/')).ok())
            .collect();
        Self {
            origins: Some(origins),
            ..Self::any_origin()
        }
    }

    /// Lets pages send cookies and HTTP authentication with their calls
    /// (`Access-Control-Allow-Credentials: true`); the reply then names the
    /// caller's origin rather than `*`. Default off.
    pub fn allow_credentials(mut self, on: bool) -> Self {
        self.credentials = on;
        self
    }

    /// How long a browser may cache a preflight's answer. Default 10 minutes.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = HeaderValue::from(max_age.as_secs());
        self
    }

    /// What to answer a request with these headers.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Verdict {
        let Some(origin) = headers.get(ORIGIN) else {
            return Verdict::NoOrigin;
        };
        let allowed = match &self.origins {
            None => true,
            Some(list) => list.iter().any(|o| o == origin),
        };
        if !allowed {
            return Verdict::Denied;
        }
        let allow_origin = if self.origins.is_none() && !self.credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        };
        Verdict::Allowed(allow_origin)
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`),
    /// `None` when the request is not one.
    pub(crate) fn preflight(
        &self,
        method: &Method,
        headers: &HeaderMap,
        verdict: &Verdict,
    ) -> Option<Response<RpcBody>> {
        if method != Method::OPTIONS {
            return None;
        }
        let requested = headers.get(ACCESS_CONTROL_REQUEST_METHOD)?;
        let mut response = Response::new(RpcBody::empty());
        let Verdict::Allowed(allow_origin) = verdict else {
            tracing::debug!(target: "rpc_runtime::http", origin = ?headers.get(ORIGIN), "CORS preflight from an origin not allowed");
            *response.status_mut() = StatusCode::FORBIDDEN;
            return Some(response);
        };
        if requested != "POST" && requested != "GET" {
            *response.status_mut() = StatusCode::FORBIDDEN;
            return Some(response);
        }
        *response.status_mut() = StatusCode::NO_CONTENT;
        let out = response.headers_mut();
        self.allow(out, allow_origin);
        out.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET"),
        );
        // Any request header may be sent (`Authorization`, custom ones): a
        // handler reads them from its context.
        if let Some(requested) = headers.get(ACCESS_CONTROL_REQUEST_HEADERS) {
            out.insert(ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
            out.append(
                VARY,
                HeaderValue::from_static("Access-Control-Request-Headers"),
            );
        }
        out.insert(ACCESS_CONTROL_MAX_AGE, self.max_age.clone());
        Some(response)
    }

    /// Lets the page read `response`, when its origin is allowed.
    pub(crate) fn decorate(&self, response: &mut Response<RpcBody>, verdict: &Verdict) {
        if let Verdict::Allowed(allow_origin) = verdict {
            self.allow(response.headers_mut(), allow_origin);
        }
    }

    fn allow(&self, out: &mut HeaderMap, allow_origin: &HeaderValue) {
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin.clone());
        if allow_origin != "*" {
            // The answer depends on the caller's origin: caches must know.
            out.append(VARY, HeaderValue::from_static(ORIGIN_NAME));
        }
        if self.credentials {
            out.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

const ORIGIN_NAME: &str = "Origin";

/// What the origin of a request is allowed.
pub(crate) enum Verdict {
    /// No `Origin` header: not a cross-origin browser request.
    NoOrigin,
    /// Allowed; the value for `Access-Control-Allow-Origin`.
    Allowed(HeaderValue),
    /// An origin not on the list.
    Denied,
}

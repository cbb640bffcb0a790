//! Cross-origin requests from browsers (CORS): which web origins may call
//! the server, the answer to a preflight, and the headers that let a page
//! read a reply. The headers are tower-http's [`CorsLayer`]'s; this module
//! maps the server's [`Cors`] policy onto it.
//!
//! CORS is not access control: a browser still sends a simple request from
//! any origin, and non-browser clients ignore it. It decides what a page may
//! *read*. The same origin list does guard the WebSocket upgrade, which
//! browsers send from any page with its `Origin` and never preflight: a page
//! of another origin is refused (`403`), so it cannot ride the user's
//! cookies into a connection (cross-site WebSocket hijacking).

use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderValue, ORIGIN};
use http::{HeaderMap, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// Which web origins may call the server from a browser.
///
/// Off by default: no CORS headers are sent, and a preflight (`OPTIONS`)
/// is answered `405`, so browsers let only pages of the server's own origin
/// read replies. Turn it on with [`ServerBuilder::cors`](super::ServerBuilder::cors).
///
/// The headers are tower-http's `CorsLayer`'s, set up from this policy:
/// methods `POST, GET`, any request header the preflight asks for, the
/// origins below, credentials and max age as set. A preflight is answered
/// `200`; from an origin (or for a method) the policy does not allow, it
/// simply lacks the `Access-Control-Allow-*` header that would let the
/// browser go on. A WebSocket upgrade from an origin not allowed is refused
/// with `403`.
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
    origins: Option<Arc<[HeaderValue]>>,
    credentials: bool,
    max_age: Duration,
}

impl Cors {
    /// Any origin may call and read replies (`Access-Control-Allow-Origin: *`,
    /// or the caller's origin when credentials are allowed).
    pub fn any_origin() -> Self {
        Self {
            origins: None,
            credentials: false,
            max_age: Duration::from_secs(600),
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
        self.max_age = max_age;
        self
    }

    /// Whether a request with these headers comes from an origin the policy
    /// allows (a request without `Origin` is not a cross-origin one).
    pub(crate) fn allows(&self, headers: &HeaderMap) -> bool {
        match (headers.get(ORIGIN), &self.origins) {
            (None, _) | (_, None) => true,
            (Some(origin), Some(list)) => list.contains(origin),
        }
    }

    /// The policy as tower-http's layer. Never a combination that layer
    /// refuses (credentials with a wildcard): with credentials, "any
    /// origin" mirrors the caller's.
    pub(crate) fn to_layer(&self) -> CorsLayer {
        let origin = match &self.origins {
            None if self.credentials => AllowOrigin::mirror_request(),
            None => AllowOrigin::any(),
            Some(list) => {
                // A predicate, not `AllowOrigin::list`: cloning it is one
                // reference count, and a `*` in the list is just a value
                // that never matches rather than a panic.
                let list = Arc::clone(list);
                AllowOrigin::predicate(move |origin, _| list.contains(origin))
            }
        };
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::POST, Method::GET])
            // Any request header may be sent (`Authorization`, custom ones):
            // a handler reads them from its context.
            .allow_headers(AllowHeaders::mirror_request())
            .allow_credentials(self.credentials)
            .max_age(self.max_age)
    }
}

//! The API explorer: one self-contained HTML page (`explorer.html`, inline
//! CSS and script, nothing fetched from anywhere but this server) that
//! reads `rpc.discover` and calls the API from a browser.
//!
//! When [`ServerBuilder::explorer`](super::ServerBuilder::explorer) turns it
//! on, it answers `GET`/`HEAD` on its path, and a `GET /` whose `Accept`
//! names `text/html` but not `application/json` (a browser's navigation;
//! the OpenRPC `GET` keeps its answer). WebSocket upgrades and every other
//! request go on as before.
//!
//! Like the health endpoints it is answered before the server's layers: a
//! browser's navigation cannot carry an `Authorization` header, the page
//! holds no data of the API's, and every call it makes is an ordinary
//! JSON-RPC request that meets the layers like any other.

use bytes::Bytes;
use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};

use super::body::RpcBody;
use super::{discovery, ws};

/// The page, compiled into the binary so it is there offline.
const PAGE: &str = include_str!("explorer.html");

const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
/// Nothing but this origin: no script, style, font or image from elsewhere,
/// no frame around it, connections (fetch, WebSocket) only to this server
/// (CSP 3 lets `'self'` match `ws:`/`wss:` on the same host). The page's
/// own inline `<script>` and `<style>` need `'unsafe-inline'`: a hash would
/// have to be kept in step with every edit of the page, and the page never
/// turns text from the server into markup (it builds nodes and sets
/// `textContent`), so there is nothing for an injected script to ride on.
/// This policy is sent with this page only.
const CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
     connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'",
);
/// Cached, but checked with the server each time (the `ETag`), so a new
/// build's page is seen at once.
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_REFERRER: HeaderValue = HeaderValue::from_static("no-referrer");

/// The explorer of one server, ready to answer.
#[derive(Debug)]
pub(crate) struct Explorer {
    path: Box<str>,
    etag: HeaderValue,
}

impl Explorer {
    /// The explorer at `path` (a leading `/` added when missing).
    pub(crate) fn new(path: &str) -> Self {
        let path = if path.starts_with('/') {
            path.into()
        } else {
            format!("/{path}").into()
        };
        let etag = HeaderValue::try_from(format!("\"{:016x}\"", fnv1a(PAGE.as_bytes())))
            .unwrap_or(HeaderValue::from_static("\"explorer\""));
        Self { path, etag }
    }

    /// The page, when `request` is for it; `None` for every other request,
    /// which goes on as usual.
    pub(crate) fn answer<B>(&self, request: &Request<B>) -> Option<Response<RpcBody>> {
        if !self.wants_page(request) {
            return None;
        }
        let head = request.method() == Method::HEAD;
        let fresh = request
            .headers()
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|tag| tag.trim() == "*" || tag.trim().as_bytes() == self.etag.as_bytes());
        let mut response = if fresh {
            let mut response = Response::new(RpcBody::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else if head {
            // HTTP/2 does not drop a `HEAD` answer's body by itself.
            let mut response = Response::new(RpcBody::empty());
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(PAGE.len()));
            response
        } else {
            Response::new(RpcBody::new(Bytes::from_static(PAGE.as_bytes())))
        };
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HTML);
        headers.insert(CONTENT_SECURITY_POLICY, CSP);
        headers.insert(CACHE_CONTROL, NO_CACHE);
        headers.insert(ETAG, self.etag.clone());
        headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        headers.insert(REFERRER_POLICY, NO_REFERRER);
        Some(response)
    }

    /// Whether `request` asks for the page: `GET`/`HEAD` on its path, or a
    /// browser's `GET /`; never a WebSocket upgrade.
    fn wants_page<B>(&self, request: &Request<B>) -> bool {
        if !matches!(*request.method(), Method::GET | Method::HEAD) || ws::is_upgrade(request) {
            return false;
        }
        let path = request.uri().path();
        path == &*self.path || (path == "/" && wants_html(request.headers()))
    }
}

/// Whether an `Accept` header lists `text/html` (with a non-zero `q`) and
/// not `application/json`, which asks for the OpenRPC document.
fn wants_html(headers: &HeaderMap) -> bool {
    !discovery::wants_json(headers) && discovery::accepts(headers, "text/html")
}

/// FNV-1a, 64 bits: a page's `ETag` that stays the same from one run to the
/// next (std's hasher is free to change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::header::ACCEPT;

    fn status(explorer: &Explorer, method: Method, path: &str, accept: Option<&str>) -> u16 {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let request = request.body(()).unwrap();
        explorer
            .answer(&request)
            .map_or(0, |response| response.status().as_u16())
    }

    #[test]
    fn answers_its_path_and_a_browsers_root() {
        let explorer = Explorer::new("explorer");
        let browser = Some("text/html,application/xhtml+xml,*/*;q=0.8");
        assert_eq!(status(&explorer, Method::GET, "/explorer", None), 200);
        assert_eq!(status(&explorer, Method::HEAD, "/explorer", None), 200);
        assert_eq!(status(&explorer, Method::GET, "/", browser), 200);
        assert_eq!(status(&explorer, Method::GET, "/", None), 0);
        assert_eq!(status(&explorer, Method::GET, "/", Some("*/*")), 0);
        assert_eq!(
            status(&explorer, Method::GET, "/", Some("text/html;q=0")),
            0
        );
        let both = Some("text/html, application/json");
        assert_eq!(status(&explorer, Method::GET, "/", both), 0, "JSON wins");
        assert_eq!(status(&explorer, Method::POST, "/explorer", browser), 0);
        assert_eq!(status(&explorer, Method::GET, "/other", browser), 0);
    }

    #[test]
    fn a_matching_etag_is_not_modified() {
        let explorer = Explorer::new("/explorer");
        let request = Request::builder()
            .uri("/explorer")
            .header(IF_NONE_MATCH, explorer.etag.clone())
            .body(())
            .unwrap();
        let response = explorer.answer(&request).unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

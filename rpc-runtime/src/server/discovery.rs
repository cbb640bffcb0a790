//! The OpenRPC document on the HTTP endpoint: `rpc.discover` registered
//! when the server is built, and a `GET` that asks for JSON.
//!
//! | `GET` with                          | discovery on | discovery off |
//! |-------------------------------------|--------------|---------------|
//! | `Accept` naming `application/json`  | the document | method map if on, else `405` |
//! | any other or no `Accept`            | method map if on, else `405` | the same |
//!
//! `Accept: */*` (curl's default, browsers') does not count as asking for
//! JSON, so a plain `GET` keeps giving the method map where it is on.

use bytes::Bytes;
use http::HeaderMap;

use super::config::ServerConfig;
use crate::Router;

/// Registers `rpc.discover` on `router` and returns the document's text for
/// `GET`; `None` when discovery is off (or compiled out).
#[cfg(feature = "openrpc")]
pub(super) fn install(router: &mut Router, config: &ServerConfig) -> Option<Bytes> {
    if !config.discover {
        return None;
    }
    match router.install_discovery(&config.openrpc) {
        Ok(text) => Some(Bytes::copy_from_slice(text.as_bytes())),
        Err(error) => {
            // The router brought its own `rpc.discover`: it answers calls,
            // and `GET` gets the document the router would have served.
            tracing::warn!(target: "rpc_runtime::http", %error, "rpc.discover not registered");
            let text = crate::openrpc::render_document(router, &config.openrpc);
            Some(Bytes::from(text))
        }
    }
}

#[cfg(not(feature = "openrpc"))]
pub(super) fn install(_router: &mut Router, _config: &ServerConfig) -> Option<Bytes> {
    None
}

/// Whether an `Accept` header lists `application/json` (any case, any
/// parameters, with a non-zero `q`).
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    accepts(headers, "application/json")
}

/// Whether an `Accept` header lists `media_type` (any case, any
/// parameters, with a non-zero `q`).
pub(super) fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get_all(http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or("").trim();
            essence.eq_ignore_ascii_case(media_type)
                && !parts.any(|param| {
                    let mut kv = param.splitn(2, '=');
                    kv.next()
                        .is_some_and(|k| k.trim().eq_ignore_ascii_case("q"))
                        && kv
                            .next()
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q <= 0.0)
                })
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn accepts(values: &[&'static str]) -> bool {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(http::header::ACCEPT, HeaderValue::from_static(value));
        }
        wants_json(&headers)
    }

    #[test]
    fn only_an_explicit_json_range_asks_for_the_document() {
        assert!(accepts(&["application/json"]));
        assert!(accepts(&["Application/JSON; charset=utf-8"]));
        assert!(accepts(&["text/html, application/json;q=0.9"]));
        assert!(accepts(&["text/html", "application/json"]));
        assert!(!accepts(&["application/json;q=0"]));
        assert!(!accepts(&["*/*"]));
        assert!(!accepts(&["text/html,application/xhtml+xml,*/*;q=0.8"]));
        assert!(!accepts(&["application/jsonx"]));
        assert!(!accepts(&[]));
    }
}

//! Wire logging under the stable target [`TARGET`]: one event per request
//! and one per response. Headers at `debug` with credentials redacted;
//! bodies only when `trace` is on.

use std::fmt;
use std::time::Duration;

use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use http::{HeaderMap, StatusCode, Uri};
use tracing::Level;

/// The `tracing` target of the HTTP client's wire events.
pub const TARGET: &str = "rpc_client::http";

/// Headers for a log line, with credentials shown as `<redacted>`.
pub(crate) struct Redacted<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            let secret = value.is_sensitive()
                || name == AUTHORIZATION
                || name == PROXY_AUTHORIZATION
                || name == COOKIE;
            if secret {
                map.entry(&name.as_str(), &"<redacted>");
            } else {
                map.entry(&name.as_str(), &String::from_utf8_lossy(value.as_bytes()));
            }
        }
        map.finish()
    }
}

/// Logs an outgoing request; `what` names the method(s).
pub(crate) fn request(endpoint: &Uri, what: &str, headers: &HeaderMap, body: &str) {
    if tracing::enabled!(target: TARGET, Level::TRACE) {
        tracing::trace!(target: TARGET, %endpoint, method = what, headers = ?Redacted(headers), body = %body, "request");
    } else {
        tracing::debug!(target: TARGET, %endpoint, method = what, headers = ?Redacted(headers), "request");
    }
}

/// Logs a response and how long the exchange took.
pub(crate) fn response(
    endpoint: &Uri,
    status: StatusCode,
    headers: &HeaderMap,
    elapsed: Duration,
    body: &str,
) {
    let status = status.as_u16();
    if tracing::enabled!(target: TARGET, Level::TRACE) {
        tracing::trace!(target: TARGET, %endpoint, status, ?elapsed, headers = ?Redacted(headers), body = %body, "response");
    } else {
        tracing::debug!(target: TARGET, %endpoint, status, ?elapsed, headers = ?Redacted(headers), "response");
    }
}

/// Logs an exchange that failed before a response was read.
pub(crate) fn failure(endpoint: &Uri, elapsed: Duration, error: &dyn fmt::Display) {
    tracing::debug!(target: TARGET, %endpoint, ?elapsed, %error, "request failed");
}

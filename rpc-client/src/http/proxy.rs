//! Which way the HTTP client reaches its endpoint: directly, or through an
//! HTTP proxy (from `HTTP_PROXY` / `HTTPS_PROXY` / `ALL_PROXY` and
//! `NO_PROXY`, upper or lower case, as curl reads them; or the one given to
//! [`HttpClientBuilder::proxy`](super::HttpClientBuilder::proxy)).
//!
//! The client has one endpoint, so the way is decided once, when it is
//! built: `http://` through a proxy sends each request to the proxy in
//! absolute form (`POST http://host/path`); `https://` opens a `CONNECT`
//! tunnel and speaks TLS to the endpoint inside it, so the proxy sees no
//! plaintext.

use http::{HeaderValue, Uri};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};

use crate::error::BuildError;

/// What the builder was told about proxies.
#[derive(Clone, Debug, Default)]
pub(crate) enum ProxySetting {
    /// Read the environment when the client is built (the default).
    #[default]
    Env,
    /// Never use a proxy.
    None,
    /// Always use this proxy (`NO_PROXY` does not apply).
    Url(String),
}

/// The way to the endpoint.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    /// Straight to the endpoint.
    Direct,
    /// `http://` through a proxy: connect to it, requests in absolute form.
    Forward {
        /// The proxy's `http://host:port`.
        proxy: Uri,
        /// `Proxy-Authorization`, from the proxy URL's user and password.
        auth: Option<HeaderValue>,
    },
    /// `https://` through a proxy: a `CONNECT` tunnel, TLS inside it.
    Tunnel {
        /// The proxy's `http://host:port`.
        proxy: Uri,
        /// `Proxy-Authorization` for the `CONNECT` request.
        auth: Option<HeaderValue>,
    },
}

impl Route {
    /// The proxy this route goes through, if any.
    pub(crate) fn proxy(&self) -> Option<&Uri> {
        match self {
            Route::Direct => None,
            Route::Forward { proxy, .. } | Route::Tunnel { proxy, .. } => Some(proxy),
        }
    }
}

impl ProxySetting {
    /// The route to `endpoint`.
    ///
    /// # Errors
    /// An explicit proxy URL that is not `http://host[:port]`. A proxy from
    /// the environment that cannot be used (`socks5://`, `https://`) is
    /// logged and the endpoint reached directly: the environment may be set
    /// for other programs.
    pub(crate) fn route(&self, endpoint: &Uri) -> Result<Route, BuildError> {
        let (intercept, explicit) = match self {
            ProxySetting::None => return Ok(Route::Direct),
            ProxySetting::Env => (Matcher::from_env().intercept(endpoint), None),
            ProxySetting::Url(url) => {
                let invalid = |reason: &str| BuildError::InvalidProxy {
                    url: url.clone(),
                    reason: reason.to_owned(),
                };
                let uri: Uri = url.parse().map_err(|e| invalid(&format!("{e}")))?;
                if uri.host().is_none() {
                    return Err(invalid("no host"));
                }
                let matcher = Matcher::builder().all(url.as_str()).build();
                let intercept = matcher
                    .intercept(endpoint)
                    .ok_or_else(|| invalid("not an http:// proxy URL"))?;
                (Some(intercept), Some(url))
            }
        };
        let Some(intercept) = intercept else {
            return Ok(Route::Direct);
        };
        let proxy = intercept.uri().clone();
        if proxy.scheme_str() != Some("http") {
            let reason = "only http:// proxies are supported (not https:// or socks)";
            if let Some(url) = explicit {
                return Err(BuildError::InvalidProxy {
                    url: url.clone(),
                    reason: reason.to_owned(),
                });
            }
            tracing::warn!(target: super::LOG_TARGET, %proxy, "ignoring the proxy from the environment: {reason}");
            return Ok(Route::Direct);
        }
        let auth = auth(&intercept);
        Ok(if endpoint.scheme_str() == Some("https") {
            Route::Tunnel { proxy, auth }
        } else {
            Route::Forward { proxy, auth }
        })
    }
}

fn auth(intercept: &Intercept) -> Option<HeaderValue> {
    intercept.basic_auth().cloned().map(|mut value| {
        value.set_sensitive(true);
        value
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn an_explicit_proxy_forwards_http_and_tunnels_https() {
        let setting = ProxySetting::Url("http://user:pw@127.0.0.1:3128".into());
        let http = setting.route(&uri("http://example.com/rpc")).unwrap();
        assert!(matches!(&http, Route::Forward { auth: Some(_), .. }));
        assert_eq!(http.proxy().unwrap().port_u16(), Some(3128));
        let https = setting.route(&uri("https://example.com/rpc")).unwrap();
        assert!(matches!(https, Route::Tunnel { .. }));
    }

    #[test]
    fn unusable_explicit_proxies_are_build_errors() {
        for bad in [
            "socks5://127.0.0.1:1080",
            "https://127.0.0.1:3128",
            "http://",
            "::",
        ] {
            let route = ProxySetting::Url(bad.into()).route(&uri("http://example.com"));
            assert!(
                matches!(route, Err(BuildError::InvalidProxy { .. })),
                "{bad}: {route:?}"
            );
        }
    }

    #[test]
    fn no_proxy_is_direct() {
        let route = ProxySetting::None
            .route(&uri("https://example.com"))
            .unwrap();
        assert!(route.proxy().is_none());
    }
}

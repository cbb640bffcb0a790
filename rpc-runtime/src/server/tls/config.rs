//! The server's TLS settings: a `rustls::ServerConfig` behind a lock, so
//! that a new certificate can replace it while the server runs.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// The ALPN protocols offered when the user's config names none: HTTP/2
/// first, so clients that speak it use it.
const DEFAULT_ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The TLS configuration of a [`Server`](crate::server::Server): the
/// certificate, the key, the client-certificate verifier (for mutual TLS)
/// and the ALPN protocols, as a [`rustls::ServerConfig`] the application
/// builds with the crypto provider it chooses (`ring` or `aws-lc-rs`).
///
/// Clones share one configuration: [`reload`](Self::reload) on any clone
/// (or [`ServerHandle::reload_tls`](crate::server::ServerHandle::reload_tls))
/// replaces it for the connections accepted afterwards; connections already
/// open keep the session they negotiated. Nothing restarts and nothing is
/// dropped.
///
/// A config whose `alpn_protocols` is empty is given `h2` and `http/1.1`,
/// so HTTP/2 is agreed on with clients that offer it; set them yourself to
/// choose (`vec![b"http/1.1".to_vec()]` keeps HTTP/1.1 only).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use rpc_runtime::server::TlsConfig;
/// use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
///
/// fn server_config(host: &str) -> Result<rustls::ServerConfig, Box<dyn std::error::Error>> {
///     let issued = rcgen::generate_simple_self_signed(vec![host.to_owned()])?;
///     let key = PrivatePkcs8KeyDer::from(issued.signing_key.serialize_der());
///     let provider = Arc::new(rustls::crypto::ring::default_provider());
///     Ok(rustls::ServerConfig::builder_with_provider(provider)
///         .with_safe_default_protocol_versions()?
///         .with_no_client_auth()
///         .with_single_cert(vec![issued.cert.der().clone()], PrivateKeyDer::Pkcs8(key))?)
/// }
///
/// let tls = TlsConfig::new(server_config("localhost")?);
/// assert_eq!(tls.current().alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
///
/// // Later, with a renewed certificate: new connections get it.
/// let before = tls.current();
/// tls.clone().reload(server_config("localhost")?);
/// assert!(!Arc::ptr_eq(&before, &tls.current()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    current: Arc<RwLock<Arc<rustls::ServerConfig>>>,
}

impl TlsConfig {
    /// Serves with `config` (its ALPN protocols set to `h2` and `http/1.1`
    /// when it has none).
    #[must_use]
    pub fn new(config: impl Into<Arc<rustls::ServerConfig>>) -> Self {
        Self {
            current: Arc::new(RwLock::new(with_alpn(config.into()))),
        }
    }

    /// Replaces the configuration for every connection accepted from now
    /// on, on every listener that serves with a clone of this one; open
    /// connections are not touched. The same ALPN default applies.
    pub fn reload(&self, config: impl Into<Arc<rustls::ServerConfig>>) {
        let config = with_alpn(config.into());
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        tracing::info!(target: "rpc_runtime::tls", "TLS configuration reloaded");
    }

    /// The configuration a connection accepted now would get.
    #[must_use]
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl From<rustls::ServerConfig> for TlsConfig {
    fn from(config: rustls::ServerConfig) -> Self {
        Self::new(config)
    }
}

impl From<Arc<rustls::ServerConfig>> for TlsConfig {
    fn from(config: Arc<rustls::ServerConfig>) -> Self {
        Self::new(config)
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The whole rustls config would print its key material's type
        // names and every suite; the protocols are what tells servers apart.
        let current = self.current();
        let alpn: Vec<_> = current
            .alpn_protocols
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        f.debug_struct("TlsConfig")
            .field("alpn_protocols", &alpn)
            .finish_non_exhaustive()
    }
}

/// `config`, with the default ALPN protocols when it names none.
fn with_alpn(config: Arc<rustls::ServerConfig>) -> Arc<rustls::ServerConfig> {
    if !config.alpn_protocols.is_empty() {
        return config;
    }
    let mut config = Arc::unwrap_or_clone(config);
    config.alpn_protocols = DEFAULT_ALPN.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

//! The rustls configuration behind `https://` and `wss://` URLs, shared by
//! both clients: the trusted roots (webpki-roots, the OS store, the user's
//! own), a client certificate, the crypto provider, or a whole
//! [`ClientConfig`] the user made.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::error::BuildError;

/// What the builder collected about TLS; turned into a [`ClientConfig`] by
/// [`TlsOptions::client_config`].
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    /// Trust the `webpki-roots` (Mozilla) root certificates.
    pub(crate) built_in_roots: bool,
    /// Trust the operating system's certificate store.
    pub(crate) native_roots: bool,
    /// Extra trusted roots, each PEM (one or more certificates) or DER.
    pub(crate) extra_roots: Vec<Vec<u8>>,
    /// A client certificate chain and its private key, both PEM.
    pub(crate) client_auth: Option<(Vec<u8>, Vec<u8>)>,
    /// The user's own configuration, used instead of building one.
    pub(crate) config: Option<Arc<ClientConfig>>,
    /// The provider to build with, instead of the default choice.
    pub(crate) provider: Option<Arc<CryptoProvider>>,
    /// The configuration once built: a reconnecting WebSocket client
    /// would otherwise read the OS store again on every attempt.
    built: Arc<OnceLock<Arc<ClientConfig>>>,
}

// Derivable only when the `webpki-roots` feature is off.
#[allow(clippy::derivable_impls)]
impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            built_in_roots: cfg!(feature = "webpki-roots"),
            native_roots: false,
            extra_roots: Vec::new(),
            client_auth: None,
            config: None,
            provider: None,
            built: Arc::new(OnceLock::new()),
        }
    }
}

impl TlsOptions {
    /// Forgets a configuration built earlier: a setter changed the options.
    pub(crate) fn changed(&mut self) -> &mut Self {
        self.built = Arc::new(OnceLock::new());
        self
    }

    /// The user's configuration if one was given, else one built from the
    /// options (once; later calls share it).
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, BuildError> {
        if let Some(config) = &self.config {
            return Ok(Arc::clone(config));
        }
        if let Some(config) = self.built.get() {
            return Ok(Arc::clone(config));
        }
        let config = Arc::new(self.build()?);
        Ok(Arc::clone(self.built.get_or_init(|| config)))
    }

    fn build(&self) -> Result<ClientConfig, BuildError> {
        let roots = self.roots()?;
        let provider = match &self.provider {
            Some(provider) => Arc::clone(provider),
            None => provider()?,
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| BuildError::Tls(Box::new(e)))?
            .with_root_certificates(roots);
        match &self.client_auth {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => {
                let chain = certificates(chain)?;
                let key = PrivateKeyDer::from_pem_slice(key)
                    .map_err(|e| BuildError::Certificate(format!("client key: {e}")))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| BuildError::Certificate(format!("client certificate: {e}")))
            }
        }
    }

    fn roots(&self) -> Result<RootCertStore, BuildError> {
        let mut roots = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        if self.built_in_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        #[cfg(not(feature = "webpki-roots"))]
        if self.built_in_roots {
            tracing::warn!(
                target: "rpc_client",
                "built-in roots asked for, but rpc-client was built without its `webpki-roots` feature"
            );
        }
        #[cfg(feature = "native-roots")]
        if self.native_roots {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                // One unreadable file in a certificate directory should not
                // cost the others; the log says which.
                tracing::warn!(target: "rpc_client", %error, "skipping part of the OS certificate store");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!(target: "rpc_client", added, ignored, "OS certificate store read");
            if added == 0 {
                return Err(BuildError::Certificate(
                    "the operating system's certificate store has no usable root".to_owned(),
                ));
            }
        }
        #[cfg(not(feature = "native-roots"))]
        if self.native_roots {
            tracing::warn!(
                target: "rpc_client",
                "OS roots asked for, but rpc-client was built without its `native-roots` feature"
            );
        }
        for bytes in &self.extra_roots {
            for cert in certificates(bytes)? {
                roots
                    .add(cert)
                    .map_err(|e| BuildError::Certificate(format!("root certificate: {e}")))?;
            }
        }
        Ok(roots)
    }
}

/// The crypto provider when the user named none: the process default if
/// one is installed (the user's choice wins over our features), else
/// `aws-lc-rs` with that feature, else `ring` with that one, else none.
pub(crate) fn provider() -> Result<Arc<CryptoProvider>, BuildError> {
    if let Some(installed) = CryptoProvider::get_default() {
        return Ok(Arc::clone(installed));
    }
    #[cfg(feature = "aws-lc-rs")]
    {
        Ok(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
    }
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    {
        Ok(Arc::new(rustls::crypto::ring::default_provider()))
    }
    #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
    {
        Err(BuildError::NoCryptoProvider)
    }
}

/// Reads certificates from PEM text (all of its `CERTIFICATE` sections) or,
/// when the bytes are not PEM, as one DER certificate.
fn certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    if !bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(vec![CertificateDer::from(bytes.to_vec())]);
    }
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BuildError::Certificate(format!("PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(BuildError::Certificate(
            "no CERTIFICATE section in the PEM text".to_owned(),
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_without_certificates_is_refused() {
        let err = certificates(b"-----BEGIN NOTHING-----\n-----END NOTHING-----\n");
        assert!(matches!(err, Err(BuildError::Certificate(_))));
    }

    #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
    #[test]
    fn garbage_der_is_refused_as_a_root() {
        let options = TlsOptions {
            built_in_roots: false,
            extra_roots: vec![b"not a certificate".to_vec()],
            ..TlsOptions::default()
        };
        assert!(matches!(
            options.client_config(),
            Err(BuildError::Certificate(_))
        ));
    }

    #[cfg(any(feature = "ring", feature = "aws-lc-rs"))]
    #[test]
    fn a_built_configuration_is_shared_until_an_option_changes() {
        let mut options = TlsOptions::default();
        let first = options.client_config().ok();
        let again = options.client_config().ok();
        assert!(matches!((&first, &again), (Some(a), Some(b)) if Arc::ptr_eq(a, b)));
        options.changed().built_in_roots = false;
        let rebuilt = options.client_config().ok();
        assert!(matches!((&first, &rebuilt), (Some(a), Some(b)) if !Arc::ptr_eq(a, b)));
    }

    /// Without a provider feature and with none installed, building says
    /// so (run with `--no-default-features --features tls`).
    #[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
    #[test]
    fn no_provider_is_a_clear_build_error() {
        let options = TlsOptions::default();
        assert!(matches!(
            options.client_config(),
            Err(BuildError::NoCryptoProvider)
        ));
    }

    #[cfg(feature = "native-roots")]
    #[test]
    fn the_os_store_gives_roots() {
        let options = TlsOptions {
            built_in_roots: false,
            native_roots: true,
            ..TlsOptions::default()
        };
        // This machine's store (Debian's ca-certificates) is not empty.
        let config = options.client_config();
        assert!(config.is_ok() || matches!(config, Err(BuildError::NoCryptoProvider)));
    }
}

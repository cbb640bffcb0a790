//! The rustls configuration behind `wss://` URLs (ring provider only).

use std::sync::Arc;

use rpc_runtime::client::ClientError;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Which roots a `wss://` connection trusts.
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    /// Trust the `webpki-roots` (Mozilla) root certificates.
    pub(crate) built_in_roots: bool,
    /// Extra trusted roots, each PEM (one or more certificates) or DER.
    pub(crate) extra_roots: Vec<Vec<u8>>,
}

// Derivable only when the `webpki-roots` feature is off.
#[allow(clippy::derivable_impls)]
impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            built_in_roots: cfg!(feature = "webpki-roots"),
            extra_roots: Vec::new(),
        }
    }
}

impl TlsOptions {
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>, ClientError> {
        let mut roots = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        if self.built_in_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        #[cfg(not(feature = "webpki-roots"))]
        if self.built_in_roots {
            tracing::warn!(
                target: "rpc_client::ws",
                "built-in roots asked for, but rpc-client was built without its `webpki-roots` feature"
            );
        }
        for bytes in &self.extra_roots {
            for cert in certificates(bytes)? {
                roots
                    .add(cert)
                    .map_err(|e| tls_error(format!("root certificate: {e}")))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Transport(Box::new(e)))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

fn tls_error(message: String) -> ClientError {
    ClientError::Transport(message.into())
}

/// Reads certificates from PEM text (all of its `CERTIFICATE` sections) or,
/// when the bytes are not PEM, as one DER certificate.
fn certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    if !bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        return Ok(vec![CertificateDer::from(bytes.to_vec())]);
    }
    CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("certificate PEM: {e}")))
}

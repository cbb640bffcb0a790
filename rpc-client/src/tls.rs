//! The rustls configuration behind `https://` and `wss://` URLs (ring
//! provider only), shared by both clients.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::http::BuildError;

/// What the builder collected about TLS; turned into a [`ClientConfig`] by
/// [`TlsOptions::client_config`].
#[derive(Clone, Debug)]
pub(crate) struct TlsOptions {
    /// Trust the `webpki-roots` (Mozilla) root certificates.
    pub(crate) built_in_roots: bool,
    /// Extra trusted roots, each PEM (one or more certificates) or DER.
    pub(crate) extra_roots: Vec<Vec<u8>>,
    /// A client certificate chain and its private key, both PEM.
    pub(crate) client_auth: Option<(Vec<u8>, Vec<u8>)>,
}

// Derivable only when the `webpki-roots` feature is off.
#[allow(clippy::derivable_impls)]
impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            built_in_roots: cfg!(feature = "webpki-roots"),
            extra_roots: Vec::new(),
            client_auth: None,
        }
    }
}

impl TlsOptions {
    pub(crate) fn client_config(&self) -> Result<ClientConfig, BuildError> {
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
        for bytes in &self.extra_roots {
            for cert in certificates(bytes)? {
                roots
                    .add(cert)
                    .map_err(|e| BuildError::Certificate(format!("root certificate: {e}")))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
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

    #[test]
    fn garbage_der_is_refused_as_a_root() {
        let options = TlsOptions {
            built_in_roots: false,
            extra_roots: vec![b"not a certificate".to_vec()],
            client_auth: None,
        };
        assert!(matches!(
            options.client_config(),
            Err(BuildError::Certificate(_))
        ));
    }
}

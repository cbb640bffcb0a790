//! TLS on the server's own port (feature `tls`): HTTPS (HTTP/1.1, and
//! HTTP/2 by ALPN) and WSS, optional client certificates whose verified
//! chain handlers read from their [`Context`](crate::Context), and a new
//! configuration without a restart.

mod config;
pub(crate) mod handshake;
mod info;

pub use config::TlsConfig;
pub use info::TlsInfo;

/// Why a TLS operation on a running server failed.
///
/// ```
/// use rpc_runtime::server::TlsError;
/// let error = TlsError::NotEnabled;
/// assert_eq!(error.to_string(), "the server does not serve TLS");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The server was built without [`tls`](crate::server::ServerBuilder::tls):
    /// there is no configuration to replace.
    #[error("the server does not serve TLS")]
    NotEnabled,
}

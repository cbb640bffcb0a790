//! The errors of building and connecting a client, shared by every client
//! (and present whatever features are on).

use std::time::Duration;

use rpc_runtime::client::{BoxError, ClientError};

/// The default connect timeout of the WebSocket, stream and ZeroMQ
/// clients: 10 seconds (as the HTTP client's).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a client could not be built: what `HttpClientBuilder::build`
/// returns, and `WsClientBuilder::connect` in [`ConnectError::Build`], the
/// same variant for the same mistake.
///
/// ```
/// use rpc_client::BuildError;
/// # #[cfg(feature = "http")] {
/// use rpc_client::HttpClient;
/// let bad = HttpClient::builder("http://127.0.0.1:8080").header("x-token", "line\nbreak").build();
/// assert!(matches!(bad, Err(BuildError::InvalidHeader(_))));
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not a valid absolute URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's scheme is not the client's: `http` or `https` for
    /// `HttpClient`, `ws` or `wss` for `WsClient`.
    #[error("unsupported URL scheme {0:?}")]
    UnsupportedScheme(String),
    /// The URL's scheme needs a feature of `rpc-client` this build lacks
    /// (`https://` and `wss://` need `tls`).
    #[error("{scheme}:// URLs need rpc-client's `{feature}` feature")]
    FeatureDisabled {
        /// The URL's scheme.
        scheme: String,
        /// The feature that would enable it.
        feature: &'static str,
    },
    /// A header name or value is not valid HTTP.
    #[error("invalid header: {0}")]
    InvalidHeader(String),
    /// A certificate or private key could not be read or used.
    #[error("invalid certificate: {0}")]
    Certificate(String),
    /// The TLS configuration could not be made.
    #[error("TLS configuration: {0}")]
    Tls(#[source] BoxError),
    /// TLS needs a rustls crypto provider and there is none: the crate was
    /// built without its `ring` and `aws-lc-rs` features and the process
    /// has not installed a default one
    /// (`rustls::crypto::CryptoProvider::install_default`).
    #[error(
        "no rustls crypto provider: enable rpc-client's `ring` or `aws-lc-rs` feature, \
         or install a process default with rustls::crypto::CryptoProvider::install_default"
    )]
    NoCryptoProvider,
    /// The proxy URL is not an absolute `http://` URL with a host.
    #[error("invalid proxy URL {url:?}: {reason}")]
    InvalidProxy {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Why `connect` failed: a mistake in the options (the same
/// [`BuildError`] as `HttpClientBuilder::build` gives for it), found before
/// anything is sent, or a failure to connect.
///
/// `?` turns it into a [`ClientError`] (a [`BuildError`] becomes
/// [`ClientError::Transport`] with it as the source).
///
/// ```
/// use rpc_client::{BuildError, ClientError, ConnectError};
/// let error = ConnectError::from(BuildError::UnsupportedScheme("ftp".into()));
/// assert!(error.build_error().is_some());
/// assert!(matches!(ClientError::from(error), ClientError::Transport(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The options are wrong: URL, header, certificate, TLS.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Connecting failed: [`ClientError::Transport`] when the server cannot
    /// be reached, [`ClientError::HttpStatus`] when it refuses the upgrade,
    /// [`ClientError::Timeout`] after the connect timeout.
    #[error(transparent)]
    Connect(#[from] ClientError),
}

impl ConnectError {
    /// The mistake in the options, if that is what it is.
    #[must_use]
    pub fn build_error(&self) -> Option<&BuildError> {
        match self {
            ConnectError::Build(error) => Some(error),
            ConnectError::Connect(_) => None,
        }
    }
}

impl From<ConnectError> for ClientError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::Build(error) => ClientError::Transport(Box::new(error)),
            ConnectError::Connect(error) => error,
        }
    }
}

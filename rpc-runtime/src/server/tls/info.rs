//! What the TLS handshake of a connection settled, for handlers.

/// The TLS session a call arrived on: the client's verified certificate
/// chain (with client authentication on), the ALPN protocol and the SNI
/// name. Read it with [`Context::tls`](crate::Context::tls); on a WebSocket
/// it is the same for every call of the connection.
///
/// Plain data, no `rustls` type: certificates are DER bytes, end entity
/// first, to hand to an X.509 parser or to hash for a fingerprint.
///
/// ```
/// use rpc_runtime::server::TlsInfo;
/// let info = TlsInfo::new()
///     .with_peer_certificates(vec![vec![0x30, 0x82]])
///     .with_alpn_protocol(b"h2".to_vec())
///     .with_server_name("api.example.com");
/// assert_eq!(info.peer_certificate(), Some(&[0x30, 0x82][..]));
/// assert_eq!(info.alpn_protocol(), Some(&b"h2"[..]));
/// assert_eq!(info.server_name(), Some("api.example.com"));
/// assert_eq!(info.protocol_version(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    peer_certificates: Vec<Vec<u8>>,
    alpn_protocol: Option<Vec<u8>>,
    server_name: Option<String>,
    protocol_version: Option<&'static str>,
    cipher_suite: Option<&'static str>,
}

impl TlsInfo {
    /// A session with nothing known yet (what a transport fills in).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the peer's certificate chain (DER, end entity first).
    #[must_use]
    pub fn with_peer_certificates(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.peer_certificates = chain;
        self
    }

    /// Sets the ALPN protocol agreed on.
    #[must_use]
    pub fn with_alpn_protocol(mut self, protocol: Vec<u8>) -> Self {
        self.alpn_protocol = Some(protocol);
        self
    }

    /// Sets the server name the client asked for (SNI).
    #[must_use]
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Sets the protocol version's name (`"TLSv1.3"`) and the cipher
    /// suite's (`"TLS13_AES_128_GCM_SHA256"`).
    #[must_use]
    pub fn with_session(mut self, version: &'static str, cipher_suite: &'static str) -> Self {
        self.protocol_version = Some(version);
        self.cipher_suite = Some(cipher_suite);
        self
    }

    /// The client's certificate chain as the server's verifier accepted
    /// it, DER, end entity first; empty when the client sent none (client
    /// authentication off, or optional and not used).
    #[must_use]
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        &self.peer_certificates
    }

    /// The client's own certificate (the chain's first), DER.
    #[must_use]
    pub fn peer_certificate(&self) -> Option<&[u8]> {
        self.peer_certificates.first().map(Vec::as_slice)
    }

    /// The ALPN protocol agreed on: `h2` or `http/1.1`; `None` when the
    /// client offered none.
    #[must_use]
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn_protocol.as_deref()
    }

    /// The host name the client asked for (SNI); `None` when it sent none
    /// (a client connecting to an IP address does not).
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The protocol version: `"TLSv1.3"` or `"TLSv1.2"`.
    #[must_use]
    pub fn protocol_version(&self) -> Option<&str> {
        self.protocol_version
    }

    /// The cipher suite's IANA-style name, e.g. `"TLS13_AES_128_GCM_SHA256"`.
    #[must_use]
    pub fn cipher_suite(&self) -> Option<&str> {
        self.cipher_suite
    }
}

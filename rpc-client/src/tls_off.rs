//! Stands in for `tls.rs` when the `tls` feature is off, so the
//! WebSocket client's options keep one shape: there is nothing to hold.

/// No TLS options in a build without TLS.
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsOptions;

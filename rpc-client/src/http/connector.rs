//! The connector under the HTTP client's pool: TCP to the endpoint or to
//! a proxy, a `CONNECT` tunnel for `https://` through a proxy, and TLS
//! (tokio-rustls) with the ALPN protocols the client's HTTP versions allow.

use std::future::Future;
use std::io;
use std::pin::Pin;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use rpc_runtime::client::BoxError;
use tokio::net::TcpStream;
use tower_service::Service;

use super::proxy::Route;

/// Makes the connections the pool keeps.
#[derive(Clone)]
pub(crate) struct Connector {
    tcp: HttpConnector,
    route: Route,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Connector {
    pub(crate) fn new(tcp: HttpConnector, route: Route) -> Self {
        Self {
            tcp,
            route,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Speaks TLS with `config` to `https://` endpoints, offering `h2`
    /// (when `http2`) and `http/1.1` by ALPN, or only `h2` with
    /// `h2_only`. The ALPN list of `config` is replaced by that one: it is
    /// what the pool can speak.
    #[cfg(feature = "tls")]
    pub(crate) fn with_tls(
        mut self,
        config: &rustls::ClientConfig,
        http2: bool,
        h2_only: bool,
    ) -> Self {
        let mut config = config.clone();
        config.alpn_protocols = match (h2_only, http2) {
            (true, _) => vec![b"h2".to_vec()],
            (false, true) => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            (false, false) => vec![b"http/1.1".to_vec()],
        };
        self.tls = Some(tokio_rustls::TlsConnector::from(Arc::new(config)));
        self
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.tcp.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut tcp = self.tcp.clone();
        let route = self.route.clone();
        #[cfg(feature = "tls")]
        let tls = self.tls.clone();
        Box::pin(async move {
            let io = match route {
                Route::Direct => tcp.call(dst.clone()).await?,
                Route::Forward { proxy, .. } => {
                    let io = tcp.call(proxy).await?;
                    return Ok(Conn::Plain { io, proxied: true });
                }
                Route::Tunnel { proxy, auth } => {
                    let mut tunnel = Tunnel::new(proxy, tcp);
                    if let Some(auth) = auth {
                        tunnel = tunnel.with_auth(auth);
                    }
                    tunnel.call(dst.clone()).await?
                }
            };
            if dst.scheme_str() != Some("https") {
                return Ok(Conn::Plain { io, proxied: false });
            }
            #[cfg(feature = "tls")]
            {
                let tls = tls.ok_or("https:// without a TLS configuration")?;
                let host = dst.host().ok_or("no host in the URL")?;
                // `[::1]` in a URL is `::1` to TLS.
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let name = rustls::pki_types::ServerName::try_from(host.to_owned())?;
                let stream = tls.connect(name, io.into_inner()).await?;
                Ok(Conn::Tls(Box::new(TokioIo::new(stream))))
            }
            #[cfg(not(feature = "tls"))]
            {
                Err("https:// needs rpc-client's `tls` feature".into())
            }
        })
    }
}

/// One pooled connection: plain TCP (to the endpoint or, for `http://`,
/// to a proxy) or TLS (to the endpoint, perhaps inside a tunnel).
pub(crate) enum Conn {
    /// TCP; `proxied` makes hyper write requests in absolute form.
    Plain {
        io: TokioIo<TcpStream>,
        proxied: bool,
    },
    /// TLS over TCP.
    #[cfg(feature = "tls")]
    Tls(Box<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>),
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        match self {
            Conn::Plain { io, proxied } => io.connected().proxy(*proxied),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => {
                let (tcp, session) = io.inner().get_ref();
                let connected = tcp.connected();
                if session.alpn_protocol() == Some(b"h2") {
                    connected.negotiated_h2()
                } else {
                    connected
                }
            }
        }
    }
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => Pin::new(io.as_mut()).poll_read(cx, buf),
        }
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => Pin::new(io.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_flush(cx),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => Pin::new(io.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => Pin::new(io.as_mut()).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain { io, .. } => io.is_write_vectored(),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Conn::Tls(io) => Pin::new(io.as_mut()).poll_write_vectored(cx, bufs),
        }
    }
}

//! Serving a router on a TCP or Unix listener.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;

use super::StreamConfig;
use crate::server::listener::{accept_loop, Accept, ListenerControl, LogTarget, LoopSettings};
use crate::server::Shutdown;
use crate::ws::Connection;
use crate::Router;

/// A router served on byte streams: TCP or Unix socket listeners, each
/// connection framed as the [`StreamConfig`] says. One server may serve
/// several listeners; each `bind_*`/`serve_*` returns the handle of that
/// listener.
///
/// Each connection's [`Context`](crate::Context) has transport `"tcp"` (with the peer
/// address) or `"unix"`, the connection's [`Peer`](crate::ws::Peer)
/// (`ctx.ws_peer()`, to call the client back) and its subscriptions.
///
/// ```
/// use rpc_runtime::stream::{StreamConfig, StreamServer};
/// use rpc_runtime::Router;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = StreamServer::new(Router::new(), StreamConfig::default());
/// let tcp = server.bind_tcp("127.0.0.1:0").await?;
/// assert!(tcp.local_addr().is_some());
/// # #[cfg(unix)] {
/// let dir = std::env::temp_dir().join(format!("rpc-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let unix = server.bind_unix(dir.join("rpc.sock"))?;
/// assert_eq!(unix.local_path(), Some(dir.join("rpc.sock").as_path()));
/// unix.shutdown(std::time::Duration::from_secs(1)).await;
/// assert!(!dir.join("rpc.sock").exists(), "the socket file is removed");
/// # }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a server does nothing until it is bound or served"]
pub struct StreamServer {
    router: Arc<Router>,
    config: StreamConfig,
}

impl StreamServer {
    /// A server of `router` with `config`.
    ///
    /// ```
    /// use rpc_runtime::stream::{Framing, StreamConfig, StreamServer};
    /// use rpc_runtime::Router;
    /// let server = StreamServer::new(Router::new(), StreamConfig::new(Framing::ContentLength));
    /// assert_eq!(server.config().framing, Framing::ContentLength);
    /// ```
    pub fn new(router: impl Into<Arc<Router>>, config: StreamConfig) -> Self {
        Self {
            router: router.into(),
            config,
        }
    }

    /// The server's settings.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Binds a TCP address and serves on it from a task of its own (port
    /// `0`: any free port, see [`StreamServerHandle::local_addr`]).
    ///
    /// ```
    /// use rpc_runtime::stream::{StreamConfig, StreamServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
    ///
    /// /// Sends one newline-framed message and reads one line back.
    /// async fn call_line<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, line: &str) -> std::io::Result<String> {
    ///     socket.write_all(format!("{line}\n").as_bytes()).await?;
    ///     let mut reply = String::new();
    ///     BufReader::new(socket).read_line(&mut reply).await?;
    ///     Ok(reply)
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let handle = StreamServer::new(router, StreamConfig::default()).bind_tcp("127.0.0.1:0").await?;
    /// let addr = handle.local_addr().expect("a TCP listener");
    /// let reply = call_line(tokio::net::TcpStream::connect(addr).await?, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await?;
    /// assert_eq!(reply.trim_end(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the address does not resolve or cannot be bound.
    pub async fn bind_tcp(&self, addr: impl ToSocketAddrs) -> io::Result<StreamServerHandle> {
        self.serve_tcp(TcpListener::bind(addr).await?)
    }

    /// Serves on a bound TCP listener from a task of its own.
    ///
    /// ```
    /// # use rpc_runtime::stream::{StreamConfig, StreamServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
    /// # async fn call_line<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, line: &str) -> std::io::Result<String> {
    /// #     socket.write_all(format!("{line}\n").as_bytes()).await?;
    /// #     let mut reply = String::new();
    /// #     BufReader::new(socket).read_line(&mut reply).await?;
    /// #     Ok(reply)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// // A listener bound elsewhere (handed over by a supervisor, say).
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// let handle = StreamServer::new(router, StreamConfig::default()).serve_tcp(listener)?;
    /// assert_eq!(handle.local_addr(), Some(addr));
    /// let reply = call_line(tokio::net::TcpStream::connect(addr).await?, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await?;
    /// assert_eq!(reply.trim_end(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the listener's address cannot be read.
    pub fn serve_tcp(&self, listener: TcpListener) -> io::Result<StreamServerHandle> {
        let addr = listener.local_addr()?;
        Ok(self.start(listener, Listening::Tcp(addr), None))
    }

    /// Binds a Unix socket at `path` and serves on it; the socket file is
    /// removed when the server stops. A file already at `path` is an error
    /// (remove a stale socket first).
    ///
    /// ```
    /// # use rpc_runtime::stream::{StreamConfig, StreamServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
    /// # async fn call_line<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, line: &str) -> std::io::Result<String> {
    /// #     socket.write_all(format!("{line}\n").as_bytes()).await?;
    /// #     let mut reply = String::new();
    /// #     BufReader::new(socket).read_line(&mut reply).await?;
    /// #     Ok(reply)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let path = std::env::temp_dir().join(format!("rpc-doc-bind-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let handle = StreamServer::new(router, StreamConfig::default()).bind_unix(&path)?;
    /// let reply = call_line(tokio::net::UnixStream::connect(&path).await?, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await?;
    /// assert_eq!(reply.trim_end(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    /// handle.shutdown(std::time::Duration::from_secs(1)).await;
    /// assert!(!path.exists(), "the socket file is removed");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the socket cannot be bound.
    #[cfg(unix)]
    pub fn bind_unix(&self, path: impl AsRef<Path>) -> io::Result<StreamServerHandle> {
        let path = path.as_ref().to_path_buf();
        let listener = tokio::net::UnixListener::bind(&path)?;
        Ok(self.start(listener, Listening::Unix(path.clone()), Some(path)))
    }

    /// Serves on a bound Unix listener (its socket file is left in place).
    ///
    /// ```
    /// # use rpc_runtime::stream::{StreamConfig, StreamServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
    /// # async fn call_line<S: AsyncRead + AsyncWrite + Unpin>(mut socket: S, line: &str) -> std::io::Result<String> {
    /// #     socket.write_all(format!("{line}\n").as_bytes()).await?;
    /// #     let mut reply = String::new();
    /// #     BufReader::new(socket).read_line(&mut reply).await?;
    /// #     Ok(reply)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let path = std::env::temp_dir().join(format!("rpc-doc-serve-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = tokio::net::UnixListener::bind(&path)?;
    /// let handle = StreamServer::new(router, StreamConfig::default()).serve_unix(listener)?;
    /// assert_eq!(handle.local_path(), Some(path.as_path()));
    /// let reply = call_line(tokio::net::UnixStream::connect(&path).await?, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await?;
    /// assert_eq!(reply.trim_end(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
    /// handle.shutdown(std::time::Duration::from_secs(1)).await;
    /// assert!(path.exists(), "whoever bound it removes it");
    /// std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the listener's address cannot be read.
    #[cfg(unix)]
    pub fn serve_unix(&self, listener: tokio::net::UnixListener) -> io::Result<StreamServerHandle> {
        let path = listener
            .local_addr()?
            .as_pathname()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(self.start(listener, Listening::Unix(path), None))
    }

    fn start<L: Accept>(
        &self,
        listener: L,
        listening: Listening,
        remove: Option<PathBuf>,
    ) -> StreamServerHandle {
        let inner = Arc::new(Inner {
            listening,
            control: Arc::new(ListenerControl::new()),
        });
        let settings = LoopSettings {
            max_connections: self.config.max_connections,
            remove,
            log: LogTarget::Stream,
        };
        let (router, config) = (self.router.clone(), self.config.clone());
        let serve = move |read, write, builder, mut draining: watch::Receiver<bool>| {
            let connection = Connection::stream_server(&config, L::NAME);
            let ctx = connection.context(builder);
            let shutdown = async move {
                let _ = draining.wait_for(|on| *on).await;
            };
            let (router, framing) = (router.clone(), config.framing);
            async move {
                let reason = connection
                    .run_framed_until(read, write, framing, router, ctx, shutdown)
                    .await;
                tracing::debug!(target: "rpc_runtime::stream", transport = L::NAME, %reason, "connection ended");
            }
        };
        tokio::spawn(accept_loop(
            listener,
            inner.control.clone(),
            settings,
            serve,
        ));
        StreamServerHandle { inner }
    }
}

/// Where a listener listens.
#[derive(Debug)]
enum Listening {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

#[derive(Debug)]
struct Inner {
    listening: Listening,
    control: Arc<ListenerControl>,
}

/// A running stream listener: its address, and the way to stop it.
///
/// Clones control the same listener. Dropping every handle leaves it
/// running for as long as the Tokio runtime does.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::server::Shutdown;
/// use rpc_runtime::stream::{StreamConfig, StreamServer};
/// use tokio::io::AsyncReadExt as _;
/// use tokio::net::TcpStream;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let config = StreamConfig::default().with_max_connections(1);
/// let handle = StreamServer::new(rpc_runtime::Router::new(), config).bind_tcp("127.0.0.1:0").await?;
/// let addr = handle.local_addr().expect("a TCP listener");
/// assert_eq!(handle.local_path(), None);
///
/// let first = TcpStream::connect(addr).await?;
/// while handle.connections_active() == 0 {
///     tokio::time::sleep(Duration::from_millis(5)).await;
/// }
/// // Over the limit: accepted, then closed before anything is read.
/// let mut second = TcpStream::connect(addr).await?;
/// assert_eq!(second.read(&mut [0; 1]).await?, 0);
/// assert_eq!((handle.connections_active(), handle.connections_refused()), (1, 1));
///
/// drop(first);
/// let stopper = handle.clone();
/// tokio::spawn(async move { stopper.shutdown(Duration::from_secs(1)).await });
/// assert_eq!(handle.stopped().await, Shutdown::Graceful);
/// assert!(handle.is_stopped());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "without the handle the server cannot be shut down"]
pub struct StreamServerHandle {
    inner: Arc<Inner>,
}

impl StreamServerHandle {
    /// The TCP address listened on (`None` for a Unix socket).
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.inner.listening {
            Listening::Tcp(addr) => Some(*addr),
            Listening::Unix(_) => None,
        }
    }

    /// The path of the Unix socket listened on (`None` for TCP).
    #[must_use]
    pub fn local_path(&self) -> Option<&Path> {
        match &self.inner.listening {
            Listening::Unix(path) => Some(path),
            Listening::Tcp(_) => None,
        }
    }

    /// How many connections are open.
    #[must_use]
    pub fn connections_active(&self) -> usize {
        self.inner.control.connections_active()
    }

    /// How many connections were refused over
    /// [`StreamConfig::max_connections`].
    #[must_use]
    pub fn connections_refused(&self) -> usize {
        self.inner.control.connections_refused()
    }

    /// Stops the listener as [`ServerHandle::shutdown`](crate::server::ServerHandle::shutdown)
    /// does: new connections are refused at once; on each open connection
    /// new calls get `-32001`, calls in flight finish, subscriptions get
    /// their last notice (`-32009`) and the server ends its side of the
    /// stream. Connections still open at `deadline` are dropped
    /// ([`Shutdown::Forced`]). Resolves when stopped; the first call's
    /// deadline counts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::server::Shutdown;
    /// use rpc_runtime::stream::{StreamConfig, StreamServer};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = StreamServer::new(rpc_runtime::Router::new(), StreamConfig::default())
    ///     .bind_tcp("127.0.0.1:0").await?;
    /// let addr = handle.local_addr().unwrap();
    /// assert_eq!(handle.shutdown(Duration::from_secs(1)).await, Shutdown::Graceful);
    /// assert!(handle.is_stopped());
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn shutdown(&self, deadline: Duration) -> Shutdown {
        self.inner.control.shutdown(deadline).await
    }

    /// Resolves when the listener has stopped (after a
    /// [`shutdown`](Self::shutdown)).
    pub async fn stopped(&self) -> Shutdown {
        self.inner.control.stopped().await
    }

    /// Whether the listener has stopped.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.inner.control.is_stopped()
    }
}

//! Serving a router on a ZeroMQ REP or ROUTER socket bound to a TCP or
//! `ipc://` endpoint.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{connection, SocketType, ZmqConfig, ZmqEndpoint};
use crate::server::listener::{accept_loop, Accept, ListenerControl, LogTarget, LoopSettings};
use crate::server::Shutdown;
use crate::Router;

/// A router served on ZeroMQ sockets: REP ([`bind_rep`](Self::bind_rep),
/// one request at a time per peer, every request answered) or ROUTER
/// ([`bind_router`](Self::bind_router), many peers and many calls per
/// peer at once). One server may bind several endpoints; each `bind_*`
/// returns the handle of that socket.
///
/// Each peer's calls share one [`Context`](crate::Context) (transport `"zmq"`, the peer's
/// TCP address, and a [`ZmqPeer`](super::ZmqPeer)).
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
/// use rpc_runtime::Router;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = ZmqServer::new(Router::new(), ZmqConfig::default());
/// let router = server.bind_router("tcp://127.0.0.1:0").await?;
/// // Port 0 is resolved: this is where clients connect.
/// assert!(router.local_endpoint().to_string().starts_with("tcp://127.0.0.1:"));
/// assert_ne!(router.local_addr().unwrap().port(), 0);
/// router.shutdown(Duration::from_secs(1)).await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a server does nothing until it is bound"]
pub struct ZmqServer {
    router: Arc<Router>,
    config: Arc<ZmqConfig>,
}

impl ZmqServer {
    /// A server of `router` with `config`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::Router;
    /// // One router may serve several servers (ZeroMQ, HTTP...) at once.
    /// let router = Arc::new(Router::new());
    /// let server = ZmqServer::new(router.clone(), ZmqConfig::new().with_max_in_flight(8));
    /// assert_eq!(server.config().max_in_flight, 8);
    /// assert_eq!(Arc::strong_count(&router), 2);
    /// ```
    pub fn new(router: impl Into<Arc<Router>>, config: ZmqConfig) -> Self {
        Self {
            router: router.into(),
            config: Arc::new(config),
        }
    }

    /// The server's settings.
    ///
    /// ```
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// let server = ZmqServer::new(rpc_runtime::Router::new(), ZmqConfig::default());
    /// assert_eq!(server.config().max_message_size, 10 << 20);
    /// ```
    pub fn config(&self) -> &ZmqConfig {
        &self.config
    }

    /// Binds a REP socket at `endpoint` (`tcp://host:port`, `ipc://path`)
    /// and serves on it from a task of its own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::zmq::{connect, wire, SocketType, ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// use tokio::io::AsyncWriteExt as _;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_rep("tcp://127.0.0.1:0").await?;
    ///
    /// // A REQ peer by hand: each message starts with the empty delimiter.
    /// let mut req = connect(handle.local_endpoint(), SocketType::Req, 1 << 20).await?;
    /// let mut out = Vec::new();
    /// wire::encode_message(&mut out, &[b"", br#"{"jsonrpc":"2.0","method":"ping","id":1}"#]);
    /// req.writer.write_all(&out).await?;
    /// let reply = req.reader.next().await?;
    /// let pong = br#"{"jsonrpc":"2.0","result":"pong","id":1}"#.to_vec();
    /// assert_eq!(reply, Some(wire::Received::Message(vec![Vec::new(), pong])));
    ///
    /// // A notification still gets a reply, an empty one, so REQ can go on.
    /// out.clear();
    /// wire::encode_message(&mut out, &[b"", br#"{"jsonrpc":"2.0","method":"ping"}"#]);
    /// req.writer.write_all(&out).await?;
    /// let reply = req.reader.next().await?;
    /// assert_eq!(reply, Some(wire::Received::Message(vec![Vec::new(), Vec::new()])));
    /// handle.shutdown(Duration::from_secs(1)).await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the endpoint is invalid, does not resolve or cannot be bound.
    pub async fn bind_rep(&self, endpoint: &str) -> io::Result<ZmqServerHandle> {
        self.bind(endpoint, SocketType::Rep).await
    }

    /// Binds a ROUTER socket at `endpoint` and serves on it from a task
    /// of its own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::zmq::{connect, wire, SocketType, ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// use tokio::io::AsyncWriteExt as _;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync_args("double", &["n"], |(n,): (i64,), _| Ok::<_, ErrorObjectOwned>(n * 2))?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// assert_eq!(handle.socket_type(), SocketType::Router);
    ///
    /// // A DEALER peer sends two calls without waiting: both are answered.
    /// let mut dealer = connect(handle.local_endpoint(), SocketType::Dealer, 1 << 20).await?;
    /// let mut out = Vec::new();
    /// wire::encode_message(&mut out, &[br#"{"jsonrpc":"2.0","method":"double","params":[1],"id":1}"#]);
    /// wire::encode_message(&mut out, &[br#"{"jsonrpc":"2.0","method":"double","params":[2],"id":2}"#]);
    /// dealer.writer.write_all(&out).await?;
    /// let mut replies = Vec::new();
    /// for _ in 0..2 {
    ///     let Some(wire::Received::Message(frames)) = dealer.reader.next().await? else { panic!() };
    ///     replies.push(String::from_utf8(frames.concat())?);
    /// }
    /// replies.sort();
    /// assert_eq!(replies, [
    ///     r#"{"jsonrpc":"2.0","result":2,"id":1}"#,
    ///     r#"{"jsonrpc":"2.0","result":4,"id":2}"#,
    /// ]);
    /// handle.shutdown(Duration::from_secs(1)).await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`bind_rep`](Self::bind_rep).
    pub async fn bind_router(&self, endpoint: &str) -> io::Result<ZmqServerHandle> {
        self.bind(endpoint, SocketType::Router).await
    }

    /// Binds a socket of type `kind` ([`SocketType::Rep`] or
    /// [`SocketType::Router`]) at `endpoint`.
    ///
    /// ```
    /// use rpc_runtime::zmq::{SocketType, ZmqConfig, ZmqServer};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = ZmqServer::new(rpc_runtime::Router::new(), ZmqConfig::default());
    /// let dealer = server.bind("tcp://127.0.0.1:0", SocketType::Dealer).await;
    /// assert_eq!(dealer.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// assert!(server.bind_rep("udp://127.0.0.1:0").await.is_err());
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`bind_rep`](Self::bind_rep), and for a client socket type.
    pub async fn bind(&self, endpoint: &str, kind: SocketType) -> io::Result<ZmqServerHandle> {
        if !matches!(kind, SocketType::Rep | SocketType::Router) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a server binds REP or ROUTER, not {kind}"),
            ));
        }
        let parsed: ZmqEndpoint = endpoint
            .parse()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        match parsed {
            ZmqEndpoint::Tcp { host, port } => {
                let listener = TcpListener::bind((host.as_str(), port)).await?;
                let addr = listener.local_addr()?;
                let local = ZmqEndpoint::Tcp {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                };
                Ok(self.start(listener, kind, local, Some(addr), None))
            }
            #[cfg(unix)]
            ZmqEndpoint::Ipc(path) => {
                let listener = tokio::net::UnixListener::bind(&path)?;
                let local = ZmqEndpoint::Ipc(path.clone());
                Ok(self.start(listener, kind, local, None, Some(path)))
            }
            #[cfg(not(unix))]
            ZmqEndpoint::Ipc(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "ipc:// endpoints need Unix domain sockets",
            )),
        }
    }

    fn start<L: Accept>(
        &self,
        listener: L,
        kind: SocketType,
        local: ZmqEndpoint,
        addr: Option<SocketAddr>,
        remove: Option<PathBuf>,
    ) -> ZmqServerHandle {
        let inner = Arc::new(Inner {
            local,
            addr,
            kind,
            control: Arc::new(ListenerControl::new()),
        });
        let settings = LoopSettings {
            max_connections: self.config.max_connections,
            remove,
            log: LogTarget::Zmq,
        };
        let (router, config) = (self.router.clone(), self.config.clone());
        let serve = move |read, write, builder, draining| {
            connection::serve(
                read,
                write,
                kind,
                router.clone(),
                config.clone(),
                builder,
                draining,
            )
        };
        tokio::spawn(accept_loop(
            listener,
            inner.control.clone(),
            settings,
            serve,
        ));
        ZmqServerHandle { inner }
    }
}

#[derive(Debug)]
struct Inner {
    local: ZmqEndpoint,
    addr: Option<SocketAddr>,
    kind: SocketType,
    control: Arc<ListenerControl>,
}

/// A bound ZeroMQ server socket: where it listens, and the way to stop it.
///
/// Clones control the same socket. Dropping every handle leaves it
/// running for as long as the Tokio runtime does.
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::server::Shutdown;
/// use rpc_runtime::zmq::{connect, SocketType, ZmqConfig, ZmqEndpoint, ZmqServer};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ZmqConfig::default().with_max_connections(1);
/// let handle = ZmqServer::new(rpc_runtime::Router::new(), config).bind_rep("tcp://127.0.0.1:0").await?;
/// let addr = handle.local_addr().expect("a TCP endpoint");
/// let port = addr.port();
/// assert_eq!(handle.local_endpoint(), &ZmqEndpoint::Tcp { host: "127.0.0.1".into(), port });
/// assert_eq!(handle.socket_type(), SocketType::Rep);
///
/// // The handshake done, the server counts the peer.
/// let first = connect(handle.local_endpoint(), SocketType::Req, 1 << 20).await?;
/// assert_eq!(handle.connections_active(), 1);
/// // Over the limit: accepted, then closed before the handshake.
/// assert!(connect(handle.local_endpoint(), SocketType::Req, 1 << 20).await.is_err());
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
pub struct ZmqServerHandle {
    inner: Arc<Inner>,
}

impl ZmqServerHandle {
    /// The endpoint bound, with port `0` resolved to the port chosen:
    /// what clients connect to.
    #[must_use]
    pub fn local_endpoint(&self) -> &ZmqEndpoint {
        &self.inner.local
    }

    /// The TCP address bound (`None` for `ipc://`).
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.addr
    }

    /// The socket's type: REP or ROUTER.
    #[must_use]
    pub fn socket_type(&self) -> SocketType {
        self.inner.kind
    }

    /// How many peers are connected.
    #[must_use]
    pub fn connections_active(&self) -> usize {
        self.inner.control.connections_active()
    }

    /// How many connections were refused over
    /// [`ZmqConfig::max_connections`].
    #[must_use]
    pub fn connections_refused(&self) -> usize {
        self.inner.control.connections_refused()
    }

    /// Stops the socket: new connections are refused at once; on each
    /// connection, messages read from now on are answered `-32001`
    /// (`The connection is closing`), calls in flight finish and are
    /// answered, then the connection is closed. Connections still open at
    /// `deadline` are dropped ([`Shutdown::Forced`]). Resolves when
    /// stopped; the first call's deadline counts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_runtime::server::Shutdown;
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let handle = ZmqServer::new(rpc_runtime::Router::new(), ZmqConfig::default())
    ///     .bind_rep("tcp://127.0.0.1:0").await?;
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

    /// Resolves when the socket has stopped (after a
    /// [`shutdown`](Self::shutdown)).
    pub async fn stopped(&self) -> Shutdown {
        self.inner.control.stopped().await
    }

    /// Whether the socket has stopped.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.inner.control.is_stopped()
    }
}

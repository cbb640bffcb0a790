//! The options of a [`StreamClient`].

use std::sync::Arc;
use std::time::Duration;

use rpc_runtime::client::ClientError;
use rpc_runtime::stream::{Framing, StreamConfig};
use rpc_runtime::Router;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, ToSocketAddrs};

use super::StreamClient;
use crate::error::{ConnectError, CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT};
use crate::id::{DecimalIds, IdGenerator};

/// Options for a [`StreamClient`], from [`StreamClient::builder`]: the
/// setters of [`WsClientBuilder`](crate::WsClientBuilder) that apply to a
/// byte stream.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::id::HexIds;
/// use rpc_client::stream::{Framing, StreamClient};
/// let builder = StreamClient::builder(Framing::ContentLength)
///     .request_timeout(Duration::from_secs(5))
///     .connect_timeout(Duration::from_secs(1))
///     .max_message_size(1 << 20)
///     .id_generator(HexIds::new());
/// assert_eq!(builder.effective_config().request_timeout, Some(Duration::from_secs(5)));
///
/// // A base config, and ids shared with other clients.
/// use std::sync::Arc;
/// use rpc_client::id::{DecimalIds, IdGenerator};
/// use rpc_client::stream::StreamConfig;
/// let ids: Arc<dyn IdGenerator> = Arc::new(DecimalIds::new());
/// let builder = StreamClient::builder(Framing::Newline)
///     .config(StreamConfig::new(Framing::ContentLength).with_max_in_flight(8))
///     .shared_id_generator(ids.clone());
/// let config = builder.effective_config();
/// assert_eq!((config.framing, config.max_in_flight), (Framing::ContentLength, 8));
/// ```
#[must_use = "a builder does nothing until `connect_tcp`, `connect_unix` or `run`"]
pub struct StreamClientBuilder {
    pub(super) config: StreamConfig,
    request_timeout: Option<Duration>,
    max_message_size: Option<usize>,
    connect_timeout: Option<Duration>,
    pub(super) ids: Arc<dyn IdGenerator>,
    pub(super) router: Arc<Router>,
}

impl std::fmt::Debug for StreamClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamClientBuilder")
            .field("config", &self.effective_config())
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl StreamClientBuilder {
    pub(super) fn new(framing: Framing) -> Self {
        Self {
            config: StreamConfig::new(framing),
            request_timeout: None,
            max_message_size: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            ids: Arc::new(DecimalIds::new()),
            router: Arc::new(Router::new()),
        }
    }

    /// How long each call waits for its response (default: no limit).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How long connecting may take (`None`: no limit). Default 10 s.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// The largest message accepted from the server (default 10 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = Some(bytes);
        self
    }

    /// The base settings (framing and limits); the setters apply over
    /// them, whatever the order of the calls.
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// The settings the connection will have.
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// // The setters win over the base config, whichever came first.
    /// let builder = StreamClient::builder(Framing::Newline)
    ///     .max_message_size(4096)
    ///     .config(StreamConfig::default().with_max_message_size(1 << 20));
    /// assert_eq!(builder.effective_config().max_message_size, 4096);
    /// ```
    pub fn effective_config(&self) -> StreamConfig {
        let mut config = self.config.clone();
        if let Some(timeout) = self.request_timeout {
            config.request_timeout = Some(timeout);
        }
        if let Some(bytes) = self.max_message_size {
            config.max_message_size = bytes;
        }
        config
    }

    /// Makes the ids of calls with `generator` (default
    /// [`DecimalIds`]); calls made through the connection's `Peer` take
    /// theirs from it too.
    pub fn id_generator(self, generator: impl IdGenerator + 'static) -> Self {
        self.shared_id_generator(Arc::new(generator))
    }

    /// Makes the ids of calls with a generator shared with other clients.
    pub fn shared_id_generator(mut self, generator: Arc<dyn IdGenerator>) -> Self {
        self.ids = generator;
        self
    }

    /// Serves `router`'s methods to the server (its calls back to this
    /// client).
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// use rpc_client::EncodedParams;
    /// use rpc_runtime::{protocol::ErrorObjectOwned, stream::StreamServer, Context, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // The server's `greet` asks the client for its name, calling it back.
    /// let mut server = Router::new();
    /// server.register_async("greet", |_, ctx: &Context| {
    ///     let client = ctx.ws_peer().cloned();
    ///     async move {
    ///         let client = client.ok_or_else(|| ErrorObjectOwned::new(-32000, "no peer"))?;
    ///         let name: String = rpc_runtime::client::Caller::call(&client, "name", EncodedParams::none())
    ///             .await
    ///             .map_err(|e| ErrorObjectOwned::new(-32000, e.to_string()))?;
    ///         Ok::<_, ErrorObjectOwned>(format!("hello, {name}"))
    ///     }
    /// })?;
    /// let handle = StreamServer::new(server, StreamConfig::default()).bind_tcp("127.0.0.1:0").await?;
    ///
    /// let mut mine = Router::new();
    /// mine.register_sync("name", |_, _| Ok::<_, ErrorObjectOwned>("editor"))?;
    /// let client = StreamClient::builder(Framing::Newline)
    ///     .serve(mine)
    ///     .connect_tcp(handle.local_addr().ok_or("no address")?)
    ///     .await?;
    /// let greeting: String = client.request("greet", EncodedParams::none()).await?;
    /// assert_eq!(greeting, "hello, editor");
    /// # Ok(()) }
    /// ```
    pub fn serve(mut self, router: impl Into<Arc<Router>>) -> Self {
        self.router = router.into();
        self
    }

    /// Connects over TCP.
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient};
    /// use rpc_client::{ClientError, ConnectError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // Nothing listens on port 9.
    /// let refused = StreamClient::builder(Framing::Newline).connect_tcp("127.0.0.1:9").await;
    /// assert!(matches!(refused, Err(ConnectError::Connect(ClientError::Transport(_)))));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ConnectError::Connect`] with [`ClientError::Transport`] when the
    /// server cannot be reached, [`ClientError::Timeout`] after the
    /// connect timeout.
    pub async fn connect_tcp(self, addr: impl ToSocketAddrs) -> Result<StreamClient, ConnectError> {
        let socket = self.connecting(TcpStream::connect(addr)).await?;
        // Calls are written in bursts and flushed once: send each at once.
        let _ = socket.set_nodelay(true);
        let (read, write) = socket.into_split();
        Ok(self.start(read, write, "tcp", None))
    }

    /// Connects to a Unix socket.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// use rpc_client::EncodedParams;
    /// use rpc_runtime::{protocol::ErrorObjectOwned, stream::StreamServer, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let path = std::env::temp_dir().join(format!("rpc-doc-builder-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let config = StreamConfig::new(Framing::ContentLength);
    /// let server = StreamServer::new(router, config).bind_unix(&path)?;
    /// let client = StreamClient::builder(Framing::ContentLength)
    ///     .request_timeout(Duration::from_secs(5))
    ///     .connect_unix(&path)
    ///     .await?;
    /// let pong: String = client.request("ping", EncodedParams::none()).await?;
    /// assert_eq!(pong, "pong");
    /// server.shutdown(Duration::from_secs(1)).await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`connect_tcp`](Self::connect_tcp).
    #[cfg(unix)]
    pub async fn connect_unix(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<StreamClient, ConnectError> {
        let socket = self
            .connecting(tokio::net::UnixStream::connect(path.as_ref()))
            .await?;
        let (read, write) = socket.into_split();
        Ok(self.start(read, write, "unix", None))
    }

    /// Runs the client over halves of a byte stream already open (a pipe,
    /// a child process's stdout and stdin); `transport` names it in logs
    /// and in the contexts of the calls the server makes back. Needs a
    /// Tokio runtime.
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let (ours, _theirs) = tokio::io::duplex(4096);
    /// let (read, write) = tokio::io::split(ours);
    /// let client = StreamClient::builder(Framing::ContentLength).run(read, write, "pipe");
    /// client.close().await;
    /// # }
    /// ```
    pub fn run<R, W>(self, reader: R, writer: W, transport: &'static str) -> StreamClient
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        self.start(reader, writer, transport, None)
    }

    /// Starts `command` with its stdin and stdout piped and talks to it
    /// over them (how editors run language servers): the child reads this
    /// side's messages on stdin and writes its own on stdout; its stderr is
    /// left as the command says. The child is killed when the last clone
    /// of the client goes; [`StreamClient::wait_child`] ends the
    /// connection and waits for it to exit instead. Needs a Tokio runtime.
    ///
    /// ```no_run
    /// use rpc_client::stream::{Framing, StreamClient};
    /// use rpc_client::EncodedParams;
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = tokio::process::Command::new("my-language-server");
    /// let client = StreamClient::builder(Framing::ContentLength).spawn(server)?;
    /// let answer: String = client.request("hello", EncodedParams::none()).await?;
    /// let status = client.wait_child().await;
    /// # let _ = (answer, status);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ConnectError::Connect`] with [`ClientError::Transport`] when the
    /// command cannot be started.
    pub fn spawn(self, mut command: tokio::process::Command) -> Result<StreamClient, ConnectError> {
        command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let transport_error =
            |error: std::io::Error| ConnectError::Connect(ClientError::Transport(Box::new(error)));
        let mut child = command.spawn().map_err(transport_error)?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(transport_error(std::io::Error::other(
                "the child's stdin and stdout are not piped",
            )));
        };
        Ok(self.start(stdout, stdin, "stdio", Some(child)))
    }

    async fn connecting<S>(
        &self,
        connect: impl std::future::Future<Output = std::io::Result<S>>,
    ) -> Result<S, ConnectError> {
        let outcome = match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, connect)
                .await
                .map_err(|_| ClientError::Timeout(limit))?,
            None => connect.await,
        };
        outcome.map_err(|error| ConnectError::Connect(ClientError::Transport(Box::new(error))))
    }
}

//! [`StreamClient`]: calls over one byte stream.

use std::sync::Arc;

use rpc_runtime::client::{BatchRequest, BatchResponse, Caller, ClientError, Subscription};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::stream::Framing;
use rpc_runtime::ws::{CloseReason, Connection, Peer};
use rpc_runtime::Context;
use serde::de::DeserializeOwned;
use std::process::ExitStatus;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::process::Child;

use super::StreamClientBuilder;
use crate::error::ConnectError;

/// A JSON-RPC client over one byte stream: TCP, a Unix socket, or any
/// pair of halves ([`StreamClientBuilder::run`]).
///
/// As [`WsClient`](crate::WsClient): many calls in flight at once from
/// many tasks (clones share the connection), answers routed back by id,
/// the server's calls served by the router given to
/// [`StreamClientBuilder::serve`], subscriptions, and when the connection
/// ends every pending call fails at once with [`ClientError::Closed`]. It
/// does not reconnect, and has no layers.
///
/// ```
/// use std::sync::Arc;
/// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
/// use rpc_client::EncodedParams;
/// use rpc_runtime::ws::Connection;
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // A server on the other end of a pipe (`rpc_runtime::stream::StreamServer`
/// // serves TCP and Unix listeners the same way).
/// let mut router = Router::new();
/// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
/// let (ours, theirs) = tokio::io::duplex(64 * 1024);
/// let config = StreamConfig::new(Framing::ContentLength);
/// let server = Connection::stream_server(&config, "pipe");
/// let ctx = server.context(Context::builder());
/// let (read, write) = tokio::io::split(theirs);
/// tokio::spawn(server.run_framed(read, write, config.framing, Arc::new(router), ctx));
///
/// // Over TCP: `StreamClient::connect_tcp(addr, Framing::ContentLength).await?`.
/// let (read, write) = tokio::io::split(ours);
/// let client = StreamClient::builder(Framing::ContentLength).run(read, write, "pipe");
/// let sum: i64 = client.request("add", EncodedParams::from_value(&[2, 40])?).await?;
/// assert_eq!(sum, 42);
/// client.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct StreamClient {
    handle: Arc<Handle>,
}

/// The last clone of a client to go closes the connection (and kills the
/// child process it spawned, if any).
#[derive(Debug)]
struct Handle {
    peer: Peer,
    child: tokio::sync::Mutex<Option<Child>>,
    child_id: Option<u32>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.peer.close();
    }
}

impl StreamClient {
    /// Options for a connection in `framing`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::stream::{Framing, StreamClient};
    /// let builder = StreamClient::builder(Framing::Newline).request_timeout(Duration::from_secs(5));
    /// assert_eq!(builder.effective_config().framing, Framing::Newline);
    /// ```
    pub fn builder(framing: Framing) -> StreamClientBuilder {
        StreamClientBuilder::new(framing)
    }

    /// Connects over TCP with the default options.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// // `addr`: a `StreamServer` (newline framing) serving `add`.
    /// let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// let sum: i64 = client.request("add", EncodedParams::from_value(&[2, 3])?).await?;
    /// assert_eq!(sum, 5);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`StreamClientBuilder::connect_tcp`].
    pub async fn connect_tcp(
        addr: impl tokio::net::ToSocketAddrs,
        framing: Framing,
    ) -> Result<Self, ConnectError> {
        Self::builder(framing).connect_tcp(addr).await
    }

    /// Connects to a Unix socket with the default options.
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// use rpc_client::EncodedParams;
    /// use rpc_runtime::{protocol::ErrorObjectOwned, stream::StreamServer, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
    /// let path = std::env::temp_dir().join(format!("rpc-doc-client-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = StreamServer::new(router, StreamConfig::default()).bind_unix(&path)?;
    /// let client = StreamClient::connect_unix(&path, Framing::Newline).await?;
    /// let pong: String = client.request("ping", EncodedParams::none()).await?;
    /// assert_eq!(pong, "pong");
    /// server.shutdown(std::time::Duration::from_secs(1)).await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`StreamClientBuilder::connect_unix`].
    #[cfg(unix)]
    pub async fn connect_unix(
        path: impl AsRef<std::path::Path>,
        framing: Framing,
    ) -> Result<Self, ConnectError> {
        Self::builder(framing).connect_unix(path).await
    }

    /// The connection's [`Peer`]: the handle the calls go through.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// use rpc_client::Caller as _;
    /// // The `Peer` is a `Caller` too, the handle generated clients are generic over.
    /// let peer = client.peer().clone();
    /// let sum: i64 = peer.call("add", EncodedParams::from_value(&[1, 1])?).await?;
    /// assert_eq!(sum, 2);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn peer(&self) -> &Peer {
        &self.handle.peer
    }

    /// The process id of the child the client spawned
    /// ([`StreamClientBuilder::spawn`]), while it runs.
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // `cat` stands in for a language server: it runs until its stdin ends.
    /// let client = StreamClient::builder(Framing::ContentLength).spawn(tokio::process::Command::new("cat"))?;
    /// assert!(client.child_id().is_some());
    /// let status = client.wait_child().await.expect("a child was spawned")?;
    /// assert!(status.success());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn child_id(&self) -> Option<u32> {
        self.handle.child_id
    }

    /// Ends the connection gracefully (the child sees its stdin end) and
    /// waits for the child the client spawned to exit; `None` for a client
    /// that spawned none (or when another call already waited).
    ///
    /// ```
    /// use rpc_client::stream::{Framing, StreamClient};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = StreamClient::builder(Framing::Newline).spawn(tokio::process::Command::new("cat"))?;
    /// // `cat` exits once its stdin ends, which `wait_child` does first.
    /// assert!(client.wait_child().await.expect("a child was spawned")?.success());
    /// assert!(client.wait_child().await.is_none(), "waited for already");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When waiting for the child fails.
    pub async fn wait_child(&self) -> Option<std::io::Result<ExitStatus>> {
        self.close().await;
        let mut child = self.handle.child.lock().await;
        let status = child.as_mut()?.wait().await;
        *child = None;
        Some(status)
    }

    /// Resolves when the connection ends, with why.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// use rpc_runtime::{stream::StreamServer, ws::CloseReason, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = StreamServer::new(Router::new(), StreamConfig::default()).bind_tcp("127.0.0.1:0").await?;
    /// let client = StreamClient::connect_tcp(server.local_addr().ok_or("no address")?, Framing::Newline).await?;
    /// tokio::spawn(async move { server.shutdown(Duration::from_secs(1)).await });
    /// // The server ends its side of the stream.
    /// assert_eq!(client.closed().await, CloseReason::EndOfStream);
    /// # Ok(()) }
    /// ```
    pub async fn closed(&self) -> CloseReason {
        self.handle.peer.closed().await
    }

    /// Closes the connection gracefully (calls the server is making to this
    /// client finish first, then this side ends the stream); calls still
    /// waiting for the server fail with [`ClientError::Closed`]. Returns
    /// once closed.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// use rpc_client::ClientError;
    /// use rpc_runtime::ws::CloseReason;
    /// client.close().await;
    /// assert_eq!(client.closed().await, CloseReason::Local);
    /// let late = client.request::<i64>("add", EncodedParams::from_value(&[1, 2])?).await;
    /// assert!(matches!(late, Err(ClientError::Closed(_))));
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        self.handle.peer.close();
        let _ = self.handle.peer.closed().await;
    }

    /// Calls `method` and decodes its result as `R` (what [`Caller::call`]
    /// does).
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// let sum: i64 = client.request("add", EncodedParams::from_value(&[2, 40])?).await?;
    /// assert_eq!(sum, 42);
    /// // Named params work too: `add` names its arguments `a` and `b`.
    /// let named = EncodedParams::from_value(&serde_json::json!({"a": 1, "b": 2}))?;
    /// let sum: i64 = client.request("add", named).await?;
    /// assert_eq!(sum, 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`WsClient::request`](crate::WsClient::request).
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.handle.peer.call(method, params).await
    }

    /// Sends a notification; returns once it is written.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// client.notify("log", EncodedParams::from_value(&["hello"])?).await?;
    /// // No answer comes for a notification; the server ran it all the same.
    /// let logged: usize = client.request("logged", EncodedParams::none()).await?;
    /// assert_eq!(logged, 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone.
    pub async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        self.handle.peer.notify(method, params).await
    }

    /// Sends a batch; each call's answer, matched by id.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// use rpc_client::BatchRequest;
    /// let mut batch = BatchRequest::new();
    /// let small = batch.call::<i64>("add", EncodedParams::from_value(&[1, 2])?);
    /// let large = batch.call::<i64>("add", EncodedParams::from_value(&[100, 200])?);
    /// batch.notify("log", EncodedParams::from_value(&["sent a batch"])?);
    /// let response = client.batch(batch).await?;
    /// assert_eq!((response.get(small)?, response.get(large)?), (3, 300));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`WsClient::batch`](crate::WsClient::batch).
    pub async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        self.handle.peer.batch(batch).await
    }

    /// Sends a hand-made message and returns its answer, as
    /// [`Peer::send_raw`] does.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// let answer = client.send(r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"raw"}"#).await?;
    /// assert_eq!(answer, r#"{"jsonrpc":"2.0","result":3,"id":"raw"}"#);
    /// assert_eq!(client.send(r#"{"jsonrpc":"2.0","method":"log"}"#).await?, "", "a notification has no answer");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Peer::send_raw`].
    pub async fn send(&self, raw: &str) -> Result<String, ClientError> {
        self.handle.peer.send_raw(raw).await
    }

    /// Subscribes on the server, as [`Peer::subscribe`] does.
    ///
    /// ```
    /// # use rpc_client::stream::{Framing, StreamClient, StreamConfig};
    /// # use rpc_client::EncodedParams;
    /// # use rpc_runtime::stream::StreamServer;
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, subscription::PendingSubscription, Router};
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// # use std::sync::Arc;
    /// # static LOGGED: AtomicUsize = AtomicUsize::new(0);
    /// # async fn server() -> Result<std::net::SocketAddr, Box<dyn std::error::Error>> {
    /// #     let mut router = Router::new();
    /// #     router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// #     router.register_sync("log", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.fetch_add(1, Ordering::SeqCst)))?;
    /// #     router.register_sync("logged", |_, _| Ok::<_, ErrorObjectOwned>(LOGGED.load(Ordering::SeqCst)))?;
    /// #     router.register_subscription("subscribe_count", "count", "unsubscribe_count", &["from"],
    /// #         |(from,): (i64,), pending: PendingSubscription<i64>, _| async move {
    /// #             let Ok(sink) = pending.accept() else { return };
    /// #             for n in from..from + 3 { if sink.send(&n).await.is_err() { return } }
    /// #             sink.closed().await;
    /// #         })?;
    /// #     let handle = StreamServer::new(router, StreamConfig::new(Framing::Newline)).bind_tcp("127.0.0.1:0").await?;
    /// #     Ok(handle.local_addr().ok_or("no address")?)
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let addr = server().await?;
    /// # let client = StreamClient::connect_tcp(addr, Framing::Newline).await?;
    /// use futures_util::StreamExt as _;
    /// let params = EncodedParams::from_value(&[7])?;
    /// let mut counts = client.subscribe::<i64>("subscribe_count", params, "count", "unsubscribe_count").await?;
    /// assert_eq!(counts.next().await.transpose()?, Some(7));
    /// assert_eq!(counts.next().await.transpose()?, Some(8));
    /// assert!(counts.unsubscribe().await?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Peer::subscribe`].
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        self.handle
            .peer
            .subscribe(method, params, notification, unsubscribe)
            .await
    }
}

impl StreamClientBuilder {
    pub(super) fn start<R, W>(
        self,
        reader: R,
        writer: W,
        transport: &'static str,
        child: Option<Child>,
    ) -> StreamClient
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let config = self.effective_config();
        let generator = self.ids;
        let connection = Connection::stream_client(&config, transport)
            .with_ids(Arc::new(move || generator.next_id()));
        let peer = connection.peer();
        let ctx: Context = connection.context(Context::builder());
        tracing::debug!(target: "rpc_client::stream", transport, framing = %config.framing, "connected");
        tokio::spawn(connection.run_framed(reader, writer, config.framing, self.router, ctx));
        let child_id = child.as_ref().and_then(Child::id);
        StreamClient {
            handle: Arc::new(Handle {
                peer,
                child: tokio::sync::Mutex::new(child),
                child_id,
            }),
        }
    }
}

impl Caller for StreamClient {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.request(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        StreamClient::notify(self, method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        StreamClient::batch(self, batch).await
    }

    async fn subscribe<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        StreamClient::subscribe(self, method, params, notification, unsubscribe).await
    }
}

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
use crate::ws::ConnectError;

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
    pub fn builder(framing: Framing) -> StreamClientBuilder {
        StreamClientBuilder::new(framing)
    }

    /// Connects over TCP with the default options.
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
    #[must_use]
    pub fn peer(&self) -> &Peer {
        &self.handle.peer
    }

    /// The process id of the child the client spawned
    /// ([`StreamClientBuilder::spawn`]), while it runs.
    #[must_use]
    pub fn child_id(&self) -> Option<u32> {
        self.handle.child_id
    }

    /// Ends the connection gracefully (the child sees its stdin end) and
    /// waits for the child the client spawned to exit; `None` for a client
    /// that spawned none (or when another call already waited).
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
    pub async fn closed(&self) -> CloseReason {
        self.handle.peer.closed().await
    }

    /// Closes the connection gracefully (calls the server is making to this
    /// client finish first, then this side ends the stream); calls still
    /// waiting for the server fail with [`ClientError::Closed`]. Returns
    /// once closed.
    pub async fn close(&self) {
        self.handle.peer.close();
        let _ = self.handle.peer.closed().await;
    }

    /// Calls `method` and decodes its result as `R` (what [`Caller::call`]
    /// does).
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
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone.
    pub async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        self.handle.peer.notify(method, params).await
    }

    /// Sends a batch; each call's answer, matched by id.
    ///
    /// # Errors
    /// As [`WsClient::batch`](crate::WsClient::batch).
    pub async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        self.handle.peer.batch(batch).await
    }

    /// Sends a hand-made message and returns its answer, as
    /// [`Peer::send_raw`] does.
    ///
    /// # Errors
    /// As [`Peer::send_raw`].
    pub async fn send(&self, raw: &str) -> Result<String, ClientError> {
        self.handle.peer.send_raw(raw).await
    }

    /// Subscribes on the server, as [`Peer::subscribe`] does.
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

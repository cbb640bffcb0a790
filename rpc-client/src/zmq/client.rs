//! [`ZmqClient`]: calls over a REQ or DEALER socket.

use std::sync::Arc;

use rpc_runtime::client::{
    decode_batch_response, decode_response, write_batch_request, BatchRequest, BatchResponse,
    Caller, ClientError,
};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::{write_notification, write_request};
use rpc_runtime::zmq::{SocketType, ZmqEndpoint};
use serde::de::DeserializeOwned;

use super::dealer::Dealer;
use super::link::{Settings, LOG_TARGET};
use super::req::Req;
use super::ZmqClientBuilder;
use crate::error::ConnectError;

/// A JSON-RPC client on a ZeroMQ socket, to a REP or ROUTER server (ours,
/// `ZmqServer`, or any other).
///
/// - [`connect_req`](Self::connect_req): a REQ socket, one call at a time
///   as REQ requires; concurrent callers queue in turn. A notification
///   waits for the server's (empty) reply. After a failure or a timeout
///   the socket is dropped and the next call opens a new one (ZeroMQ's
///   "Lazy Pirate" pattern: a REQ that missed a reply cannot go on).
/// - [`connect_dealer`](Self::connect_dealer): a DEALER socket, many
///   calls in flight at once from many tasks, on the connection driver
///   the WebSocket and stream clients use (`Connection::run_zmq`): each
///   reply is matched to its call by id, an error with id `null` (the
///   server's refusal of a message it could not read, e.g. too large)
///   fails the oldest batch none of whose calls is answered yet or, with
///   none, the oldest single call waiting, as on the other clients. To a REP server each message carries the empty delimiter
///   REP needs. If the connection ends, the calls waiting fail with
///   [`ClientError::Closed`] and the next call reconnects.
///
/// Clones share the socket. Subscriptions are not supported over ZeroMQ
/// ([`ClientError::Unsupported`]). Every message sent and received is a
/// `trace` event under target `rpc_client::zmq`.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::{EncodedParams, ZmqClient};
/// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut router = Router::new();
/// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
/// let server = ZmqServer::new(router, ZmqConfig::default());
/// let handle = server.bind_router("tcp://127.0.0.1:0").await?;
/// let endpoint = handle.local_endpoint().to_string();
///
/// let dealer = ZmqClient::connect_dealer(&endpoint).await?;
/// let (a, b) = tokio::join!(
///     dealer.request::<i64>("add", EncodedParams::from_value(&[1, 2])?),
///     dealer.request::<i64>("add", EncodedParams::from_value(&[3, 4])?),
/// );
/// assert_eq!((a?, b?), (3, 7));
///
/// let req = ZmqClient::builder()
///     .request_timeout(Duration::from_secs(5))
///     .connect_req(&endpoint)
///     .await?;
/// req.notify("add", EncodedParams::from_value(&[0, 0])?).await?;
/// assert_eq!(req.request::<i64>("add", EncodedParams::from_value(&[20, 22])?).await?, 42);
/// handle.shutdown(Duration::from_secs(1)).await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ZmqClient {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) settings: Settings,
    pub(super) socket: Socket,
}

pub(super) enum Socket {
    Req(Req),
    Dealer(Dealer),
}

impl std::fmt::Debug for ZmqClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZmqClient")
            .field("socket_type", &self.socket_type())
            .field("endpoint", &self.inner.settings.endpoint)
            .finish_non_exhaustive()
    }
}

impl ZmqClient {
    pub(super) fn from_parts(settings: Settings, socket: Socket) -> Self {
        Self {
            inner: Arc::new(Inner { settings, socket }),
        }
    }

    /// Options: timeouts, the size limit, ids.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::{ClientError, EncodedParams, ZmqClient};
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_async("slow", |_, _| async {
    ///     tokio::time::sleep(Duration::from_secs(10)).await;
    ///     Ok::<_, ErrorObjectOwned>(())
    /// })?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    ///
    /// let client = ZmqClient::builder()
    ///     .request_timeout(Duration::from_millis(50))
    ///     .connect_dealer(&handle.local_endpoint().to_string())
    ///     .await?;
    /// let late = client.request::<()>("slow", EncodedParams::none()).await;
    /// assert!(matches!(late, Err(ClientError::Timeout(_))));
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ZmqClientBuilder {
        ZmqClientBuilder::new()
    }

    /// Connects a REQ socket to `endpoint` (`tcp://host:port`,
    /// `ipc://path`) with the default options.
    ///
    /// ```
    /// use rpc_client::{EncodedParams, ZmqClient};
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_rep("tcp://127.0.0.1:0").await?;
    ///
    /// let client = ZmqClient::connect_req(&handle.local_endpoint().to_string()).await?;
    /// // REQ is one call at a time: concurrent callers take turns.
    /// let (a, b) = tokio::join!(
    ///     client.request::<i64>("add", EncodedParams::from_value(&[1, 2])?),
    ///     client.request::<i64>("add", EncodedParams::from_value(&[3, 4])?),
    /// );
    /// assert_eq!((a?, b?), (3, 7));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ZmqClientBuilder::connect_req`].
    pub async fn connect_req(endpoint: &str) -> Result<Self, ConnectError> {
        Self::builder().connect_req(endpoint).await
    }

    /// Connects a DEALER socket to `endpoint` with the default options.
    ///
    /// ```
    /// use rpc_client::{EncodedParams, ZmqClient};
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    ///
    /// let client = ZmqClient::connect_dealer(&handle.local_endpoint().to_string()).await?;
    /// // Clones share the socket; their calls are in flight at once.
    /// let tasks: Vec<_> = (0..4_i64)
    ///     .map(|i| {
    ///         let client = client.clone();
    ///         tokio::spawn(async move { client.request::<i64>("add", EncodedParams::from_value(&[i, i])?).await })
    ///     })
    ///     .collect();
    /// let mut sums = Vec::new();
    /// for task in tasks {
    ///     sums.push(task.await??);
    /// }
    /// assert_eq!(sums, [0, 2, 4, 6]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`ZmqClientBuilder::connect_dealer`].
    pub async fn connect_dealer(endpoint: &str) -> Result<Self, ConnectError> {
        Self::builder().connect_dealer(endpoint).await
    }

    /// REQ or DEALER.
    ///
    /// ```
    /// use rpc_client::zmq::SocketType;
    /// use rpc_client::ZmqClient;
    /// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// # let endpoint = handle.local_endpoint().to_string();
    /// assert_eq!(ZmqClient::connect_req(&endpoint).await?.socket_type(), SocketType::Req);
    /// assert_eq!(ZmqClient::connect_dealer(&endpoint).await?.socket_type(), SocketType::Dealer);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn socket_type(&self) -> SocketType {
        match self.inner.socket {
            Socket::Req(_) => SocketType::Req,
            Socket::Dealer(_) => SocketType::Dealer,
        }
    }

    /// The endpoint it connects to.
    ///
    /// ```
    /// use rpc_client::ZmqClient;
    /// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// # let endpoint = handle.local_endpoint().to_string();
    /// // `endpoint` is the server's, e.g. "tcp://127.0.0.1:40123".
    /// let client = ZmqClient::connect_dealer(&endpoint).await?;
    /// assert_eq!(client.endpoint(), handle.local_endpoint());
    /// assert_eq!(client.endpoint().to_string(), endpoint);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn endpoint(&self) -> &ZmqEndpoint {
        &self.inner.settings.endpoint
    }

    /// Closes the connection (calls waiting on a DEALER fail with
    /// [`ClientError::Closed`]); the next call opens a new one.
    ///
    /// ```
    /// use rpc_client::{EncodedParams, ZmqClient};
    /// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// # let endpoint = handle.local_endpoint().to_string();
    /// let client = ZmqClient::connect_dealer(&endpoint).await?;
    /// client.close().await;
    /// // Closed, not finished: this call reconnects.
    /// assert_eq!(client.request::<i64>("add", EncodedParams::from_value(&[1, 2])?).await?, 3);
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) {
        match &self.inner.socket {
            Socket::Req(req) => req.close().await,
            Socket::Dealer(dealer) => dealer.close().await,
        }
    }

    /// Calls `method` and decodes its result as `R` (what [`Caller::call`]
    /// does).
    ///
    /// ```
    /// use rpc_client::{ClientError, EncodedParams, ZmqClient};
    /// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// # let endpoint = handle.local_endpoint().to_string();
    /// let client = ZmqClient::connect_dealer(&endpoint).await?;
    /// let sum: i64 = client.request("add", EncodedParams::from_value(&[40, 2])?).await?;
    /// assert_eq!(sum, 42);
    /// // The server's error object, here "Method not found".
    /// let missing = client.request::<i64>("sub", EncodedParams::none()).await;
    /// assert!(matches!(missing, Err(ClientError::Rpc(error)) if error.code == -32601));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Rpc`] with the server's error object,
    /// [`ClientError::Timeout`] past the request timeout,
    /// [`ClientError::Transport`] or [`ClientError::Closed`] when the
    /// connection fails, [`ClientError::InvalidResponse`] or
    /// [`ClientError::Decode`] for a reply that does not fit.
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        let req = match &self.inner.socket {
            Socket::Dealer(dealer) => {
                return dealer
                    .peer(&self.inner.settings)
                    .await?
                    .call(method, params)
                    .await
            }
            Socket::Req(req) => req,
        };
        let id = self.inner.settings.ids.next_id();
        let mut body = String::with_capacity(64);
        write_request(&mut body, method, params.as_json(), Some(&id));
        let reply = req.exchange(&self.inner.settings, &body).await?;
        if reply.trim().is_empty() {
            return Err(ClientError::InvalidResponse(
                rpc_runtime::client::InvalidResponse::new("an empty reply to a call"),
            ));
        }
        decode_response(&reply, &id)
    }

    /// Sends a notification: over DEALER returns once it is written; over
    /// REQ once the server's reply (empty, from our servers) came.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use rpc_client::{EncodedParams, ZmqClient};
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let mut router = Router::new();
    /// let counter = seen.clone();
    /// router.register_sync("log", move |_, _| {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    ///     Ok::<_, ErrorObjectOwned>(())
    /// })?;
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_rep("tcp://127.0.0.1:0").await?;
    ///
    /// let client = ZmqClient::connect_req(&handle.local_endpoint().to_string()).await?;
    /// client.notify("log", EncodedParams::from_value(&["hello"])?).await?;
    /// // Over REQ the server's empty reply came back: the handler has run.
    /// assert_eq!(seen.load(Ordering::SeqCst), 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// When the connection fails, or (REQ) the reply does not come in time.
    pub async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        let req = match &self.inner.socket {
            Socket::Dealer(dealer) => {
                return dealer
                    .peer(&self.inner.settings)
                    .await?
                    .notify(method, params)
                    .await
            }
            Socket::Req(req) => req,
        };
        let mut body = String::with_capacity(64);
        write_notification(&mut body, method, params.as_json());
        let reply = req.exchange(&self.inner.settings, &body).await?;
        if !reply.is_empty() {
            tracing::debug!(target: LOG_TARGET, method, body = reply, "ignoring a reply to a notification");
        }
        Ok(())
    }

    /// Sends a batch in one message; each call's answer, matched by id (an
    /// empty batch is not sent).
    ///
    /// ```
    /// use rpc_client::{BatchRequest, EncodedParams, ZmqClient};
    /// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mut router = Router::new();
    /// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
    /// # let endpoint = handle.local_endpoint().to_string();
    /// let client = ZmqClient::connect_dealer(&endpoint).await?;
    /// let mut batch = BatchRequest::new();
    /// let a = batch.call::<i64>("add", EncodedParams::from_value(&[1, 2])?);
    /// let b = batch.call::<i64>("add", EncodedParams::from_value(&[3, 4])?);
    /// batch.notify("add", EncodedParams::from_value(&[0, 0])?);
    /// let response = client.batch(batch).await?;
    /// assert_eq!((response.get(a)?, response.get(b)?), (3, 7));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`request`](Self::request), and when a call has no answer.
    pub async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        if batch.is_empty() {
            return decode_batch_response("[]", &[]);
        }
        let req = match &self.inner.socket {
            Socket::Dealer(dealer) => {
                return dealer.peer(&self.inner.settings).await?.batch(batch).await
            }
            Socket::Req(req) => req,
        };
        let (body, ids) = write_batch_request(&batch, || self.inner.settings.ids.next_id());
        let reply = req.exchange(&self.inner.settings, &body).await?;
        if ids.is_empty() {
            // Notifications only: nothing to read, whatever came back.
            return decode_batch_response("[]", &[]);
        }
        decode_batch_response(&reply, &ids)
    }
}

impl Caller for ZmqClient {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.request(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        ZmqClient::notify(self, method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        ZmqClient::batch(self, batch).await
    }
}

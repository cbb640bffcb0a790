//! The options of a [`ZmqClient`].

use std::sync::Arc;
use std::time::Duration;

use rpc_runtime::zmq::{SocketType, ZmqEndpoint};

use super::client::Socket;
use super::dealer::Dealer;
use super::link::Settings;
use super::req::Req;
use super::ZmqClient;
use crate::error::{ConnectError, CONNECT_TIMEOUT as DEFAULT_CONNECT_TIMEOUT};
use crate::id::{DecimalIds, IdGenerator};
use crate::BuildError;

/// Options for a [`ZmqClient`], from [`ZmqClient::builder`]: the setters
/// of the other clients that apply to ZeroMQ.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use rpc_client::id::{DecimalIds, HexIds, IdGenerator};
/// use rpc_client::{BuildError, ConnectError, EncodedParams, ZmqClient};
/// # use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
/// # use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mut router = Router::new();
/// # router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
/// # let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
/// # let endpoint = handle.local_endpoint().to_string();
/// let builder = ZmqClient::builder()
///     .request_timeout(Duration::from_secs(5))
///     .connect_timeout(Duration::from_secs(1))
///     .max_message_size(1 << 20)
///     .id_generator(HexIds::new());
/// let shown = format!("{builder:?}");
/// assert!(shown.contains("request_timeout: Some(5s)"), "{shown}");
/// assert!(shown.contains("max_message_size: 1048576"), "{shown}");
/// let bad = builder.connect_dealer("http://127.0.0.1:1").await;
/// assert!(matches!(bad, Err(ConnectError::Build(BuildError::InvalidUrl { .. }))));
///
/// // No connect timeout, and ids shared with other clients: this client
/// // takes id 1, so the next one handed out is 2.
/// let ids: Arc<dyn IdGenerator> = Arc::new(DecimalIds::new());
/// let client = ZmqClient::builder()
///     .connect_timeout(None)
///     .shared_id_generator(ids.clone())
///     .connect_req(&endpoint)
///     .await?;
/// assert_eq!(client.request::<i64>("add", EncodedParams::from_value(&[1, 2])?).await?, 3);
/// assert_eq!(ids.next_id().as_json(), "2");
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until `connect_req` or `connect_dealer`"]
pub struct ZmqClientBuilder {
    request_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_message_size: usize,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for ZmqClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZmqClientBuilder")
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_message_size", &self.max_message_size)
            .finish_non_exhaustive()
    }
}

impl ZmqClientBuilder {
    pub(super) fn new() -> Self {
        Self {
            request_timeout: None,
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            max_message_size: 10 << 20,
            ids: Arc::new(DecimalIds::new()),
        }
    }

    /// How long each call (and each batch) waits for its reply (default:
    /// no limit). Over REQ, a call that times out drops the socket; the
    /// next opens a new one.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// How long connecting (TCP and the ZMTP handshake) may take (`None`:
    /// no limit). Default 10 s.
    pub fn connect_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.connect_timeout = timeout.into();
        self
    }

    /// The largest reply accepted (default 10 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Makes the ids of calls with `generator` (default [`DecimalIds`]).
    pub fn id_generator(self, generator: impl IdGenerator + 'static) -> Self {
        self.shared_id_generator(Arc::new(generator))
    }

    /// Makes the ids of calls with a generator shared with other clients.
    pub fn shared_id_generator(mut self, generator: Arc<dyn IdGenerator>) -> Self {
        self.ids = generator;
        self
    }

    fn settings(self, endpoint: &str) -> Result<Settings, ConnectError> {
        let parsed: ZmqEndpoint =
            endpoint
                .parse()
                .map_err(|e: rpc_runtime::zmq::EndpointError| {
                    ConnectError::Build(BuildError::InvalidUrl {
                        url: endpoint.to_owned(),
                        reason: e.reason.to_owned(),
                    })
                })?;
        Ok(Settings {
            endpoint: parsed,
            request_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            max_message_size: self.max_message_size,
            ids: self.ids,
        })
    }

    /// Connects a REQ socket to `endpoint` (`tcp://host:port`,
    /// `ipc://path`). Unlike libzmq, which connects in the background,
    /// the first connection is made here, so a wrong endpoint fails now.
    ///
    /// ```
    /// use rpc_client::{ClientError, ConnectError, ZmqClient};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// // Nothing listens on port 9.
    /// let refused = ZmqClient::builder().connect_req("tcp://127.0.0.1:9").await;
    /// assert!(matches!(refused, Err(ConnectError::Connect(ClientError::Transport(_)))));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`ConnectError::Build`] with [`BuildError::InvalidUrl`] for an
    /// endpoint that is not `tcp://` or `ipc://`; [`ConnectError::Connect`]
    /// with [`ClientError::Transport`](crate::ClientError::Transport) when
    /// the server cannot be reached or the handshake fails (a socket type
    /// REQ cannot talk to), [`ClientError::Timeout`](crate::ClientError::Timeout)
    /// after the connect timeout.
    pub async fn connect_req(self, endpoint: &str) -> Result<ZmqClient, ConnectError> {
        let settings = self.settings(endpoint)?;
        let link = settings.open(SocketType::Req).await?;
        Ok(ZmqClient::from_parts(settings, Socket::Req(Req::new(link))))
    }

    /// Connects a DEALER socket to `endpoint`; see
    /// [`connect_req`](Self::connect_req). Needs a Tokio runtime.
    ///
    /// ```
    /// use std::time::Duration;
    /// use rpc_client::zmq::SocketType;
    /// use rpc_client::{EncodedParams, ZmqClient};
    /// use rpc_runtime::zmq::{ZmqConfig, ZmqServer};
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut router = Router::new();
    /// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b))?;
    /// // A DEALER may talk to a REP server too (each message gets the
    /// // delimiter REP needs), one call at a time on the server's side.
    /// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_rep("tcp://127.0.0.1:0").await?;
    /// let client = ZmqClient::builder()
    ///     .request_timeout(Duration::from_secs(5))
    ///     .connect_dealer(&handle.local_endpoint().to_string())
    ///     .await?;
    /// assert_eq!(client.socket_type(), SocketType::Dealer);
    /// assert_eq!(client.request::<i64>("add", EncodedParams::from_value(&[1, 2])?).await?, 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`connect_req`](Self::connect_req).
    pub async fn connect_dealer(self, endpoint: &str) -> Result<ZmqClient, ConnectError> {
        let settings = self.settings(endpoint)?;
        let link = settings.open(SocketType::Dealer).await?;
        let dealer = Dealer::new(&settings, link);
        Ok(ZmqClient::from_parts(settings, Socket::Dealer(dealer)))
    }
}

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use rpc_runtime::client::{BatchRequest, BatchResponse, Caller, ClientError, Subscription};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::ws::{CloseReason, Connection, IdSource, Peer, Resubscriber, WsConfig};
use rpc_runtime::{Context, Router};
use serde::de::DeserializeOwned;
use tokio::sync::{watch, Notify};

use super::connect::{open, Socket};
use super::{ConnectionState, ReconnectPolicy, WsClientBuilder, WsTransport};
use crate::error::ConnectError;
use crate::middleware::{BoxClientService, ClientLayers, ClientRequest, ClientService};
use crate::tls::TlsOptions;

/// A JSON-RPC client over one WebSocket.
///
/// Many calls may be in flight at once, from many tasks (clone the client:
/// clones share the connection); responses are routed back by id, in
/// whatever order they come. The server may call the methods given to
/// [`WsClientBuilder::serve`]. When the connection drops, every pending call
/// fails at once with [`ClientError::Closed`]; with a
/// [`ReconnectPolicy`] new calls get a new connection. Layers given to
/// [`WsClientBuilder::layer`] wrap every call, notification and batch it
/// sends (see [`middleware`](crate::middleware)).
///
/// ```no_run
/// use rpc_client::{EncodedParams, WsClient};
/// # async fn demo() -> Result<(), rpc_client::ClientError> {
/// let client = WsClient::connect("ws://127.0.0.1:9944/").await?;
/// let sum: i64 = client.request("add", EncodedParams::from_value(&[1, 2])?).await?;
/// client.notify("log", EncodedParams::from_value(&["done"])?).await?;
/// client.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct WsClient {
    handle: Arc<Handle>,
}

/// The last clone of a client to go closes the connection.
#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
    /// The layers over a [`WsTransport`], if any were given.
    layers: Option<BoxClientService>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.request_stop();
    }
}

/// What the client's clones and its supervisor task share.
pub(super) struct Shared {
    url: String,
    headers: HeaderMap,
    config: WsConfig,
    connect_timeout: Option<Duration>,
    /// The client's id generator, for every connection in turn.
    ids: IdSource,
    router: Arc<Router>,
    reconnect: Option<ReconnectPolicy>,
    tls: TlsOptions,
    /// The current connection's handle, if one is up.
    peer: watch::Sender<Option<Peer>>,
    state: watch::Sender<ConnectionState>,
    stopping: AtomicBool,
    stop: Notify,
    /// The subscriptions made again after each reconnect (used only with a
    /// reconnect policy).
    resubscriber: Resubscriber,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsClient")
            .field("url", &self.url)
            .field("state", &*self.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn request_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_one();
        if let Some(peer) = &*self.peer.borrow() {
            peer.close();
        }
    }

    fn set(&self, state: ConnectionState, peer: Option<Peer>) {
        self.peer.send_replace(peer);
        self.state.send_replace(state);
    }

    /// The current connection's handle; while reconnecting, waits for the
    /// next one (within the request timeout).
    pub(super) async fn peer(&self) -> Result<Peer, ClientError> {
        if let Some(peer) = &*self.peer.borrow() {
            if !peer.is_closed() {
                return Ok(peer.clone());
            }
        }
        let mut peers = self.peer.subscribe();
        let mut states = self.state.subscribe();
        let wait = async {
            loop {
                if let Some(peer) = &*peers.borrow_and_update() {
                    if !peer.is_closed() {
                        return Ok(peer.clone());
                    }
                }
                match &*states.borrow_and_update() {
                    ConnectionState::Disconnected(reason) => {
                        return Err(ClientError::Closed(reason.clone()))
                    }
                    ConnectionState::Closed => return Err(ClientError::Closed(CloseReason::Local)),
                    _ => {}
                }
                tokio::select! {
                    changed = peers.changed() => changed,
                    changed = states.changed() => changed,
                }
                .map_err(|_| ClientError::Closed(CloseReason::Local))?;
            }
        };
        match self.config.request_timeout {
            Some(limit) => tokio::time::timeout(limit, wait)
                .await
                .map_err(|_| ClientError::Timeout(limit))?,
            None => wait.await,
        }
    }
}

impl WsClient {
    /// Connects with the default options.
    ///
    /// # Errors
    /// As [`WsClientBuilder::connect`].
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        Self::builder(url).connect().await
    }

    /// Options for a connection to `url` (`ws://host:port/path`).
    pub fn builder(url: &str) -> WsClientBuilder {
        WsClientBuilder::new(url)
    }

    pub(crate) async fn start<L>(builder: WsClientBuilder<L>) -> Result<Self, ClientError>
    where
        L: ClientLayers<WsTransport>,
    {
        let config = builder.effective_config();
        let socket = open(
            &builder.url,
            &builder.headers,
            &config,
            &builder.tls,
            builder.connect_timeout,
        )
        .await?;
        tracing::debug!(target: "rpc_client::ws", url = %builder.url, "connected");
        let generator = builder.ids;
        let shared = Arc::new(Shared {
            url: builder.url,
            headers: builder.headers,
            config,
            connect_timeout: builder.connect_timeout,
            ids: Arc::new(move || generator.next_id()),
            router: builder.router,
            reconnect: builder.reconnect,
            tls: builder.tls,
            peer: watch::Sender::new(None),
            state: watch::Sender::new(ConnectionState::Connected),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
            resubscriber: Resubscriber::default(),
        });
        let connection = Connection::client(shared.config.clone()).with_ids(shared.ids.clone());
        // Set before returning, so the first call finds the connection.
        shared.set(ConnectionState::Connected, Some(connection.peer()));
        tokio::spawn(supervise(shared.clone(), connection, socket));
        let layers = builder.layers.wrap(WsTransport::new(Arc::clone(&shared)));
        Ok(Self {
            handle: Arc::new(Handle { shared, layers }),
        })
    }

    /// Where the connection stands now.
    #[must_use]
    pub fn state(&self) -> ConnectionState {
        self.handle.shared.state.borrow().clone()
    }

    /// A receiver that sees every change of [`state`](Self::state).
    #[must_use]
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.handle.shared.state.subscribe()
    }

    /// Resolves when the current connection drops (at once if none is up),
    /// with why.
    pub async fn disconnected(&self) -> CloseReason {
        let peer = self.handle.shared.peer.borrow().clone();
        match peer {
            Some(peer) => peer.closed().await,
            None => match self.state() {
                ConnectionState::Disconnected(reason)
                | ConnectionState::Reconnecting { reason, .. } => reason,
                _ => CloseReason::Local,
            },
        }
    }

    /// Closes the connection gracefully (calls the server is making to this
    /// client finish first) and stops reconnecting; calls still waiting for
    /// the server fail with [`ClientError::Closed`]. Returns once closed.
    pub async fn close(&self) {
        let shared = &self.handle.shared;
        shared.request_stop();
        let mut state = shared.state.subscribe();
        let _ = state
            .wait_for(|s| {
                matches!(
                    s,
                    ConnectionState::Closed | ConnectionState::Disconnected(_)
                )
            })
            .await;
    }
}

impl WsClient {
    /// Calls `method` and decodes its result as `R`, through the client's
    /// [layers](crate::middleware) (the same path as [`Caller::call`]).
    ///
    /// ```no_run
    /// use rpc_client::{EncodedParams, WsClient};
    /// # async fn demo() -> Result<(), rpc_client::ClientError> {
    /// let client = WsClient::connect("ws://127.0.0.1:9944/").await?;
    /// let sum: i64 = client.request("add", EncodedParams::from_value(&[1, 2])?).await?;
    /// # let _ = sum;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Rpc`] for the server's error, [`ClientError::Decode`]
    /// for a result that is not an `R`, [`ClientError::Timeout`] after the
    /// request timeout, [`ClientError::Closed`] when the connection is
    /// gone (or drops before the answer), [`ClientError::Transport`] when
    /// the call's id is in use by another call waiting.
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        match &self.handle.layers {
            None => self.handle.shared.peer().await?.call(method, params).await,
            Some(layers) => layers
                .call(ClientRequest::call(method, params))
                .await?
                .into_result(),
        }
    }

    /// Sends a notification: a call without an id, which gets no answer.
    /// Returns once the message is queued on the connection.
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone.
    pub async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        match &self.handle.layers {
            None => {
                self.handle
                    .shared
                    .peer()
                    .await?
                    .notify(method, params)
                    .await
            }
            Some(layers) => layers
                .call(ClientRequest::notification(method, params))
                .await?
                .into_notified(),
        }
    }

    /// Sends a batch of calls and notifications as one message; each call's
    /// typed result is then read from the [`BatchResponse`] with its slot.
    /// An empty batch is not sent; a batch of notifications only returns
    /// once queued.
    ///
    /// ```no_run
    /// use rpc_client::{BatchRequest, EncodedParams, WsClient};
    /// # async fn demo() -> Result<(), rpc_client::ClientError> {
    /// let client = WsClient::connect("ws://127.0.0.1:9944/").await?;
    /// let mut batch = BatchRequest::new();
    /// let sum = batch.call::<i64>("add", EncodedParams::from_value(&[1, 2])?);
    /// batch.notify("log", EncodedParams::from_value(&["sent a batch"])?);
    /// let response = client.batch(batch).await?;
    /// println!("{}", response.get(sum)?);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As for [`request`](Self::request), for the batch as a whole; one
    /// call's own error comes from [`BatchResponse::get`].
    pub async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        match &self.handle.layers {
            None => self.handle.shared.peer().await?.batch(batch).await,
            Some(layers) => layers.call(ClientRequest::batch(batch)).await?.into_batch(),
        }
    }

    /// Sends a hand-made message (anything: a request, a batch, a
    /// notification, even invalid JSON) as one text frame and returns its
    /// answer as text, as [`HttpClient::send`](crate::HttpClient::send)
    /// does. It does not pass through the client's
    /// [layers](crate::middleware).
    ///
    /// How the answer is recognised: by the ids in the message, read as a
    /// server reads them. A message with requests with a string or number
    /// `id` waits for the responses with those ids (matched as calls' are,
    /// within the request timeout) and returns the one response, or for an
    /// array a JSON array of the responses in the order of their requests;
    /// each response is re-written from what came (`jsonrpc`, `result` or
    /// `error`, `id`, their values as received). A message without such an
    /// id (a notification, a batch of notifications, text that is not
    /// JSON, an id `null`) returns `""` once sent, like a `204` over HTTP;
    /// the errors with id `null` a server answers it with are dropped.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rpc_client::ClientError> {
    /// let client = rpc_client::WsClient::connect("ws://127.0.0.1:9944/").await?;
    /// let raw = client.send(r#"{"jsonrpc":"2.0","method":"ping","id":"x"}"#).await?;
    /// println!("{raw}"); // {"jsonrpc":"2.0","result":"pong","id":"x"}
    /// assert_eq!(client.send(r#"{"jsonrpc":"2.0","method":"log"}"#).await?, "");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Closed`] when the connection is gone,
    /// [`ClientError::Timeout`] after the request timeout,
    /// [`ClientError::Transport`] when an id of the message is used by a
    /// call waiting.
    pub async fn send(&self, raw: &str) -> Result<String, ClientError> {
        self.handle.shared.peer().await?.send_raw(raw).await
    }

    /// Subscribes: calls `method` (which answers a subscription id) and
    /// returns the typed stream of the items the server pushes as
    /// notifications of method `notification`. `unsubscribe` is called by
    /// [`Subscription::unsubscribe`] and when the stream is dropped.
    /// Without a reconnect policy the stream ends when the connection does.
    /// With one, the subscription is made again on each new connection
    /// (to whichever server answers) and the stream just goes on: resumed
    /// after the last position it received when the topic keeps history
    /// (`since` is added to `params`, see
    /// [`Resubscriber`](rpc_runtime::ws::Resubscriber)), else live, after
    /// a [`SubscriptionError::Gap`](rpc_runtime::client::SubscriptionError::Gap)
    /// item. Generated clients call this for each `#[subscription]` method.
    ///
    /// ```no_run
    /// # async fn run(client: rpc_client::WsClient) -> Result<(), rpc_client::ClientError> {
    /// use futures_util::StreamExt as _;
    /// use rpc_runtime::params::EncodedParams;
    /// let params = EncodedParams::from_value(&(1, 100))?;
    /// let mut counts = client.subscribe::<i64>("subscribe_count", params, "count", "unsubscribe_count").await?;
    /// if let Some(Ok(first)) = counts.next().await {
    ///     assert_eq!(first, 1);
    /// }
    /// counts.unsubscribe().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The subscribe call's error, or the connection's.
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        let shared = &self.handle.shared;
        let peer = shared.peer().await?;
        if shared.reconnect.is_some() {
            return shared
                .resubscriber
                .subscribe(&peer, method, params, notification, unsubscribe)
                .await;
        }
        peer.subscribe(method, params, notification, unsubscribe)
            .await
    }
}

impl Caller for WsClient {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.request(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        WsClient::notify(self, method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        WsClient::batch(self, batch).await
    }

    async fn subscribe<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        WsClient::subscribe(self, method, params, notification, unsubscribe).await
    }
}

/// Runs each connection in turn: the first, then, under the reconnect
/// policy, the next ones.
async fn supervise(shared: Arc<Shared>, mut connection: Connection, mut socket: Socket) {
    let mut first = true;
    loop {
        let peer = connection.peer();
        let ctx = connection.context(Context::builder());
        shared.set(ConnectionState::Connected, Some(peer.clone()));
        if shared.stopping.load(Ordering::SeqCst) {
            peer.close();
        }
        if !first {
            // The calls go out over the connection that `run` drives.
            let resubscriber = shared.resubscriber.clone();
            tokio::spawn(async move { resubscriber.resubscribe(&peer).await });
        }
        first = false;
        // The socket is tungstenite's (its handshake did TLS and the upgrade).
        let router = shared.router.clone();
        let reason = rpc_runtime::ws::__tungstenite::run(connection, socket, router, ctx).await;
        if shared.stopping.load(Ordering::SeqCst) {
            shared.resubscriber.end();
            shared.set(ConnectionState::Closed, None);
            return;
        }
        tracing::warn!(target: "rpc_client::ws", url = %shared.url, %reason, "disconnected");
        let Some(policy) = &shared.reconnect else {
            shared.set(ConnectionState::Disconnected(reason), None);
            return;
        };
        let mut attempt = 0;
        socket = loop {
            if !policy.allows(attempt) {
                tracing::warn!(target: "rpc_client::ws", url = %shared.url, attempt, "giving up reconnecting");
                shared.resubscriber.end();
                shared.set(ConnectionState::Disconnected(reason), None);
                return;
            }
            shared.set(
                ConnectionState::Reconnecting {
                    attempt,
                    reason: reason.clone(),
                },
                None,
            );
            tokio::select! {
                () = tokio::time::sleep(policy.wait(attempt)) => {}
                () = shared.stop.notified() => {}
            }
            if shared.stopping.load(Ordering::SeqCst) {
                shared.resubscriber.end();
                shared.set(ConnectionState::Closed, None);
                return;
            }
            match open(
                &shared.url,
                &shared.headers,
                &shared.config,
                &shared.tls,
                shared.connect_timeout,
            )
            .await
            {
                Ok(socket) => {
                    tracing::info!(target: "rpc_client::ws", url = %shared.url, attempt, "reconnected");
                    break socket;
                }
                Err(error) => {
                    tracing::debug!(target: "rpc_client::ws", url = %shared.url, attempt, %error, "reconnect failed");
                    attempt += 1;
                }
            }
        };
        connection = Connection::client(shared.config.clone()).with_ids(shared.ids.clone());
    }
}

//! Per-connection context: who is calling, over what, and typed state that
//! handlers share for the life of the connection.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use crate::subscription::Subscriptions;

/// The head of the HTTP request a call arrived with (for WebSocket: the
/// upgrade request), so handlers can authenticate by header or cookie.
///
/// Made from a request's parts (`From<http::request::Parts>`) or as
/// [`Default`] and then set field by field: it may gain fields.
///
/// ```
/// use rpc_runtime::RequestHead;
/// let (parts, ()) = http::Request::post("/rpc").header("x-api-key", "k").body(()).unwrap().into_parts();
/// let head = RequestHead::from(parts);
/// assert_eq!(head.uri.path(), "/rpc");
/// assert_eq!(head.headers["x-api-key"], "k");
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestHead {
    /// The HTTP method.
    pub method: http::Method,
    /// The request URI.
    pub uri: http::Uri,
    /// The HTTP version.
    pub version: http::Version,
    /// The request headers.
    pub headers: http::HeaderMap,
    /// The request's extensions: what the tower layers in front of the
    /// endpoint inserted (a request id, an authenticated user, ...). hyper's
    /// own upgrade handle and the server's private per-connection data are
    /// taken out first. Empty on a request no layer touched.
    pub extensions: http::Extensions,
}

impl From<http::request::Parts> for RequestHead {
    fn from(parts: http::request::Parts) -> Self {
        Self {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            extensions: parts.extensions,
        }
    }
}

impl RequestHead {
    /// The value of the cookie `name`, if the request sent one.
    ///
    /// ```
    /// use rpc_runtime::RequestHead;
    /// let mut head = RequestHead::default();
    /// head.headers.insert("cookie", "theme=dark; session=abc123".parse().unwrap());
    /// assert_eq!(head.cookie("session"), Some("abc123"));
    /// assert_eq!(head.cookie("missing"), None);
    /// ```
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The value of header `name`, if present and valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

type Extensions = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

struct Inner {
    peer_addr: Option<SocketAddr>,
    head: Option<RequestHead>,
    transport: &'static str,
    state: RwLock<Extensions>,
    peer: Option<Box<dyn Any + Send + Sync>>,
    subscriptions: Option<Subscriptions>,
    #[cfg(feature = "tls")]
    tls: Option<Arc<crate::server::TlsInfo>>,
}

/// What a handler knows about the connection a call came in on.
///
/// Cloning is cheap and every clone sees the same state: on WebSocket one
/// context lives as long as the connection, so what a `login` call stores
/// a later call reads.
///
/// ```
/// use rpc_runtime::Context;
/// #[derive(Debug, PartialEq)]
/// struct User(String);
///
/// let ctx = Context::new();
/// assert!(ctx.get::<User>().is_none());
/// ctx.insert(User("ada".into()));
/// assert_eq!(*ctx.get::<User>().unwrap(), User("ada".into()));
/// ```
#[derive(Clone)]
pub struct Context(Arc<Inner>);

impl Default for Context {
    fn default() -> Self {
        Self::new()
    }
}

impl Context {
    /// A context for an in-process call: no peer address, no HTTP head.
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts a context with connection details; used by transports.
    #[must_use = "call `build` to get the context"]
    pub fn builder() -> ContextBuilder {
        ContextBuilder {
            peer_addr: None,
            head: None,
            transport: "in-process",
            peer: None,
            subscriptions: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The remote address of the connection, if it has one.
    #[must_use]
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.0.peer_addr
    }

    /// The HTTP request head (the upgrade request on WebSocket).
    #[must_use]
    pub fn request_head(&self) -> Option<&RequestHead> {
        self.0.head.as_ref()
    }

    /// The extensions of the HTTP request (on WebSocket: of the upgrade
    /// request, for the whole life of the connection): what a tower layer in
    /// front of the server inserted, such as a request id or the user an
    /// auth layer found. `None` when the call came without an HTTP request
    /// (in-process).
    ///
    /// ```
    /// use rpc_runtime::{Context, RequestHead};
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct TraceId(u64);
    ///
    /// let mut head = RequestHead::default();
    /// head.extensions.insert(TraceId(7));
    /// let ctx = Context::builder().request_head(head).build();
    /// let id = ctx.extensions().and_then(|ext| ext.get::<TraceId>());
    /// assert_eq!(id, Some(&TraceId(7)));
    /// assert!(Context::new().extensions().is_none());
    /// ```
    #[must_use]
    pub fn extensions(&self) -> Option<&http::Extensions> {
        self.0.head.as_ref().map(|head| &head.extensions)
    }

    /// The TLS session the call arrived on (feature `tls`): the client's
    /// verified certificate chain when the server asks for one (mutual
    /// TLS), the ALPN protocol, the SNI name. `None` on a plain connection
    /// and in-process. On a WebSocket it is the connection's, for every
    /// call for as long as the socket is open; on HTTP, the connection's
    /// the request came on.
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObjectOwned, server::TlsInfo, Context, Router};
    ///
    /// let mut router = Router::new();
    /// router.register_sync("whoami", |_params, ctx| {
    ///     // With mutual TLS the verifier has already checked the chain:
    ///     // the end-entity certificate says who the caller is.
    ///     let client = ctx.tls().and_then(TlsInfo::peer_certificate);
    ///     match client {
    ///         Some(der) => Ok(format!("certificate of {} bytes", der.len())),
    ///         None => Err(ErrorObjectOwned::new(-32001, "a client certificate is required")),
    ///     }
    /// }).unwrap();
    ///
    /// let session = TlsInfo::new().with_peer_certificates(vec![vec![0x30; 4]]);
    /// let ctx = Context::builder().tls(session).build();
    /// assert_eq!(ctx.tls().and_then(TlsInfo::peer_certificate).map(<[u8]>::len), Some(4));
    /// assert!(Context::new().tls().is_none());
    /// # let _ = router;
    /// ```
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(&self) -> Option<&crate::server::TlsInfo> {
        self.0.tls.as_deref()
    }

    /// The transport's name: `"http"`, `"ws"`, `"tcp"`, `"unix"` or
    /// `"in-process"` (or the name given to a stream connection).
    #[must_use]
    pub fn transport(&self) -> &'static str {
        self.0.transport
    }

    /// Stores a value of type `T`, replacing any earlier one; returns it.
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<Arc<T>> {
        let old = self
            .0
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(TypeId::of::<T>(), Arc::new(value));
        old.and_then(|v| v.downcast().ok())
    }

    /// The stored value of type `T`, if any.
    #[must_use]
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let state = self.0.state.read().unwrap_or_else(PoisonError::into_inner);
        state
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|v| v.downcast().ok())
    }

    /// Removes and returns the stored value of type `T`.
    pub fn remove<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let old = self
            .0
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&TypeId::of::<T>());
        old.and_then(|v| v.downcast().ok())
    }

    /// The transport's handle to the connected peer, if it has one (on
    /// WebSocket, the handle through which the server calls the client).
    #[must_use]
    pub fn peer<P: Any + Send + Sync>(&self) -> Option<&P> {
        self.0.peer.as_ref().and_then(|p| p.downcast_ref())
    }

    /// The peer of this connection (WebSocket, TCP, Unix socket): the
    /// handle through which a server calls the client (or a client the
    /// server), typed. `None` on HTTP and in-process.
    ///
    /// ```
    /// use rpc_runtime::Context;
    /// assert!(Context::new().ws_peer().is_none());
    /// ```
    #[cfg(feature = "ws")]
    #[must_use]
    pub fn ws_peer(&self) -> Option<&crate::ws::Peer> {
        self.peer()
    }

    /// The connection's subscriptions, on a transport that can push
    /// (WebSocket, TCP, Unix socket); `None` on HTTP and in-process, where subscribe methods
    /// answer `-32006`.
    ///
    /// ```
    /// assert!(rpc_runtime::Context::new().subscriptions().is_none());
    /// ```
    #[must_use]
    pub fn subscriptions(&self) -> Option<&Subscriptions> {
        self.0.subscriptions.as_ref()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("transport", &self.0.transport)
            .field("peer_addr", &self.0.peer_addr)
            .field("head", &self.0.head)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Context`] for a connection.
#[derive(Default)]
pub struct ContextBuilder {
    peer_addr: Option<SocketAddr>,
    head: Option<RequestHead>,
    transport: &'static str,
    peer: Option<Box<dyn Any + Send + Sync>>,
    subscriptions: Option<Subscriptions>,
    #[cfg(feature = "tls")]
    tls: Option<Arc<crate::server::TlsInfo>>,
}

impl ContextBuilder {
    /// The TLS session of the connection (see [`Context::tls`]).
    #[cfg(feature = "tls")]
    pub fn tls(self, session: crate::server::TlsInfo) -> Self {
        self.shared_tls(Arc::new(session))
    }

    /// The TLS session, shared with the connection's other contexts.
    #[cfg(feature = "tls")]
    pub(crate) fn shared_tls(mut self, session: Arc<crate::server::TlsInfo>) -> Self {
        self.tls = Some(session);
        self
    }

    /// The remote address.
    pub fn peer_addr(mut self, addr: SocketAddr) -> Self {
        self.peer_addr = Some(addr);
        self
    }

    /// The HTTP request head.
    pub fn request_head(mut self, head: RequestHead) -> Self {
        self.head = Some(head);
        self
    }

    /// The transport's name.
    pub fn transport(mut self, name: &'static str) -> Self {
        self.transport = name;
        self
    }

    /// The handle to the connected peer (see [`Context::peer`]).
    pub fn peer<P: Any + Send + Sync>(mut self, peer: P) -> Self {
        self.peer = Some(Box::new(peer));
        self
    }

    /// The connection's subscriptions (see [`Context::subscriptions`]).
    ///
    /// ```
    /// # use rpc_runtime::subscription::{Frame, Outbox, OutboxFuture, Pushed};
    /// # struct Nowhere;
    /// # impl Outbox for Nowhere {
    /// #     fn try_push(&self, _: Frame) -> Result<(), Pushed> { Err(Pushed::Closed) }
    /// #     fn reserve(&self) -> OutboxFuture<'_> { Box::pin(async { None }) }
    /// # }
    /// use rpc_runtime::subscription::{SubscriptionLimits, Subscriptions};
    /// use rpc_runtime::Context;
    /// // What a transport that can push does for each connection.
    /// let subscriptions = Subscriptions::new(Nowhere, SubscriptionLimits::default());
    /// let ctx = Context::builder().transport("pipe").subscriptions(subscriptions).build();
    /// assert!(ctx.subscriptions().is_some_and(|s| s.is_empty()));
    /// assert!(Context::new().subscriptions().is_none());
    /// ```
    pub fn subscriptions(mut self, subscriptions: Subscriptions) -> Self {
        self.subscriptions = Some(subscriptions);
        self
    }

    /// The context.
    #[must_use]
    pub fn build(self) -> Context {
        Context(Arc::new(Inner {
            peer_addr: self.peer_addr,
            head: self.head,
            transport: self.transport,
            state: RwLock::default(),
            peer: self.peer,
            subscriptions: self.subscriptions,
            #[cfg(feature = "tls")]
            tls: self.tls,
        }))
    }
}

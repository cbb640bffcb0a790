//! The client-side service trait, its type-erased form and the layer
//! stacks a client builder holds.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rpc_runtime::client::ClientError;
use tower_layer::{Identity, Layer, Stack};

use super::{ClientRequest, ClientResponse};

/// Sends a [`ClientRequest`] and resolves to its [`ClientResponse`] or
/// [`ClientError`]: a client's transport, or a layer wrapping another
/// service.
///
/// Unlike `tower::Service` it takes `&self` and has no readiness step, so
/// one service is shared by every clone of a client and every task.
///
/// ```
/// use std::future::Future;
/// use rpc_client::middleware::{ClientRequest, ClientResponse, ClientService};
/// use rpc_client::ClientError;
///
/// /// A layer's service that refuses one method before it is sent.
/// struct Deny<S> { inner: S }
///
/// impl<S: ClientService> ClientService for Deny<S> {
///     fn call(&self, request: ClientRequest)
///         -> impl Future<Output = Result<ClientResponse, ClientError>> + Send {
///         async move {
///             if request.method() == Some("drop_tables") {
///                 return Err(ClientError::Transport("refused by policy".into()));
///             }
///             self.inner.call(request).await
///         }
///     }
/// }
/// ```
pub trait ClientService: Send + Sync {
    /// Sends `request` on (to the next layer or the server).
    fn call(
        &self,
        request: ClientRequest,
    ) -> impl Future<Output = Result<ClientResponse, ClientError>> + Send;
}

impl<S: ClientService + ?Sized> ClientService for Arc<S> {
    fn call(
        &self,
        request: ClientRequest,
    ) -> impl Future<Output = Result<ClientResponse, ClientError>> + Send {
        (**self).call(request)
    }
}

/// A boxed future of a [`BoxClientService`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe form of [`ClientService`].
trait DynService: Send + Sync {
    fn call_boxed(
        &self,
        request: ClientRequest,
    ) -> BoxFuture<'_, Result<ClientResponse, ClientError>>;
}

impl<S: ClientService> DynService for S {
    fn call_boxed(
        &self,
        request: ClientRequest,
    ) -> BoxFuture<'_, Result<ClientResponse, ClientError>> {
        Box::pin(self.call(request))
    }
}

/// A shared, type-erased [`ClientService`]: how a client holds its stack
/// of layers. Cloning it is cheap (one `Arc`).
///
/// ```
/// use rpc_client::middleware::{BoxClientService, ClientRequest, ClientResponse, ClientService};
/// use rpc_client::ClientError;
/// use rpc_runtime::client::{CloseReason, ConnectionError};
///
/// struct Offline;
/// impl ClientService for Offline {
///     async fn call(&self, _: ClientRequest) -> Result<ClientResponse, ClientError> {
///         Err(ClientError::Closed(CloseReason::Error(ConnectionError::new("offline"))))
///     }
/// }
/// let service = BoxClientService::new(Offline);
/// let shared = service.clone();
/// # let _ = shared;
/// ```
#[derive(Clone)]
pub struct BoxClientService(Arc<dyn DynService>);

impl BoxClientService {
    /// Erases `service`'s type.
    pub fn new<S: ClientService + 'static>(service: S) -> Self {
        Self(Arc::new(service))
    }
}

impl ClientService for BoxClientService {
    fn call(
        &self,
        request: ClientRequest,
    ) -> impl Future<Output = Result<ClientResponse, ClientError>> + Send {
        self.0.call_boxed(request)
    }
}

impl fmt::Debug for BoxClientService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxClientService")
    }
}

/// The layers given to a client builder's `.layer(..)`, which wrap the
/// transport `T` when the client is built.
///
/// Implemented for [`Identity`] (no layer: the client calls its transport
/// directly, with no boxing and no allocation) and for every
/// [`Stack`] of [`Layer`]s whose service is a [`ClientService`] (the whole
/// stack is then boxed once, as a [`BoxClientService`]). There is no need
/// to implement it.
///
/// ```
/// use rpc_client::middleware::{ClientLayers, TimeoutLayer};
/// use rpc_client::http::HttpTransport;
/// use std::time::Duration;
///
/// fn wraps_http(_: &impl ClientLayers<HttpTransport>) {}
/// wraps_http(&rpc_client::middleware::Identity::new());
/// wraps_http(&rpc_client::middleware::Stack::new(
///     TimeoutLayer::new(Duration::from_secs(1)),
///     rpc_client::middleware::Identity::new(),
/// ));
/// ```
pub trait ClientLayers<T> {
    /// The stack over `transport`, or `None` when there is no layer.
    fn wrap(&self, transport: T) -> Option<BoxClientService>;
}

impl<T> ClientLayers<T> for Identity {
    fn wrap(&self, _transport: T) -> Option<BoxClientService> {
        None
    }
}

impl<T, Inner, Outer> ClientLayers<T> for Stack<Inner, Outer>
where
    Stack<Inner, Outer>: Layer<T>,
    <Stack<Inner, Outer> as Layer<T>>::Service: ClientService + 'static,
{
    fn wrap(&self, transport: T) -> Option<BoxClientService> {
        Some(BoxClientService::new(self.layer(transport)))
    }
}

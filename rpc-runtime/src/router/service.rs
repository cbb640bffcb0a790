//! The middleware seam: the service every call passes through, the layers
//! around it, and the method table at its core.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::Either;
use tower_layer::Layer;

use super::call::Call;
use super::method::{Handler, MethodOutput};
use super::Router;
use crate::error::MethodError;
use crate::protocol::ErrorObject;

/// A boxed future of a call's outcome, borrowing the message.
///
/// ```
/// use rpc_runtime::middleware::{Call, CallFuture, CallService, Next};
/// use rpc_runtime::{params::Params, Context};
/// # futures_executor::block_on(async {
/// let ctx = Context::new();
/// let next = Next::method_table();
/// let future: CallFuture<'_> = Box::pin(next.call(Call::new("m", Params::none(), None, &ctx)));
/// assert_eq!(future.await.unwrap_err().object().code, -32601);
/// # });
/// ```
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = MethodOutput> + Send + 'a>>;

/// An RPC-level service: takes one [`Call`] and produces its outcome, the
/// result's JSON text or the error to answer with.
///
/// Middleware is a [`tower_layer::Layer`] whose service implements this
/// trait around the [`Next`] service it is given (see
/// [`Router::layer`](crate::Router::layer)). A layer may be asynchronous,
/// answer with an error instead of calling on, rewrite the call, and it sees
/// the outcome and can time it.
///
/// ```
/// use std::future::Future;
/// use std::time::Instant;
/// use rpc_runtime::middleware::{Call, CallService, Next};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Context, MethodOutput, Router};
/// use futures_util::FutureExt as _;
///
/// /// Prints each call's method, outcome and time.
/// struct Print(Next);
///
/// impl CallService for Print {
///     fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a {
///         let method = call.method().to_owned();
///         let started = Instant::now();
///         async move {
///             let outcome = self.0.call(call).await;
///             let code = outcome.as_ref().err().map(|e| e.object().code);
///             println!("{method}: {code:?} in {:?}", started.elapsed());
///             outcome
///         }
///     }
/// }
///
/// let mut router = Router::new().layer(tower_layer::layer_fn(Print));
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap();
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, &Context::new())
///     .now_or_never().unwrap();
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":1}"#);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an RPC call service",
    note = "a layer given to `Router::layer` must wrap `Next` in a service that implements `rpc_runtime::middleware::CallService`"
)]
pub trait CallService: Send + Sync + 'static {
    /// Runs one call.
    fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a;
}

/// A [`CallService`] behind a pointer, so a stack of any shape can be kept
/// and called without knowing its type.
trait ErasedService: Send + Sync {
    fn call_boxed<'a>(&'a self, call: Call<'a>) -> CallFuture<'a>;
}

impl<S: CallService> ErasedService for S {
    fn call_boxed<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        Box::pin(self.call(call))
    }
}

/// The rest of the stack below a layer: the layers added after it, then
/// the method table. Cloning is cheap (one `Arc`).
///
/// ```
/// use rpc_runtime::middleware::{Call, CallService, Next};
/// use rpc_runtime::Context;
/// # futures_executor::block_on(async {
/// // On its own, `Next` is the method table of the router the call came to;
/// // a call made by hand has none, so its method is not found.
/// let ctx = Context::new();
/// let outcome = Next::method_table().call(Call::new("m", rpc_runtime::params::Params::none(), None, &ctx)).await;
/// assert_eq!(outcome.unwrap_err().object().code, -32601);
/// # });
/// ```
#[derive(Clone)]
pub struct Next(Below);

/// What is below: the method table itself (called without boxing its
/// future, the innermost layer's usual case), or more layers.
#[derive(Clone)]
enum Below {
    Table,
    Layers(Arc<dyn ErasedService>),
}

impl Next {
    /// Erases `service`.
    #[must_use]
    pub fn new<S: CallService>(service: S) -> Self {
        Self(Below::Layers(Arc::new(service)))
    }

    /// The innermost service: looks the call's method up and runs it.
    #[must_use]
    pub fn method_table() -> Self {
        Self(Below::Table)
    }

    /// The call's future, boxed.
    fn call_boxed<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        match &self.0 {
            Below::Table => Box::pin(run_method(call)),
            Below::Layers(service) => service.call_boxed(call),
        }
    }
}

impl std::fmt::Debug for Next {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Next")
    }
}

impl CallService for Next {
    fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a {
        match &self.0 {
            Below::Table => Either::Left(run_method(call)),
            Below::Layers(service) => Either::Right(service.call_boxed(call)),
        }
    }
}

type WrapFn = dyn Fn(Next) -> Next + Send + Sync;

/// A router's layers, in the order they were added, and the stack built
/// from them (`None` without layers: calls then go straight to the table).
#[derive(Clone, Default)]
pub(crate) struct Layers {
    wraps: Vec<Arc<WrapFn>>,
    pub(crate) stack: Option<Next>,
}

impl Layers {
    /// Adds `layer` inside those already there (as `tower::ServiceBuilder`
    /// orders: the first added is the outermost).
    pub(crate) fn push<L>(&mut self, layer: L)
    where
        L: Layer<Next> + Send + Sync + 'static,
        L::Service: CallService,
    {
        self.wraps
            .push(Arc::new(move |next| Next::new(layer.layer(next))));
        let stack = self
            .wraps
            .iter()
            .rev()
            .fold(Next::method_table(), |next, wrap| wrap(next));
        self.stack = Some(stack);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stack.is_none()
    }
}

/// A method merged from a router that has layers of its own: calls to it
/// pass that router's layers too, then its table.
pub(crate) struct Nested {
    pub(crate) router: Arc<Router>,
    /// The method's name there.
    pub(crate) target: Arc<str>,
}

/// Looks the call's method up where it is going and runs it.
async fn run_method(call: Call<'_>) -> MethodOutput {
    let Some(method) = call
        .router
        .and_then(|router| router.methods.get(&*call.method))
    else {
        return Err(MethodError::new(&ErrorObject::method_not_found()));
    };
    match &method.handler {
        Handler::Sync(handler) => {
            let mut out = String::with_capacity(64);
            handler
                .call(call.params(), call.ctx, &mut out)
                .map(|()| out)
        }
        Handler::Async(handler) => handler.start(call.params(), call.ctx).await,
        Handler::Subscribe(handler) => handler.start(&call).await,
        Handler::Nested(nested) => {
            let call = Call {
                method: Cow::Borrowed(&*nested.target),
                router: Some(&*nested.router),
                ..call
            };
            nested.router.serve(call).await
        }
    }
}

impl Router {
    /// Runs `call` through this router's layers and table.
    pub(crate) fn serve<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        match &self.layers.stack {
            Some(stack) => stack.call_boxed(call),
            None => Box::pin(run_method(call)),
        }
    }
}

//! A yes/no before each call: authentication, authorisation, quotas.

use std::future::Future;
use std::sync::Arc;

use super::{Call, CallService, Next};
use crate::{MethodError, MethodOutput};

/// A layer that asks `decide` before each call to a registered method, and
/// answers the call with its error when it says no. `decide` reads the call
/// (method, params, context) at once and returns a future, which may wait
/// (a database lookup, a token check over the network).
///
/// Calls to unknown methods pass unasked (they are answered `-32601`), so a
/// check need not know the method table.
///
/// ```
/// use rpc_runtime::middleware::{check, Call};
/// use rpc_runtime::{protocol::{ErrorObject, ErrorObjectOwned}, Context, MethodError, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new().layer(check(|call: &Call<'_>| {
///     let admin = call.method().starts_with("admin.");
///     let role = call.context().request_head().and_then(|h| h.header("x-role").map(str::to_owned));
///     async move {
///         if admin && role.as_deref() != Some("admin") {
///             return Err(MethodError::from(ErrorObject::new(4003, "admins only")));
///         }
///         Ok(())
///     }
/// }));
/// router.register_sync_args("admin.reset", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(true)).unwrap();
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"admin.reset","id":1}"#, &Context::new()).await;
/// assert!(reply.unwrap().contains("admins only"));
/// # });
/// ```
pub fn check<F, Fut>(decide: F) -> CheckLayer<F>
where
    F: Fn(&Call<'_>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), MethodError>> + Send + 'static,
{
    CheckLayer {
        decide: Arc::new(decide),
    }
}

/// The layer [`check`] makes.
#[must_use = "a layer does nothing until it is added to a router"]
pub struct CheckLayer<F> {
    decide: Arc<F>,
}

impl<F> Clone for CheckLayer<F> {
    fn clone(&self) -> Self {
        Self {
            decide: Arc::clone(&self.decide),
        }
    }
}

impl<F> std::fmt::Debug for CheckLayer<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckLayer")
    }
}

impl<F, S> tower_layer::Layer<S> for CheckLayer<F> {
    type Service = Check<F, S>;

    fn layer(&self, next: S) -> Check<F, S> {
        Check {
            decide: Arc::clone(&self.decide),
            next,
        }
    }
}

/// The service [`CheckLayer`] wraps around the rest of the stack (`S`,
/// usually [`Next`]).
pub struct Check<F, S = Next> {
    decide: Arc<F>,
    next: S,
}

impl<F, S> std::fmt::Debug for Check<F, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").finish_non_exhaustive()
    }
}

impl<F, S, Fut> CallService for Check<F, S>
where
    S: CallService,
    F: Fn(&Call<'_>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), MethodError>> + Send + 'static,
{
    fn call<'a>(&'a self, call: Call<'a>) -> impl Future<Output = MethodOutput> + Send + 'a {
        let verdict = call.is_registered().then(|| (self.decide)(&call));
        async move {
            if let Some(verdict) = verdict {
                verdict.await?;
            }
            self.next.call(call).await
        }
    }
}

//! Subscribe and unsubscribe methods in the table.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::oneshot;

use super::method::{BoxFuture, Handler, MethodInfo, MethodOutput};
use super::{check_arity, check_name, Call, RegisterError, Router};
use crate::params::FromParams;
use crate::protocol::{codes, ErrorObject};
use crate::subscription::{Kind, PendingSubscription, SubscriptionId};
use crate::{Context, MethodError};

/// A subscribe method, type-erased.
pub(crate) trait SubscribeMethod: Send + Sync {
    /// Starts the subscribe handler on its own task and waits for it to
    /// accept or reject.
    fn start(&self, call: &Call<'_>) -> BoxFuture<MethodOutput>;
}

struct SubscribeArgs<A, T, F> {
    names: &'static [&'static str],
    kind: Arc<Kind>,
    handler: F,
    _types: PhantomData<fn(A) -> T>,
}

fn now(output: MethodOutput) -> BoxFuture<MethodOutput> {
    Box::pin(std::future::ready(output))
}

impl<A, T, F, Fut> SubscribeMethod for SubscribeArgs<A, T, F>
where
    A: for<'de> FromParams<'de> + Send + 'static,
    T: Serialize + 'static,
    F: Fn(A, PendingSubscription<T>, Context) -> Fut + Send + Sync,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn start(&self, call: &Call<'_>) -> BoxFuture<MethodOutput> {
        let Some(subscriptions) = call.ctx.subscriptions() else {
            return now(Err(unsupported(call.method(), call.ctx.transport())));
        };
        if call.id.is_none() {
            // A notification has no reply to carry the id: nothing is made.
            return now(Err(MethodError::new(&ErrorObject::invalid_request())));
        }
        if let Err(error) = subscriptions.check_room() {
            return now(Err(error));
        }
        let args = match call.params().decode::<A>(self.names) {
            Ok(args) => args,
            Err(error) => return now(Err(error.into())),
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return now(Err(MethodError::internal(
                "subscriptions need a tokio runtime",
            )));
        };
        let (decision, decided) = oneshot::channel();
        let pending = PendingSubscription::new(
            decision,
            subscriptions.clone(),
            self.kind.clone(),
            call.message,
        );
        // The producer outlives the call: it runs on its own task.
        runtime.spawn((self.handler)(args, pending, call.ctx.clone()));
        Box::pin(async move {
            match decided.await {
                Ok(Ok(id)) => Ok(id.to_json()),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(MethodError::internal(
                    "the subscribe handler ended (or panicked) without accepting or rejecting",
                )),
            }
        })
    }
}

/// The answer to a subscribe or unsubscribe call over a transport that
/// cannot push.
fn unsupported(method: &str, transport: &str) -> MethodError {
    MethodError::new(&ErrorObject::new(
        codes::SUBSCRIPTIONS_UNSUPPORTED,
        format!(
            "Subscriptions need a WebSocket (or another persistent connection): `{method}` was called over {transport}"
        ),
    ))
}

impl Router {
    /// Registers a subscription: `subscribe` (its params decoded into the
    /// arguments `A`, whose JSON names are `names`) answers the new
    /// subscription's id, each item arrives as a notification of method
    /// `notification`
    /// (`{"subscription": id, "result": item}`), and `unsubscribe` (taking
    /// the id, positionally or as `subscription`) ends it, answering `true`
    /// (`false` for an id it does not know).
    ///
    /// `handler` runs on its own task with the arguments, the
    /// [`PendingSubscription`] it accepts or rejects, and the connection's
    /// context. Over a transport that cannot push (HTTP, in-process) both
    /// methods answer `-32006`.
    ///
    /// ```
    /// use rpc_runtime::subscription::PendingSubscription;
    /// use rpc_runtime::Router;
    ///
    /// let mut router = Router::new();
    /// router.register_subscription(
    ///     "subscribe_count", "count", "unsubscribe_count", &["start"],
    ///     |(start,): (i64,), pending: PendingSubscription<i64>, _ctx| async move {
    ///         let Ok(sink) = pending.accept() else { return };
    ///         for n in start.. {
    ///             if sink.send(&n).await.is_err() { return }
    ///         }
    ///     },
    /// ).unwrap();
    /// assert!(router.has_method("subscribe_count") && router.has_method("unsubscribe_count"));
    /// ```
    ///
    /// # Errors
    /// When a name is empty, reserved (`rpc.`), or already registered.
    pub fn register_subscription<A, T, F, Fut>(
        &mut self,
        subscribe: &str,
        notification: &str,
        unsubscribe: &str,
        names: &'static [&'static str],
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        A: for<'de> FromParams<'de> + Send + 'static,
        T: Serialize + 'static,
        F: Fn(A, PendingSubscription<T>, Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        check_arity::<A>(subscribe, names)?;
        check_name(unsubscribe, false)?;
        for name in [subscribe, unsubscribe] {
            if self.has_method(name) {
                return Err(RegisterError::Duplicate(name.to_owned()));
            }
        }
        if subscribe == unsubscribe {
            return Err(RegisterError::Duplicate(subscribe.to_owned()));
        }
        let kind = Arc::new(Kind {
            notification: notification.into(),
        });
        let unsubscribing = kind.clone();
        let unsubscribe_name: Arc<str> = unsubscribe.into();
        self.register_sync_args(
            unsubscribe,
            &["subscription"],
            move |(id,): (SubscriptionId,), ctx: &Context| match ctx.subscriptions() {
                Some(subscriptions) => Ok(subscriptions.unsubscribe(&id, &unsubscribing)),
                None => Err(unsupported(&unsubscribe_name, ctx.transport())),
            },
        )?;
        let handler = Handler::Subscribe(Arc::new(SubscribeArgs {
            names,
            kind,
            handler,
            _types: PhantomData,
        }));
        if let Some(method) = self.methods.get_mut(unsubscribe) {
            method.info.unsubscribe_of = Some(subscribe.to_owned());
        }
        let info = &mut self.insert(subscribe, handler, false)?.info;
        info.subscription = Some((notification.to_owned(), unsubscribe.to_owned()));
        Ok(info.with_params(names))
    }
}

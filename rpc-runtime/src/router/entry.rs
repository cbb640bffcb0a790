//! The core entry every transport calls: one message in, its answer now or
//! a future of it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use super::dispatch::SinglePass;
use super::refusal::Refusal;
use super::Router;
use crate::protocol::Response;
use crate::Context;

/// What the core makes of one message: its answer at once, or a future of
/// it.
///
/// `Now(None)` and a future resolving to `None` mean nothing is to be sent
/// (a notification, a batch of notifications, responses to this side's
/// calls).
///
/// Exhaustive on purpose: a transport handles both cases, and an answer is
/// either ready or not.
#[must_use = "the answer must be sent, or the future awaited"]
pub enum Answer<'a> {
    /// The message is fully handled: this is the reply, if any.
    Now(Option<String>),
    /// A call in it is still running; the future owns the message and
    /// resolves to the reply.
    Later(Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>>),
}

impl std::fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Answer::Now(reply) => f.debug_tuple("Now").field(reply).finish(),
            Answer::Later(_) => f.write_str("Later(..)"),
        }
    }
}

impl Answer<'_> {
    /// Waits for the reply.
    ///
    /// ```
    /// use rpc_runtime::{Context, Router};
    /// # futures_executor::block_on(async {
    /// let router = Router::new();
    /// let ctx = Context::new();
    /// let reply = router.message(r#"{"jsonrpc":"2.0","method":"nope","id":1}"#, &ctx).reply().await;
    /// assert!(reply.unwrap().contains("-32601"));
    /// # });
    /// ```
    pub async fn reply(self) -> Option<String> {
        match self {
            Answer::Now(reply) => reply,
            Answer::Later(future) => future.await,
        }
    }
}

/// Where the responses in an incoming message go, on a connection where
/// this side makes calls too (WebSocket, and any bidirectional stream):
/// the transport's table of calls waiting for them.
///
/// `text` is the whole message the response was read from, so a transport
/// can keep the result where it is instead of copying it.
///
/// ```
/// use std::sync::Mutex;
/// use rpc_runtime::protocol::Response;
/// use rpc_runtime::{Answer, Context, Inbound, ResponseSink, Router};
///
/// /// Keeps the ids of the responses it is handed.
/// #[derive(Default)]
/// struct Waiting(Mutex<Vec<String>>);
///
/// impl ResponseSink<&str> for Waiting {
///     fn deliver(&self, response: &Response<'_>, _text: &&str) {
///         self.0.lock().unwrap().push(response.id.as_json().to_owned());
///     }
/// }
///
/// let (router, ctx, waiting) = (Router::new(), Context::new(), Waiting::default());
/// let text = r#"{"jsonrpc":"2.0","result":5,"id":7}"#;
/// let Answer::Now(reply) = router.message_with(text, &ctx, Inbound::new().responses(&waiting)) else { panic!() };
/// assert_eq!(reply, None, "a response is delivered, not answered");
/// assert_eq!(*waiting.0.lock().unwrap(), ["7"]);
/// ```
pub trait ResponseSink<T>: Sync {
    /// Hands `response` to the call waiting for it.
    fn deliver(&self, response: &Response<'_>, text: &T);
}

/// Where the notifications of this side's subscriptions go, on a connection
/// where this side subscribes: the transport's table of subscription
/// streams.
///
/// ```
/// use rpc_runtime::params::Params;
/// use rpc_runtime::{Answer, Context, Inbound, NotificationSink, Router};
///
/// struct Ticks;
/// impl NotificationSink for Ticks {
///     fn deliver(&self, method: &str, _params: Params<'_>) -> bool {
///         method == "tick"
///     }
/// }
/// let (router, ctx) = (Router::new(), Context::new());
/// let inbound = Inbound::<&str>::new().notifications(&Ticks);
/// let Answer::Now(reply) = router.message_with(r#"{"jsonrpc":"2.0","method":"tick","params":{}}"#, &ctx, inbound) else { panic!() };
/// assert_eq!(reply, None);
/// ```
pub trait NotificationSink: Sync {
    /// Takes the notification (`true`) if it belongs to a subscription;
    /// `false` leaves it to the router.
    fn deliver(&self, method: &str, params: crate::params::Params<'_>) -> bool;
}

/// What a transport tells the core about one message besides its text.
///
/// ```
/// use rpc_runtime::{Answer, Context, Inbound, Refusal, Router};
/// let router = Router::new();
/// let ctx = Context::new();
/// // Read past the in-flight limit: every call in it is refused, with its id.
/// let Answer::Now(reply) = router.message_with(
///     r#"{"jsonrpc":"2.0","method":"work","id":7}"#, &ctx, Inbound::new().refuse(Refusal::Busy))
/// else { panic!("a refusal is answered at once") };
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"Server busy: too many calls in flight on this connection"},"id":7}"#);
/// ```
#[must_use]
pub struct Inbound<'a, T> {
    pub(crate) refusal: Option<Refusal>,
    pub(crate) responses: Option<&'a dyn ResponseSink<T>>,
    pub(crate) notifications: Option<&'a dyn NotificationSink>,
}

impl<T> Default for Inbound<'_, T> {
    fn default() -> Self {
        Self {
            refusal: None,
            responses: None,
            notifications: None,
        }
    }
}

impl<T> std::fmt::Debug for Inbound<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbound")
            .field("refusal", &self.refusal)
            .field("responses", &self.responses.is_some())
            .finish()
    }
}

impl<'a, T> Inbound<'a, T> {
    /// Run every call (the default), and answer responses as a server with
    /// no calls of its own does (`-32600`: a response where a request was
    /// expected).
    pub fn new() -> Self {
        Self::default()
    }

    /// Refuse every call in the message with `refusal`'s error instead of
    /// running it ([`Refusal::Busy`], [`Refusal::Closing`]).
    pub fn refuse(mut self, refusal: Refusal) -> Self {
        self.refusal = Some(refusal);
        self
    }

    /// Hand the message's responses to `sink` instead of answering them.
    pub fn responses(mut self, sink: &'a dyn ResponseSink<T>) -> Self {
        self.responses = Some(sink);
        self
    }

    /// Offer each notification in the message to `sink` first (the items
    /// of this side's subscriptions); those it takes do not reach the
    /// router.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use rpc_runtime::params::Params;
    /// use rpc_runtime::{Answer, Context, Inbound, NotificationSink, Router};
    /// struct Ticks(AtomicUsize);
    /// impl NotificationSink for Ticks {
    ///     fn deliver(&self, method: &str, _params: Params<'_>) -> bool {
    ///         let mine = method == "tick";
    ///         if mine {
    ///             self.0.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///         mine
    ///     }
    /// }
    /// let (router, ctx, ticks) = (Router::new(), Context::new(), Ticks(AtomicUsize::new(0)));
    /// let batch = r#"[{"jsonrpc":"2.0","method":"tick"},{"jsonrpc":"2.0","method":"log"}]"#;
    /// let inbound = Inbound::<&str>::new().notifications(&ticks);
    /// let Answer::Now(reply) = router.message_with(batch, &ctx, inbound) else { panic!("answered at once") };
    /// assert_eq!(reply, None, "notifications are never answered");
    /// assert_eq!(ticks.0.load(Ordering::Relaxed), 1, "`log` went to the router");
    /// ```
    pub fn notifications(mut self, sink: &'a dyn NotificationSink) -> Self {
        self.notifications = Some(sink);
        self
    }
}

impl Router {
    /// The core entry: answers one message (a single request or a batch).
    /// Every transport hands each message it reads here, with the
    /// connection's [`Context`], and sends what comes back.
    ///
    /// A message whose calls all finish at once (synchronous handlers, no
    /// layer that waits, errors) is answered [`Answer::Now`], with no future
    /// and no task; otherwise [`Answer::Later`] owns `text` and resolves to
    /// the reply. [`handle`](Self::handle) is the same entry, awaited.
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Answer, Context, Router};
    /// # futures_executor::block_on(async {
    /// let mut router = Router::new();
    /// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| Ok::<_, ErrorObjectOwned>(a + b)).unwrap();
    /// router.register_async_args("later", &[], |(): (), _| async { Ok::<_, ErrorObjectOwned>(1) }).unwrap();
    /// let ctx = Context::new();
    /// let Answer::Now(reply) = router.message(r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#, &ctx) else { panic!() };
    /// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":3,"id":1}"#);
    /// // The text may be owned (a frame, a buffer): a future keeps it.
    /// let text = String::from(r#"{"jsonrpc":"2.0","method":"later","id":2}"#);
    /// let reply = router.message(text, &ctx).reply().await;
    /// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":1,"id":2}"#);
    /// # });
    /// ```
    pub fn message<'a, T>(&'a self, text: T, ctx: &'a Context) -> Answer<'a>
    where
        T: AsRef<str> + Send + Sync + 'a,
    {
        self.message_with(text, ctx, Inbound::new())
    }

    /// [`message`](Self::message), with what the transport knows beyond the
    /// text: whether the calls may run, and where responses go.
    pub fn message_with<'a, T>(
        &'a self,
        text: T,
        ctx: &'a Context,
        inbound: Inbound<'a, T>,
    ) -> Answer<'a>
    where
        T: AsRef<str> + Send + Sync + 'a,
    {
        // The common small call is answered here, in one pass, with no
        // future and no allocation but its reply.
        // With layers, the call is read in one pass inside the future, as
        // it passes them.
        let mut single_pass = !self.layers.is_empty();
        if inbound.notifications.is_some() {
            // Subscription items must be looked at before the table is.
            return self.message_general(text, ctx, inbound, false);
        }
        if inbound.refusal.is_none() && !single_pass {
            let mut out = String::new();
            match self.answer_single_pass(text.as_ref(), ctx, &mut out) {
                SinglePass::Answered => return Answer::Now((!out.is_empty()).then_some(out)),
                SinglePass::Async(..) => single_pass = true,
                SinglePass::General => {}
            }
        }
        self.message_general(text, ctx, inbound, single_pass)
    }

    /// The entry past the fast path: one future, polled once at once.
    fn message_general<'a, T>(
        &'a self,
        text: T,
        ctx: &'a Context,
        inbound: Inbound<'a, T>,
        single_pass: bool,
    ) -> Answer<'a>
    where
        T: AsRef<str> + Send + Sync + 'a,
    {
        let mut future = Box::pin(async move {
            let Inbound {
                refusal,
                responses,
                notifications,
            } = inbound;
            let text = &text;
            let deliver =
                responses.map(|sink| move |response: &Response<'_>| sink.deliver(response, text));
            let deliver = deliver.as_ref().map(|f| f as &super::dispatch::Deliver<'_>);
            let sinks = super::dispatch::Sinks {
                responses: deliver,
                notifications,
            };
            self.answer_general(text.as_ref(), ctx, refusal.as_ref(), sinks, single_pass)
                .await
        });
        // Most messages finish on their first poll (synchronous calls in a
        // batch, calls through layers that do not wait): answered now, the
        // box freed; only a call that really waits is handed back.
        match future
            .as_mut()
            .poll(&mut TaskContext::from_waker(Waker::noop()))
        {
            Poll::Ready(reply) => Answer::Now(reply),
            Poll::Pending => Answer::Later(future),
        }
    }

    /// Handles one message (a single request or a batch) and returns the
    /// response text, or `None` when no response is due: the core entry
    /// ([`message`](Self::message)), awaited.
    pub async fn handle(&self, text: &str, ctx: &Context) -> Option<String> {
        self.answer_general(text, ctx, None, super::dispatch::Sinks::default(), true)
            .await
    }
}

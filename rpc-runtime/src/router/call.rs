//! One call as middleware sees it, on its way to the method table.

use std::borrow::Cow;

use super::Router;
use crate::params::Params;
use crate::protocol::{Id, Version};
use crate::Context;

/// Where a call sits in its message: alone, or one member of a batch.
///
/// ```
/// use rpc_runtime::middleware::BatchPosition;
/// let first = BatchPosition { index: 0, len: 3 };
/// assert!(first.index < first.len);
/// ```
///
/// Its fields stay public and exhaustive: a place in a batch is an index
/// and a length, nothing more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchPosition {
    /// The member's index in the batch, from 0.
    pub index: usize,
    /// How many members the batch has (requests, notifications and invalid
    /// members alike).
    pub len: usize,
}

/// One call on its way to its method: what every
/// [`CallService`](crate::middleware::CallService) layer sees, for a single
/// request, each member of a batch and each notification, over every
/// transport.
///
/// A layer may read everything and rewrite the method and the params before
/// passing the call on. Borrowed data is tied to the message; a layer that
/// rewrites with data of its own can do so because a `Call<'a>` coerces to
/// any shorter lifetime.
///
/// ```
/// use rpc_runtime::middleware::Call;
/// use rpc_runtime::params::Params;
/// use rpc_runtime::Context;
///
/// let ctx = Context::new();
/// let mut call = Call::new("add", Params::from_json("[1,2]").unwrap(), None, &ctx);
/// assert_eq!(call.method(), "add");
/// assert!(call.is_notification());
/// call.set_method("math.add");
/// assert_eq!(call.method(), "math.add");
/// assert_eq!(call.params().as_json(), Some("[1,2]"));
/// ```
#[derive(Clone)]
pub struct Call<'a> {
    pub(crate) method: Cow<'a, str>,
    pub(crate) params: Params<'a>,
    pub(crate) id: Option<Id<'a>>,
    pub(crate) version: Version,
    pub(crate) ctx: &'a Context,
    pub(crate) batch: Option<BatchPosition>,
    /// The table that runs it: the router the message came to, or a merged
    /// router with layers of its own.
    pub(crate) router: Option<&'a Router>,
    /// The message it came in: the address of its text, which tells the
    /// messages in flight on a connection apart (0 for a call made by hand).
    /// A subscription it opens sends nothing until that message's reply is
    /// queued.
    pub(crate) message: usize,
}

impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("params", &self.params())
            .field("id", &self.id)
            .field("version", &self.version)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

impl<'a> Call<'a> {
    /// A call made by hand (to drive a layer in a test, say): JSON-RPC 2.0,
    /// not in a batch. `id` `None` makes it a notification.
    #[must_use]
    pub fn new(
        method: impl Into<Cow<'a, str>>,
        params: Params<'a>,
        id: Option<Id<'a>>,
        ctx: &'a Context,
    ) -> Self {
        Self {
            method: method.into(),
            params,
            id,
            version: Version::V2,
            ctx,
            batch: None,
            router: None,
            message: 0,
        }
    }

    /// The method name.
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Sends the call to another method.
    pub fn set_method(&mut self, method: impl Into<Cow<'a, str>>) {
        self.method = method.into();
    }

    /// The params, still raw JSON.
    #[must_use]
    pub fn params(&self) -> Params<'a> {
        self.params
    }

    /// Replaces the params.
    pub fn set_params(&mut self, params: Params<'a>) {
        self.params = params;
    }

    /// The request's id; `None` for a notification.
    #[must_use]
    pub fn id(&self) -> Option<&Id<'a>> {
        self.id.as_ref()
    }

    /// Whether the call is a notification: its answer is dropped.
    #[must_use]
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }

    /// The protocol version it was sent with.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }

    /// The connection's context: transport, peer address, HTTP head and
    /// extensions, typed state.
    #[must_use]
    pub fn context(&self) -> &'a Context {
        self.ctx
    }

    /// Its place in a batch; `None` for a message of one call.
    #[must_use]
    pub fn batch(&self) -> Option<BatchPosition> {
        self.batch
    }

    /// Whether the method it names is registered where it is going (an
    /// unknown one is answered `-32601`).
    #[must_use]
    pub fn is_registered(&self) -> bool {
        self.router
            .is_some_and(|router| router.has_method(&self.method))
    }
}

//! RPC middleware: layers around the one path every call takes.
//!
//! A layer is a [`tower_layer::Layer`] over [`Next`] (the rest of the
//! stack) whose service implements [`CallService`]: it gets each [`Call`]
//! (method, id, raw params, [`Context`](crate::Context), place in a batch)
//! before the method runs, and its outcome after. Add layers with
//! [`Router::layer`](crate::Router::layer); they run in the order added, the
//! first outermost, as with `tower::ServiceBuilder` (which may be passed as
//! one layer too).
//!
//! Every call passes them: a single call, each member of a batch, each
//! notification (its answer is dropped after the layers saw it), calls to
//! unknown methods, over HTTP, WebSocket, in-process and every other
//! transport. Invalid messages (not JSON, not a request) never reach a
//! layer: there is no call to see.
//!
//! | layer | what it does |
//! |---|---|
//! | [`check`] | an asynchronous yes/no before each call to a registered method (auth); [`Router::before_call`](crate::Router::before_call) is its synchronous form |

mod check;

pub use check::{check, Check, CheckLayer};

pub use crate::router::{BatchPosition, Call, CallFuture, CallService, Next};

//! The calling side, free of any transport: the [`Caller`] trait that
//! generated client stubs are generic over, the error they return, typed
//! batches, and an in-process caller straight onto a [`Router`](crate::Router).
//!
//! Transports (`rpc-client`'s HTTP and WebSocket clients, the server's
//! handle to a connected WebSocket peer) implement [`Caller`] and use the
//! helpers here to decode responses, so none re-implements that logic.

mod batch;
mod caller;
mod close;
mod decode;
mod error;
mod local;
mod subscription;

pub use crate::protocol::InvalidResponse;
pub use batch::{BatchCall, BatchHandle, BatchRequest, BatchResponse, BatchSlot};
pub use caller::Caller;
pub use close::{CloseReason, ConnectionError};
pub use decode::{decode_batch_response, decode_response, write_batch_request};
pub use error::{BoxError, ClientError};
pub use local::LocalCaller;
#[cfg(feature = "ws")]
pub(crate) use subscription::{Inbox, Subscribed, Unsubscribe};
pub use subscription::{Subscription, SubscriptionError, CLIENT_BUFFER};

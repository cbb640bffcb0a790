//! Subscriptions: typed streams the server pushes over a persistent
//! connection (WebSocket), in the wire format of jsonrpsee and Ethereum.
//!
//! - The subscribe call answers the new subscription's id (random strings
//!   by default, see [`SubscriptionIds`]).
//! - Each item arrives as a notification
//!   `{"jsonrpc":"2.0","method":"<notification>","params":{"subscription":ID,"result":ITEM}}`,
//!   never before the reply that carries the id.
//! - The unsubscribe call takes the id and answers `true` (`false` for an
//!   id it does not know, or one of another kind of subscription); after
//!   that answer nothing more is sent for the id.
//! - When the server ends a subscription (its producer dropped the last
//!   sink, the policy [`SlowPolicy::End`], a graceful shutdown) the last
//!   notification carries `"error": {"code": .., "message": ..}` instead of
//!   `"result"` (as jsonrpsee's closing notifications do). A subscriber that
//!   lost items under [`SlowPolicy::DropOldest`] gets `"lagged": N` first.
//!
//! On the server, a subscribe method gets a [`PendingSubscription`], accepts
//! it ([`SubscriptionSink`]: `send(..).await`, `try_send`, `closed()`) or
//! rejects it; [`Topic`] fans one item out to many. Each connection's
//! [`Subscriptions`] holds its subscriptions within [`SubscriptionLimits`],
//! and the transport it runs on feeds their frames to its
//! [`Outbox`]. On the client, a subscription is a typed
//! [`Subscription`](crate::client::Subscription) stream.
//!
//! ## Positions, history and recovery
//!
//! A [`Topic`] that keeps [`History`] (in process, or a [`Broker`]'s such
//! as Redis) gives each item a [`Position`], sent with it:
//! `{"subscription":ID,"result":ITEM,"position":"EPOCH:N-M"}`. A new
//! subscription first gets `{"subscription":ID,"position":P}` (where it
//! starts, before any item). A subscriber that comes back with the last
//! position it saw ([`Topic::follow`]) gets what it missed, then live
//! items, with no gap and no duplicate; what is no longer kept is told as
//! `{"subscription":ID,"gap":{"since":P}}` (the client's stream yields
//! `SubscriptionError::Gap`) before what is kept. While a broker is
//! unreachable its subscribers get `{"subscription":ID,"interrupted":REASON}`
//! (the stream yields `SubscriptionError::Interrupted` and goes on), and
//! when it is back each instance recovers what it missed from the
//! broker's history. By convention a resumable subscribe method takes the
//! position as its last parameter, `since` (optional): that is what
//! `rpc-client`'s reconnecting `WsClient` sends when it resubscribes.
//!
//! ## Memory and slow subscribers
//!
//! Every subscription buffers at most [`SubscriptionConfig::buffer`]
//! notifications (16 by default) beyond the connection's write queue; its
//! [`SlowPolicy`] says what happens to a send when they are that many:
//! wait (the default), drop the oldest and tell the subscriber, or end the
//! subscription. A connection holds at most
//! [`SubscriptionLimits::max_per_connection`] subscriptions (1024 by
//! default), so what a connection can hold is bounded whatever the client
//! does: frames, not bytes, are counted, so large items cost in
//! proportion.

mod broker;
mod fan_out;
mod history;
mod hub;
mod id;
mod lane;
mod outbox;
mod policy;
mod position;
#[cfg(feature = "redis")]
mod redis;
mod sink;
mod topic;

pub use broker::{Broker, BrokerError, BrokerFuture, Feed, Published};
pub use history::{History, Replay};
pub use hub::{SubscriptionLimits, Subscriptions};
pub use id::{SubscriptionId, SubscriptionIds};
pub(crate) use lane::Kind;
pub use outbox::{Frame, Outbox, OutboxFuture, OutboxPermit, Pushed};
pub use policy::{SlowPolicy, SubscriptionConfig};
pub use position::{Position, PositionError};
#[cfg(feature = "redis")]
pub use redis::{RedisBroker, RedisConfig};
pub use sink::{AcceptError, PendingSubscription, SendError, SubscriptionSink, TrySendError};
pub use topic::{PublishError, Topic};

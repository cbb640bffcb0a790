//! Subscriptions that outlive a connection: a client that reconnects makes
//! them again on its next connection, resuming after the last position
//! each saw, and its typed streams just go on.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use serde::de::DeserializeOwned;

use super::peer::Peer;
use crate::client::{ClientError, Inbox, Subscription, Unsubscribe};
use crate::params::EncodedParams;
use crate::protocol::{codes, ErrorObjectOwned};
use crate::subscription::SubscriptionId;
use crate::BoxFuture;

/// The subscriptions a reconnecting client keeps across its connections.
/// `rpc-client`'s `WsClient` with a reconnect policy subscribes through
/// one and calls [`resubscribe`](Self::resubscribe) on each new
/// connection.
///
/// After a reconnect each subscription is made again with the same method
/// and params, plus, when its items carried positions, the last position
/// it received as a last param `since` (appended to positional params,
/// added as `"since"` to named ones; see
/// [`Topic::follow`](crate::subscription::Topic::follow)), so the server
/// replays what it missed. A subscription whose items carry no position
/// resumes live, and its stream yields `SubscriptionError::Gap { since:
/// None }` first: items published meanwhile may be missing.
///
/// ```no_run
/// # async fn demo(first: rpc_runtime::ws::Peer, second: rpc_runtime::ws::Peer) -> Result<(), rpc_runtime::client::ClientError> {
/// use rpc_runtime::params::EncodedParams;
/// use rpc_runtime::ws::Resubscriber;
/// let durable = Resubscriber::default();
/// let params = EncodedParams::from_value(&["news"])?;
/// let news = durable.subscribe::<String>(&first, "subscribe_topic", params, "topic", "unsubscribe_topic").await?;
/// // ... the first connection drops, `second` is the next one:
/// durable.resubscribe(&second).await;
/// # drop(news); Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Resubscriber {
    kept: Arc<Mutex<Vec<Weak<Durable>>>>,
}

impl std::fmt::Debug for Resubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resubscriber")
            .field("subscriptions", &self.live().len())
            .finish()
    }
}

/// One kept subscription: how to make it again, and where it lives now.
struct Durable {
    method: String,
    params: EncodedParams,
    notification: Arc<str>,
    unsubscribe: Arc<str>,
    inbox: Arc<Inbox>,
    peer: Mutex<Peer>,
}

impl Durable {
    fn peer(&self) -> Peer {
        self.peer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Resubscriber {
    fn lock(&self) -> MutexGuard<'_, Vec<Weak<Durable>>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn live(&self) -> Vec<Arc<Durable>> {
        let mut kept = self.lock();
        kept.retain(|durable| durable.upgrade().is_some_and(|d| !d.inbox.is_done()));
        kept.iter().filter_map(Weak::upgrade).collect()
    }

    /// Subscribes on `peer` as [`Peer::subscribe`] does, and keeps the
    /// subscription for the next connections.
    ///
    /// # Errors
    /// The subscribe call's error, or the connection's.
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        peer: &Peer,
        method: &str,
        params: EncodedParams,
        notification: &str,
        unsubscribe: &str,
    ) -> Result<Subscription<T>, ClientError> {
        let inbox = Arc::new(Inbox::default());
        inbox.set_durable();
        peer.subscribe_into(method, params.clone(), notification, &inbox)
            .await?;
        let durable = Arc::new(Durable {
            method: method.to_owned(),
            params,
            notification: notification.into(),
            unsubscribe: unsubscribe.into(),
            inbox: Arc::clone(&inbox),
            peer: Mutex::new(peer.clone()),
        });
        self.lock().push(Arc::downgrade(&durable));
        Ok(Subscription::new(inbox, durable))
    }

    /// Makes every kept subscription again on `peer`, the new connection,
    /// one after the other. One the server refuses ends its stream with
    /// the refusal; if the connection fails meanwhile, the rest wait for
    /// the next one.
    pub async fn resubscribe(&self, peer: &Peer) {
        for durable in self.live() {
            let params = match durable.inbox.received() {
                Some(position) => durable.params.with_since(&position),
                None => {
                    durable.inbox.push_gap();
                    durable.params.clone()
                }
            };
            match peer
                .subscribe_into(
                    &durable.method,
                    params,
                    &durable.notification,
                    &durable.inbox,
                )
                .await
            {
                Ok(_) => {
                    *durable.peer.lock().unwrap_or_else(PoisonError::into_inner) = peer.clone();
                }
                Err(ClientError::Rpc(error)) => {
                    durable.inbox.push_error(error);
                }
                Err(error) => {
                    tracing::debug!(target: "rpc_runtime::ws", method = %durable.method, %error, "resubscribe failed; the next connection tries again");
                    return;
                }
            }
        }
    }

    /// The client stopped reconnecting: every kept stream ends, with an
    /// error saying so.
    pub fn end(&self) {
        for durable in self.live() {
            durable.inbox.push_error(ErrorObjectOwned::new(
                codes::SUBSCRIPTION_ENDED,
                "the connection is gone and the client stopped reconnecting",
            ));
        }
        self.lock().clear();
    }
}

impl Unsubscribe for Durable {
    fn unsubscribe(&self, id: SubscriptionId) -> BoxFuture<Result<bool, ClientError>> {
        let peer = self.peer();
        let method = self.unsubscribe.clone();
        Box::pin(async move {
            let params = EncodedParams::from_value(&[id])?;
            crate::client::Caller::call(&peer, &method, params).await
        })
    }

    fn forget(&self, id: &SubscriptionId) {
        self.inbox.end();
        self.peer().forget_subscription(&self.notification, id);
    }
}

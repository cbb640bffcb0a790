//! The subscription API on jsonrpsee, with its idiomatic fan-out (as in
//! jsonrpsee's `ws_pubsub_broadcast` example): a `tokio::sync::broadcast`
//! channel of [`CAPACITY`] items and one task per subscription (the
//! subscribe future jsonrpsee spawns) forwarding each item with
//! `sink.send(..).await`. `flood(n)` sends `0..n` into the channel and
//! answers how many receivers the last item had; `subscribers()` counts
//! them. A receiver that lags (misses items) ends its subscription with an
//! error notification, as the example does, so a loss is seen, never hidden.

use futures_util::future::{self, Either};
use jsonrpsee::core::{to_json_raw_value, SubscriptionResult};
use jsonrpsee::server::RpcModule;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::PendingSubscriptionSink;
use tokio::sync::broadcast;

use super::BoxError;

/// The broadcast channel's capacity; the load generator never floods more
/// than this in one round, so a receiver that keeps up loses nothing.
pub(crate) const CAPACITY: usize = 4096;

pub(crate) fn register(module: &mut RpcModule<()>) -> Result<(), BoxError> {
    let (sender, _) = broadcast::channel::<u64>(CAPACITY);
    let following = sender.clone();
    module.register_subscription(
        "subscribe_topic",
        "topic",
        "unsubscribe_topic",
        move |_, pending, _, _| {
            let receiver = following.subscribe();
            forward(pending, receiver)
        },
    )?;
    let flooding = sender.clone();
    module.register_method("flood", move |params, _, _| {
        let n: u64 = params.sequence().next()?;
        let mut reached = 0;
        for item in 0..n {
            reached = flooding.send(item).unwrap_or(0);
        }
        Ok::<_, ErrorObjectOwned>(reached)
    })?;
    module.register_method("subscribers", move |_, _, _| {
        Ok::<_, ErrorObjectOwned>(sender.receiver_count())
    })?;
    Ok(())
}

/// One subscription's task: items from the channel to the sink until the
/// subscription or the connection closes.
async fn forward(
    pending: PendingSubscriptionSink,
    mut receiver: broadcast::Receiver<u64>,
) -> SubscriptionResult {
    let sink = pending.accept().await?;
    let closed = sink.closed();
    futures_util::pin_mut!(closed);
    loop {
        let next = receiver.recv();
        futures_util::pin_mut!(next);
        match future::select(closed, next).await {
            Either::Left(_) => return Ok(()),
            Either::Right((Ok(item), still_open)) => {
                let message = to_json_raw_value(&item)?;
                if sink.send(message).await.is_err() {
                    return Ok(());
                }
                closed = still_open;
            }
            Either::Right((Err(error), _)) => return Err(error.into()),
        }
    }
}

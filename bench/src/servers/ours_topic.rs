//! The subscription API on our server: `subscribe_topic()` follows one
//! [`Topic`] (notification `topic`, unsubscribe `unsubscribe_topic`) under
//! the default [`SubscriptionConfig`](rpc_runtime::subscription::SubscriptionConfig)
//! (a buffer of 16, policy `Wait`: back-pressure, nothing lost);
//! `flood(n)` publishes `0..n` to it and answers, once every item is handed
//! over, how many subscribers the last one reached; `subscribers()` counts
//! them.

use std::sync::Arc;

use rpc_runtime::protocol::{codes, ErrorObjectOwned};
use rpc_runtime::subscription::{PendingSubscription, Topic};
use rpc_runtime::Router;

use super::BoxError;

pub(crate) fn register(router: &mut Router) -> Result<(), BoxError> {
    let topic: Arc<Topic<u64>> = Arc::new(Topic::new());
    let following = Arc::clone(&topic);
    router.register_subscription(
        "subscribe_topic",
        "topic",
        "unsubscribe_topic",
        &[],
        move |(): (), pending: PendingSubscription<u64>, _| {
            let topic = Arc::clone(&following);
            async move {
                if let Ok(sink) = pending.accept() {
                    topic.add(sink);
                }
            }
        },
    )?;
    let flooding = Arc::clone(&topic);
    router.register_async_args("flood", &["n"], move |(n,): (u64,), _| {
        let topic = Arc::clone(&flooding);
        async move {
            let mut reached = 0;
            for item in 0..n {
                reached = topic.publish(&item).await.map_err(|error| {
                    ErrorObjectOwned::new(codes::INTERNAL_ERROR, error.to_string())
                })?;
            }
            Ok::<_, ErrorObjectOwned>(reached)
        }
    })?;
    router.register_sync_args("subscribers", &[], move |(): (), _| {
        Ok::<_, ErrorObjectOwned>(topic.len())
    })?;
    Ok(())
}

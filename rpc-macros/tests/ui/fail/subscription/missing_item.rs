use rpc_runtime::rpc;
use rpc_runtime::subscription::PendingSubscription;

#[rpc]
pub trait Api {
    #[subscription(name = "subscribe_count")]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64);
}

fn main() {}

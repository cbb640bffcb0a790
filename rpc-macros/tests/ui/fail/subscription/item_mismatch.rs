use rpc_runtime::rpc;
use rpc_runtime::subscription::PendingSubscription;

#[rpc]
pub trait Api {
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<String>, start: i64);
}

fn main() {}

use rpc_runtime::rpc;
use rpc_runtime::subscription::PendingSubscription;

#[rpc]
pub trait Api {
    fn unsubscribe_count(&self) -> bool;
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64);
}

fn main() {}

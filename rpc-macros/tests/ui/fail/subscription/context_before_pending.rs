use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, start: i64, ctx: &Context);
}

fn main() {}

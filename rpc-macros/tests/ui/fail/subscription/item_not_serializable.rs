use rpc_runtime::rpc;
use rpc_runtime::subscription::PendingSubscription;

#[derive(serde::Deserialize)]
pub struct Received(pub i64);

#[rpc]
pub trait Api {
    #[subscription(item = Received)]
    async fn subscribe_received(&self, pending: PendingSubscription<Received>);
}

fn main() {}

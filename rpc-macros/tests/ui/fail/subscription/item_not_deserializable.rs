use rpc_runtime::rpc;
use rpc_runtime::subscription::PendingSubscription;

#[derive(serde::Serialize)]
pub struct Sent(pub i64);

#[rpc]
pub trait Api {
    #[subscription(item = Sent)]
    async fn subscribe_sent(&self, pending: PendingSubscription<Sent>);
}

fn main() {}

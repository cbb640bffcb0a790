use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[subscription(item = i64)]
    async fn subscribe_count(&self, start: i64);
}

fn main() {}

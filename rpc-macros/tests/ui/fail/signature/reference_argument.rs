use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn greet(&self, name: &str) -> String;
}

fn main() {}

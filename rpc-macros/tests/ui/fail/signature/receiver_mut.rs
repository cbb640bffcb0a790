use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn bump(&mut self) -> u64;
}

fn main() {}

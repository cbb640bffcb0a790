use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[method(blocking)]
    async fn hash(&self, data: Vec<u8>) -> u64;
}

fn main() {}

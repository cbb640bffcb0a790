use rpc_runtime::rpc;

pub struct Opaque;

#[rpc]
pub trait Api {
    async fn get(&self) -> Opaque;
}

fn main() {}

use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    fn consume(self) -> u64;
}

fn main() {}

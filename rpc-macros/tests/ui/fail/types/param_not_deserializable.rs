use rpc_runtime::rpc;

pub struct Opaque;

#[rpc]
pub trait Api {
    fn put(&self, value: Opaque);
}

fn main() {}

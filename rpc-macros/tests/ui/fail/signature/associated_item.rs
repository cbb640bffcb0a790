use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    const VERSION: u32;
    fn ping(&self) -> String;
}

fn main() {}

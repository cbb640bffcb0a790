use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    fn version() -> String;
}

fn main() {}

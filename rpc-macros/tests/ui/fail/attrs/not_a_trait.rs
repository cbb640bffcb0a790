use rpc_runtime::rpc;

#[rpc]
pub struct Api;

fn main() {}

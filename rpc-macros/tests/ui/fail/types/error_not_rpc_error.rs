use rpc_runtime::rpc;

#[derive(Debug)]
pub struct Oops;

#[rpc]
pub trait Api {
    async fn get(&self) -> Result<i64, Oops>;
}

fn main() {}

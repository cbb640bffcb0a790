use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn add(&self, (a, b): (i64, i64)) -> i64;
}

fn main() {}

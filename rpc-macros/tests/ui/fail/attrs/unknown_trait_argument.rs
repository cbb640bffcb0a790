use rpc_runtime::rpc;

#[rpc(namespase = "math")]
pub trait Api {
    async fn add(&self, a: i64, b: i64) -> i64;
}

fn main() {}

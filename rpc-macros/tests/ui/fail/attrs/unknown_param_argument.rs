use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn add(&self, #[param(name = "x")] a: i64, b: i64) -> i64;
}

fn main() {}

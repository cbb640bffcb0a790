use rpc_runtime::rpc;

#[rpc(client_params = "by_name")]
pub trait Api {
    async fn add(&self, a: i64, b: i64) -> i64;
}

fn main() {}

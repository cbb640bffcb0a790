use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[method(rename = "plus")]
    async fn add(&self, a: i64, b: i64) -> i64;
}

fn main() {}

use rpc_runtime::rpc;

#[rpc(namespace = "math")]
pub trait Api {
    async fn sub(&self, a: i64, b: i64) -> i64;
    #[method(aliases = ["sub"])]
    async fn subtract(&self, a: i64, b: i64) -> i64;
}

fn main() {}

use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[method]
    fn sum(&self, #[param(variadic)] values: Vec<i64>, scale: i64) -> i64;
}

fn main() {}

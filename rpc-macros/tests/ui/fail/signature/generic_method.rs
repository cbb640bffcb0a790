use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn echo<T>(&self, value: T) -> T;
}

fn main() {}

use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    async fn show(&self, value: impl std::fmt::Display) -> String;
}

fn main() {}

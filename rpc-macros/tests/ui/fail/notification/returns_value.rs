use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[notification]
    async fn log(&self, line: String) -> bool;
}

fn main() {}

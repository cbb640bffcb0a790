use rpc_runtime::rpc;

#[rpc]
pub trait Jobs {
    async fn batch(&self, size: u32) -> u64;
    #[notification]
    fn send(&self, to: String);
    fn total(&self) -> u64;
    #[allow(non_snake_case)]
    fn Total(&self) -> u64;
}

fn main() {}

use rpc_runtime::rpc;

// Two unrelated mistakes: both are reported, each once, in one build.
#[rpc]
pub trait Api {
    async fn bump(&mut self) -> u64;
    async fn greet(&self, name: &str) -> String;
}

fn main() {}

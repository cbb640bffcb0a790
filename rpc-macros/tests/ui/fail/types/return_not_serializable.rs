use rpc_runtime::rpc;

#[derive(serde::Deserialize)]
pub struct Report {
    pub lines: Vec<String>,
}

#[rpc]
pub trait Api {
    async fn report(&self) -> Report;
}

fn main() {}

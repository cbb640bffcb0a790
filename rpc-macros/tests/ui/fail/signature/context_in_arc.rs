use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    fn whoami(&self, ctx: std::sync::Arc<Context>) -> String;
}

fn main() {}

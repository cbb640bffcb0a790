use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    async fn whoami(&self, verbose: bool, ctx: &Context) -> String;
}

fn main() {}

use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    fn whoami(&self, ctx: Option<&Context>) -> String;
}

fn main() {}

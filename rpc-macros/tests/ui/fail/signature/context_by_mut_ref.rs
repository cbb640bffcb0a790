use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    fn whoami(&self, ctx: &mut Context) -> String;
}

fn main() {}

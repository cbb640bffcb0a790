use rpc_runtime::{rpc, Context};

#[rpc]
pub trait Api {
    fn whoami(&self, ctx: Context) -> String;
}

fn main() {}

use rpc_runtime::rpc;

#[rpc(namespace = "rpc")]
pub trait Api {
    fn discover(&self) -> String;
}

fn main() {}

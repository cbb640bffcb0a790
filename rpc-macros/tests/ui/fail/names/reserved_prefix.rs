use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    #[method(name = "rpc.discover")]
    fn discover(&self) -> String;
}

fn main() {}

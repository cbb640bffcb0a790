use rpc_runtime::rpc;

#[rpc]
pub trait Api {
    fn version(&self) -> String {
        "1.0".to_owned()
    }
}

fn main() {}

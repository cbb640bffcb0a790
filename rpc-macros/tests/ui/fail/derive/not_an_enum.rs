use rpc_runtime::RpcError;

#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
#[error("locked")]
pub struct Locked {
    pub door: u32,
}

fn main() {}

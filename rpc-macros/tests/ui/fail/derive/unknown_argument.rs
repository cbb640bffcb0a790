use rpc_runtime::RpcError;

#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum VaultError {
    #[error("locked")]
    #[rpc(code = 4001, msg = "locked")]
    Locked,
}

fn main() {}

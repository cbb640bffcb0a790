use rpc_runtime::RpcError;

#[derive(Debug, serde::Serialize, serde::Deserialize, RpcError)]
pub enum VaultError {
    #[rpc(code = 4001)]
    Locked,
}

fn main() {}

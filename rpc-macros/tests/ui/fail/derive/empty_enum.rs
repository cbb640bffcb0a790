use rpc_runtime::RpcError;

#[derive(Debug, serde::Serialize, serde::Deserialize, RpcError)]
pub enum Never {}

fn main() {}

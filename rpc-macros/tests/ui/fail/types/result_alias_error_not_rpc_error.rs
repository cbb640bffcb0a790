use rpc_runtime::rpc;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct BankError;

pub type Result<T> = std::result::Result<T, BankError>;

#[rpc]
pub trait Bank {
    fn withdraw(&self, amount: u64) -> Result<u64>;
}

fn main() {}

//! Every spelling of a `Result` is fallible: the alias's error type is the
//! method's application error, on the server and on the client.
use rpc_runtime::client::{ClientError, LocalCaller};
use rpc_runtime::{rpc, InternalError, RpcError};

#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum BankError {
    #[error("insufficient funds")]
    #[rpc(code = 2001)]
    Insufficient,
}

pub type Result<T> = std::result::Result<T, BankError>;

mod defaulted {
    pub type Result<T, E = rpc_runtime::InternalError> = std::result::Result<T, E>;
}

mod bare {
    pub type Result = std::result::Result<(), super::BankError>;
}

#[rpc]
pub trait Bank {
    fn withdraw(&self, amount: u64) -> Result<u64>;
    fn audit(&self) -> defaulted::Result<String>;
    async fn close(&self) -> bare::Result;
    fn explicit(&self) -> std::result::Result<u64, InternalError>;
}

struct Vault;

impl Bank for Vault {
    fn withdraw(&self, _amount: u64) -> Result<u64> {
        Err(BankError::Insufficient)
    }
    fn audit(&self) -> defaulted::Result<String> {
        Ok("clean".to_owned())
    }
    async fn close(&self) -> bare::Result {
        Ok(())
    }
    fn explicit(&self) -> std::result::Result<u64, InternalError> {
        Ok(1)
    }
}

fn main() {
    let client = BankClient::new(LocalCaller::new(Vault.into_router()));
    futures_executor::block_on(async {
        let typed: std::result::Result<u64, ClientError<BankError>> = client.withdraw(1).await;
        assert!(matches!(typed, Err(ClientError::Application(BankError::Insufficient))));
        let audit: std::result::Result<String, ClientError<InternalError>> = client.audit().await;
        assert_eq!(audit.ok().as_deref(), Some("clean"));
        let closed: std::result::Result<(), ClientError<BankError>> = client.close().await;
        assert!(closed.is_ok());
        assert_eq!(client.explicit().await.ok(), Some(1));
    });
}

//! A method returning a `Result` alias is fallible like one returning
//! `Result<T, E>`: on the wire a success is the bare value and a failure an
//! error object (never `{"Ok": ..}` / `{"Err": ..}`), and the generated
//! client gets `ClientError::Application(E)`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpc_runtime::client::{ClientError, LocalCaller};
use rpc_runtime::{rpc, Context, Router, RpcError};
use serde_json::{json, Value};

/// What can go wrong at the bank.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum BankError {
    /// Not enough money.
    #[error("insufficient funds: {0} short")]
    #[rpc(code = 2001)]
    Insufficient(u64),
}

/// The crate's own alias, as `thiserror`-style crates write it.
pub type Result<T> = std::result::Result<T, BankError>;

/// With a default error, as `anyhow::Result<T, E = Error>` is written.
pub mod defaulted {
    /// The result, its error defaulted.
    pub type Result<T, E = super::BankError> = std::result::Result<T, E>;
}

/// An alias with no arguments at all.
pub mod bare {
    /// The result of a balance.
    pub type Result = std::result::Result<u64, super::BankError>;
}

/// A module path, as in `io::Result<T>`.
pub mod bank {
    /// The bank's result.
    pub type Result<T> = std::result::Result<T, super::BankError>;
}

/// Withdrawals, with every spelling of a `Result` (the last path segment is what
/// the macro sees).
#[rpc]
pub trait Bank {
    /// A crate alias: `Result<T>`.
    fn withdraw(&self, amount: u64) -> Result<u64>;
    /// A defaulted error argument.
    fn withdraw_defaulted(&self, amount: u64) -> defaulted::Result<u64>;
    /// A bare alias.
    fn balance(&self, amount: u64) -> bare::Result;
    /// Through a module path, async.
    async fn withdraw_async(&self, amount: u64) -> bank::Result<u64>;
    /// Nothing but success or failure, with the context.
    fn check(&self, ctx: &Context, amount: u64) -> Result<()>;
}

struct Account(u64);

impl Account {
    fn take(&self, amount: u64) -> Result<u64> {
        self.0
            .checked_sub(amount)
            .ok_or_else(|| BankError::Insufficient(amount - self.0))
    }
}

impl Bank for Account {
    fn withdraw(&self, amount: u64) -> Result<u64> {
        self.take(amount)
    }
    fn withdraw_defaulted(&self, amount: u64) -> defaulted::Result<u64> {
        self.take(amount)
    }
    fn balance(&self, amount: u64) -> bare::Result {
        self.take(amount)
    }
    async fn withdraw_async(&self, amount: u64) -> bank::Result<u64> {
        self.take(amount)
    }
    fn check(&self, _ctx: &Context, amount: u64) -> Result<()> {
        self.take(amount).map(drop)
    }
}

fn router() -> Router {
    Account(30).into_router()
}

async fn call(router: &Router, method: &str, amount: u64) -> Value {
    let request = json!({"jsonrpc": "2.0", "method": method, "params": [amount], "id": 1});
    let reply = router
        .handle(&request.to_string(), &Context::new())
        .await
        .expect("a call gets a reply");
    serde_json::from_str(&reply).unwrap()
}

const METHODS: [&str; 4] = [
    "withdraw",
    "withdraw_defaulted",
    "balance",
    "withdraw_async",
];

#[tokio::test]
async fn a_success_is_the_bare_value_on_the_wire() {
    let router = router();
    for method in METHODS {
        let reply = call(&router, method, 20).await;
        assert_eq!(
            reply,
            json!({"jsonrpc": "2.0", "result": 10, "id": 1}),
            "{method}"
        );
    }
    let reply = call(&router, "check", 20).await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "result": null, "id": 1}));
}

#[tokio::test]
async fn a_failure_is_the_application_error_object_on_the_wire() {
    let router = router();
    let expected = json!({
        "jsonrpc": "2.0",
        "error": {"code": 2001, "message": "insufficient funds: 20 short", "data": {"Insufficient": 20}},
        "id": 1,
    });
    for method in METHODS.into_iter().chain(["check"]) {
        assert_eq!(call(&router, method, 50).await, expected, "{method}");
    }
}

#[tokio::test]
async fn the_client_gets_the_value_or_the_typed_application_error() {
    let client = BankClient::new(LocalCaller::new(router()));
    assert_eq!(client.withdraw(20).await.unwrap(), 10);
    assert_eq!(client.withdraw_defaulted(20).await.unwrap(), 10);
    assert_eq!(client.balance(20).await.unwrap(), 10);
    assert_eq!(client.withdraw_async(20).await.unwrap(), 10);
    client.check(20).await.unwrap();

    let insufficient = |result: std::result::Result<_, ClientError<BankError>>| match result {
        Err(ClientError::Application(error)) => error,
        other => panic!("expected an application error, got {other:?}"),
    };
    let short = BankError::Insufficient(20);
    assert_eq!(insufficient(client.withdraw(50).await.map(drop)), short);
    assert_eq!(
        insufficient(client.withdraw_defaulted(50).await.map(drop)),
        short
    );
    assert_eq!(insufficient(client.balance(50).await.map(drop)), short);
    assert_eq!(
        insufficient(client.withdraw_async(50).await.map(drop)),
        short
    );
    assert_eq!(insufficient(client.check(50).await), short);
}

#[test]
fn the_document_lists_the_alias_s_result_and_errors() {
    use rpc_runtime::openrpc::{Info, OpenRpcConfig};
    let doc = router().openrpc_document(&OpenRpcConfig::new(Info::new("Bank", "1")));
    let doc = serde_json::to_value(&doc).unwrap();
    let withdraw = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "withdraw")
        .unwrap();
    assert_eq!(withdraw["result"]["schema"]["type"], "integer");
    assert_eq!(withdraw["errors"][0]["code"], 2001);
}

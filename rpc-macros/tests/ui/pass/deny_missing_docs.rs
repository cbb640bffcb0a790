//! The generated server and client compile warning-free under strict lints.
#![deny(missing_docs, warnings)]

use rpc_runtime::client::LocalCaller;
use rpc_runtime::{rpc, Context, RpcError};

/// Errors of the API.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum ApiError {
    /// Not found.
    #[error("not found: {0}")]
    #[rpc(code = 404)]
    NotFound(String),
}

/// A documented API.
#[rpc(namespace = "api")]
pub trait Api {
    /// Adds.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Looks up.
    #[method(aliases = ["get"])]
    async fn lookup(&self, key: String) -> Result<String, ApiError>;
    /// Old.
    #[deprecated(note = "use `add`")]
    fn plus(&self, a: i64, b: i64) -> i64;
    /// Logs.
    #[notification]
    fn log(&self, line: String);
    /// Heavy.
    #[method(blocking)]
    fn heavy(&self, n: u64) -> u64;
    /// Context.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
    /// Named.
    #[method(client_params = "named")]
    async fn named(&self, #[param(rename = "firstName")] first_name: String) -> String;
}

struct Impl;

impl Api for Impl {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn lookup(&self, key: String) -> Result<String, ApiError> {
        Err(ApiError::NotFound(key))
    }
    fn plus(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    fn log(&self, _line: String) {}
    fn heavy(&self, n: u64) -> u64 {
        n
    }
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.transport().to_owned().into()
    }
    async fn named(&self, first_name: String) -> String {
        first_name
    }
}

fn main() {
    let client = ApiClient::new(LocalCaller::new(Impl.into_router()));
    let sum = futures_executor::block_on(client.add(1, 2));
    assert_eq!(sum.ok(), Some(3));
}

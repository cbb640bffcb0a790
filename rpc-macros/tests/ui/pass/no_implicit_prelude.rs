//! The expansion names only absolute paths: it compiles without the prelude.
#![no_implicit_prelude]

extern crate futures_executor;
extern crate rpc_runtime;
extern crate serde;
extern crate std;
extern crate thiserror;

use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::{rpc, Context, RpcError};

#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    #[error("overflow")]
    #[rpc(code = 1001)]
    Overflow,
}

#[rpc(namespace = "math")]
pub trait Calculator {
    async fn add(&self, a: i64, b: i64) -> i64;
    #[method(name = "subtract", aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> ::std::result::Result<i64, CalcError>;
    async fn scale(&self, x: f64, factor: ::std::option::Option<f64>) -> f64;
    #[notification]
    async fn log(&self, line: ::std::string::String);
    fn version(&self) -> ::std::string::String;
    #[method(blocking)]
    fn heavy(&self, n: u64) -> u64;
    async fn whoami(&self, ctx: &Context) -> ::std::option::Option<::std::string::String>;
    #[subscription(item = i64)]
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, ctx: &Context, start: i64);
    #[subscription(name = "watch", item = ::std::string::String)]
    fn watch(&self, pending: PendingSubscription<::std::string::String>);
}

struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> ::std::result::Result<i64, CalcError> {
        minuend.checked_sub(subtrahend).ok_or(CalcError::Overflow)
    }
    async fn scale(&self, x: f64, factor: ::std::option::Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }
    async fn log(&self, _line: ::std::string::String) {}
    fn version(&self) -> ::std::string::String {
        ::std::string::ToString::to_string("1")
    }
    fn heavy(&self, n: u64) -> u64 {
        n
    }
    async fn whoami(&self, _ctx: &Context) -> ::std::option::Option<::std::string::String> {
        ::std::option::Option::None
    }
    async fn subscribe_count(&self, pending: PendingSubscription<i64>, _ctx: &Context, start: i64) {
        if let ::std::result::Result::Ok(sink) = pending.accept() {
            let _ = sink.send(&start).await;
        }
    }
    fn watch(&self, pending: PendingSubscription<::std::string::String>) {
        ::std::mem::drop(pending.accept());
    }
}

fn main() {
    let client = CalculatorClient::new(rpc_runtime::client::LocalCaller::new(Calc.into_router()));
    let sum = futures_executor::block_on(client.add(1, 2));
    ::std::assert_eq!(sum.ok(), ::std::option::Option::Some(3));
}

//! The `#[rpc]` example trait end to end through the in-process caller.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpc_runtime::client::{Caller, ClientError, LocalCaller};
use rpc_runtime::{rpc, Context, RpcError};

/// Errors of the calculator.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The result does not fit.
    #[error("overflow computing {0} - {1}")]
    #[rpc(code = 1001)]
    Overflow(i64, i64),
    /// Subtraction of a negative number is not allowed today.
    #[error("negative subtrahend")]
    #[rpc(code = 1002, message = "negative subtrahend")]
    Negative,
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "math")]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts.
    #[method(name = "subtract", aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
    /// Scales.
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64;
    /// Logs.
    #[notification]
    async fn log(&self, line: String);
    /// Version.
    fn version(&self) -> String;
    /// Who am I.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
}

struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        if subtrahend < 0 {
            return Err(CalcError::Negative);
        }
        minuend.checked_sub(subtrahend).ok_or(CalcError::Overflow(minuend, subtrahend))
    }
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }
    async fn log(&self, _line: String) {}
    fn version(&self) -> String {
        "1.0".into()
    }
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.get::<String>().map(|s| (*s).clone())
    }
}

#[tokio::test]
async fn calculator_round_trip() {
    let client = CalculatorClient::new(LocalCaller::new(Calc.into_router()));
    assert_eq!(client.add(1, 2).await.unwrap(), 3);
    assert_eq!(client.subtract(5, 3).await.unwrap(), 2);
    match client.subtract(1, -1).await {
        Err(ClientError::Application(CalcError::Negative)) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(client.scale(2.0, None).await.unwrap(), 2.0);
    client.log("hi".into()).await.unwrap();
    assert_eq!(client.version().await.unwrap(), "1.0");
    assert_eq!(client.whoami().await.unwrap(), None);
    let _: i64 = client.caller().call("math.sub", rpc_runtime::params::EncodedParams::none()).await.unwrap_or(0);
    let _ = CalcError::declared_errors();
}

//! The typed batch builder and the wire-name constants compile without the
//! prelude and warning-free under strict lints, for public and private
//! traits, every params style and a deprecated method.
#![no_implicit_prelude]
#![deny(missing_docs, warnings)]

extern crate futures_executor;
extern crate rpc_runtime;
extern crate serde;
extern crate std;
extern crate thiserror;

use rpc_runtime::client::{BatchCall, ClientError, LocalCaller};
use rpc_runtime::{rpc, RpcError};

/// Errors of the calculator.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// Overflow.
    #[error("overflow")]
    #[rpc(code = 1001)]
    Overflow,
}

/// A calculator.
#[rpc(namespace = "math")]
pub trait Calculator {
    /// Adds.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts.
    #[method(name = "subtract", aliases = ["sub"])]
    async fn minus(&self, minuend: i64, subtrahend: i64) -> ::std::result::Result<i64, CalcError>;
    /// Sums, named.
    #[method(client_params = "named")]
    fn sum(&self, scale: i64, #[param(variadic)] values: ::std::vec::Vec<i64>) -> i64;
    /// Logs.
    #[notification]
    async fn log(&self, line: ::std::string::String);
    /// Nothing back.
    fn reset(&self);
    /// Old.
    #[deprecated(note = "use `add`")]
    fn plus(&self, a: i64, b: i64) -> i64;
}

/// Private, with a raw identifier.
#[rpc(namespace = "inner", namespace_separator = "_")]
trait Inner {
    /// The type.
    fn r#type(&self) -> u8;
}

struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn minus(&self, minuend: i64, subtrahend: i64) -> ::std::result::Result<i64, CalcError> {
        minuend.checked_sub(subtrahend).ok_or(CalcError::Overflow)
    }
    fn sum(&self, scale: i64, values: ::std::vec::Vec<i64>) -> i64 {
        scale * ::std::iter::Iterator::sum::<i64>(values.iter())
    }
    async fn log(&self, _line: ::std::string::String) {}
    fn reset(&self) {}
    fn plus(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

impl Inner for Calc {
    fn r#type(&self) -> u8 {
        7
    }
}

fn main() {
    let client = CalculatorClient::new(LocalCaller::new(Calculator::into_router(Calc)));
    let mut batch = client.batch();
    let sum: BatchCall<i64> = batch.add(1, 2);
    let overflow: BatchCall<i64, CalcError> = batch.minus(i64::MIN, 1);
    let scaled = batch.sum(2, ::std::vec![1, 2]);
    batch.log(::std::string::ToString::to_string("x"));
    let reset: BatchCall<()> = batch.reset();
    #[allow(deprecated)]
    let plus = batch.plus(1, 1);
    let answers = match futures_executor::block_on(batch.send()) {
        ::std::result::Result::Ok(answers) => answers,
        ::std::result::Result::Err(error) => ::std::panic!("{error}"),
    };
    ::std::assert_eq!(answers.get(sum).ok(), ::std::option::Option::Some(3));
    ::std::assert!(::std::matches!(
        answers.get(overflow),
        ::std::result::Result::Err(ClientError::Application(CalcError::Overflow))
    ));
    ::std::assert_eq!(scaled.take(&answers).ok(), ::std::option::Option::Some(6));
    ::std::assert!(answers.get(reset).is_ok());
    ::std::assert_eq!(answers.get(plus).ok(), ::std::option::Option::Some(2));

    ::std::assert_eq!(calculator_methods::MINUS, "math.subtract");
    ::std::assert_eq!(calculator_methods::LOG, "math.log");
    ::std::assert_eq!(inner_methods::TYPE, "inner_type");

    let inner = InnerClient::new(LocalCaller::new(Inner::into_router(Calc)));
    let mut batch = inner.batch();
    let kind = batch.r#type();
    let answers = futures_executor::block_on(batch.send());
    ::std::assert_eq!(
        ::std::result::Result::ok(answers).and_then(|a| a.get(kind).ok()),
        ::std::option::Option::Some(7)
    );
}

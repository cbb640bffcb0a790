//! The API describes itself: `#[rpc]` turns the trait's names, doc
//! comments, argument types and errors into an OpenRPC document, which the
//! server answers `rpc.discover` with (and a `GET` asking for JSON). This
//! example builds the calculator API, asks it for its document and prints it.
//!
//! Run with `cargo run -p examples --example discover`; pass `serve` to keep
//! the server up and browse the document with
//! `curl -H 'Accept: application/json' http://127.0.0.1:<port>/`.

use rpc_runtime::client::{Caller, LocalCaller};
use rpc_runtime::openrpc::Server as Endpoint;
use rpc_runtime::params::EncodedParams;
use rpc_runtime::server::Server;
use rpc_runtime::{rpc, Context, RpcError};

/// What can go wrong when subtracting.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The result does not fit in an `i64`.
    #[error("{0} - {1} overflows")]
    #[rpc(code = 1001, message = "the difference overflows")]
    Overflow(i64, i64),
}

/// A running total, with its history.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Tally {
    /// The sum so far.
    pub total: f64,
    /// Every number added, in order.
    pub history: Vec<f64>,
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "math")]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts the second number from the first.
    ///
    /// Fails with code 1001 when the difference does not fit in an `i64`.
    #[method(name = "subtract", aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
    /// Multiplies a number.
    async fn scale(
        &self,
        /// The number to scale.
        x: f64,
        /// The factor; 1 when left out.
        factor: Option<f64>,
    ) -> f64;
    /// Sums numbers, keeping the history.
    fn tally(&self, numbers: Vec<f64>) -> Tally;
    /// Writes a line to the server's log; no reply.
    #[notification]
    async fn log(&self, line: String);
    /// The server's version.
    #[deprecated(note = "read `info.version` from rpc.discover")]
    fn version(&self) -> String;
    /// The user this connection authenticated as.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
}

/// The implementation.
pub struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        minuend
            .checked_sub(subtrahend)
            .ok_or(CalcError::Overflow(minuend, subtrahend))
    }
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }
    fn tally(&self, numbers: Vec<f64>) -> Tally {
        Tally {
            total: numbers.iter().sum(),
            history: numbers,
        }
    }
    async fn log(&self, line: String) {
        println!("log: {line}");
    }
    fn version(&self) -> String {
        "1.0.0".to_owned()
    }
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.get::<String>().map(|name| name.to_string())
    }
}

/// The calculator served with its document's `info` and `servers` (the
/// tests validate this document against the OpenRPC meta-schema).
pub fn server() -> Server {
    Server::builder()
        .info("Calculator", "1.0.0", Some("Arithmetic over JSON-RPC."))
        .servers([Endpoint::new("http://127.0.0.1:8080").with_name("local")])
        .build(Calc.into_router())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = server();

    // The document, as any client gets it: a call to `rpc.discover`.
    let caller = LocalCaller::new(server.router().clone());
    let discovered: serde_json::Value = caller.call("rpc.discover", EncodedParams::none()).await?;

    // The same document, typed, printed in the specification's key order.
    let document = server.router().openrpc_document(&server.config().openrpc);
    assert_eq!(serde_json::to_value(&document)?, discovered);
    println!("{}", serde_json::to_string_pretty(&document)?);

    if std::env::args().nth(1).as_deref() == Some("serve") {
        let handle = server.bind("127.0.0.1:0").await?;
        let addr = handle.local_addr();
        eprintln!("serving on http://{addr}; browse the document with");
        eprintln!("  curl -H 'Accept: application/json' http://{addr}/");
        eprintln!("Ctrl-C to stop");
        tokio::signal::ctrl_c().await?;
        handle.shutdown(std::time::Duration::from_secs(5)).await;
    }
    Ok(())
}

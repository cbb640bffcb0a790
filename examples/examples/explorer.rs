//! The API explorer: the quickstart's calculator served with
//! `.explorer("/explorer")`, a page the server itself serves that lists
//! every method of `rpc.discover`, renders a form for each from its schema
//! and calls it over HTTP or WebSocket. It needs no network: open the URL
//! it prints in a browser (or `GET /` from a browser: the page too).
//!
//! Run with `cargo run -p examples --example explorer` (optionally with an
//! address, default `127.0.0.1:4100`; port 0 picks a free one). The first
//! line on stdout is `explorer http://ADDRESS/explorer`. Ctrl-C stops it.

use std::time::Duration;

use rpc_runtime::server::Server;
use rpc_runtime::{rpc, Context, RpcError};

// The quickstart's API (examples/examples/quickstart.rs), copied: an
// example is one file a reader can run and read alone.

/// What can go wrong when dividing.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The divisor was zero.
    #[error("cannot divide {0} by zero")]
    #[rpc(code = 1001)]
    DivisionByZero(i64),
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "calc")]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Divides `a` by `b`; dividing by zero is a typed application error.
    async fn divide(&self, a: i64, b: i64) -> Result<i64, CalcError>;
    /// Multiplies `x` by `factor` (1 when left out).
    #[method(client_params = "named")]
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64;
    /// Writes a line to the server's log; sent as a notification, no reply.
    #[notification]
    async fn log(&self, line: String);
    /// How the server sees this caller: transport and address.
    async fn whoami(&self, ctx: &Context) -> String;
}

/// The server's implementation of the API.
pub struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    async fn divide(&self, a: i64, b: i64) -> Result<i64, CalcError> {
        a.checked_div(b).ok_or(CalcError::DivisionByZero(a))
    }

    async fn scale(&self, x: f64, factor: Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }

    async fn log(&self, line: String) {
        println!("server log: {line}");
    }

    async fn whoami(&self, ctx: &Context) -> String {
        let addr = ctx
            .peer_addr()
            .map_or_else(|| "nowhere".to_owned(), |a| a.to_string());
        format!("{} client at {addr}", ctx.transport())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4100".to_owned());
    let server = Server::builder()
        .info("Calculator", "1.0.0", Some("The quickstart's API"))
        .explorer("/explorer")
        .build(Calc.into_router())
        .bind(&addr)
        .await?;
    let local = server.local_addr();
    println!("explorer http://{local}/explorer");
    println!("JSON-RPC over HTTP POST http://{local}/ and WebSocket ws://{local}/");
    tokio::signal::ctrl_c().await?;
    let outcome = server.shutdown(Duration::from_secs(5)).await;
    println!("server stopped: {outcome:?}");
    Ok(())
}

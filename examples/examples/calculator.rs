//! Defining an API once with `#[rpc]`: the trait is the server, the
//! generated `CalculatorClient` is the typed client. This example serves the
//! trait in-process through `LocalCaller` (no socket; the same JSON text a
//! transport would carry) and prints each call and its result.
//!
//! Run with `cargo run -p examples --example calculator`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_runtime::client::{ClientError, LocalCaller};
use rpc_runtime::{rpc, Context, RpcError};

/// What can go wrong when subtracting.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The result does not fit in an `i64`.
    #[error("{minuend} - {subtrahend} overflows")]
    #[rpc(code = 1001)]
    Overflow {
        /// The left operand.
        minuend: i64,
        /// The right operand.
        subtrahend: i64,
    },
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "math")]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts `subtrahend` from `minuend`; also callable as `math.sub`.
    #[method(name = "subtract", aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
    /// Multiplies `x` by `factor`, which may be omitted.
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64;
    /// Writes a line to the server's log; no reply.
    #[notification]
    async fn log(&self, line: String);
    /// The server's version.
    fn version(&self) -> String;
    /// The user this connection authenticated as.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
    /// Counts the primes below `n`, on the blocking pool.
    #[method(blocking)]
    fn primes_below(&self, n: u64) -> u64;
}

/// Who the connection belongs to (an auth step would store this).
struct User(String);

#[derive(Default)]
struct Calc {
    lines_logged: AtomicUsize,
}

impl Calculator for Arc<Calc> {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        minuend.checked_sub(subtrahend).ok_or(CalcError::Overflow {
            minuend,
            subtrahend,
        })
    }

    async fn scale(&self, x: f64, factor: Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }

    async fn log(&self, line: String) {
        self.lines_logged.fetch_add(1, Ordering::Relaxed);
        println!("  [server log] {line}");
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_owned()
    }

    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.get::<User>().map(|user| user.0.clone())
    }

    fn primes_below(&self, n: u64) -> u64 {
        let is_prime = |k: u64| {
            k >= 2
                && (2..)
                    .take_while(|d| d * d <= k)
                    .all(|d| !k.is_multiple_of(d))
        };
        (0..n).filter(|&k| is_prime(k)).map(|_| 1).sum()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let calc = Arc::new(Calc::default());
    let router = Arc::clone(&calc).into_router();
    println!("methods: {}", router.method_names().join(", "));

    // One context per connection; here it says who is calling.
    let ctx = Context::new();
    ctx.insert(User("ada".to_owned()));
    let client = CalculatorClient::new(LocalCaller::with_context(router, ctx));

    println!("add(2, 40)          = {}", client.add(2, 40).await?);
    println!("subtract(10, 4)     = {}", client.subtract(10, 4).await?);
    println!("scale(1.5, None)    = {}", client.scale(1.5, None).await?);
    println!(
        "scale(1.5, Some(4)) = {}",
        client.scale(1.5, Some(4.0)).await?
    );
    println!("version()           = {}", client.version().await?);
    println!("whoami()            = {:?}", client.whoami().await?);
    println!(
        "primes_below(10000) = {}",
        client.primes_below(10_000).await?
    );

    client.log("hello from the client".to_owned()).await?;
    println!(
        "log(..) sent; lines logged: {}",
        calc.lines_logged.load(Ordering::Relaxed)
    );

    // The server's application error comes back typed.
    match client.subtract(i64::MIN, 1).await {
        Err(ClientError::Application(CalcError::Overflow {
            minuend,
            subtrahend,
        })) => {
            println!("subtract(i64::MIN, 1) -> CalcError::Overflow {{ {minuend}, {subtrahend} }}")
        }
        other => println!("subtract(i64::MIN, 1) -> unexpected: {other:?}"),
    }
    Ok(())
}

//! Quickstart: one trait defines the API. A real server serves it over HTTP
//! and WebSocket on one port, and the generated `CalculatorClient` calls it
//! over both: a call, named params, a notification, a batch and a typed
//! error. Every message on the wire is printed as it goes.
//!
//! Run with `cargo run --example quickstart`.

use std::fmt::Write as _;
use std::time::Duration;

use rpc_client::{Caller, ClientError, HttpClient, WsClient};
use rpc_runtime::server::Server;
use rpc_runtime::{rpc, Context, RpcError};
use tracing_subscriber::layer::SubscriberExt as _;

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
    /// Multiplies `x` by `factor` (1 when left out); this client sends its
    /// params by name.
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
        println!("      server log: {line}");
    }

    async fn whoami(&self, ctx: &Context) -> String {
        let addr = ctx
            .peer_addr()
            .map_or_else(|| "nowhere".to_owned(), |a| a.to_string());
        format!("{} client at {addr}", ctx.transport())
    }
}

/// Calls the API through any transport: the same typed client code for HTTP
/// and WebSocket.
async fn tour<C: Caller>(client: &CalculatorClient<C>) -> Result<(), Box<dyn std::error::Error>> {
    println!("  add(2, 3) = {}", client.add(2, 3).await?);
    println!(
        "  scale(x: 1.5, factor: 4) = {}",
        client.scale(1.5, Some(4.0)).await?
    );
    client.log("hello from a notification".to_owned()).await?;
    println!("  log(..) sent, no reply expected");
    println!("  whoami() = {}", client.whoami().await?);

    // A typed batch: each entry takes its method's arguments and yields
    // its own result type (and application error) once the batch is back.
    let mut batch = client.batch();
    let sum = batch.add(20, 22);
    batch.log("a notification inside a batch".to_owned());
    let half = batch.divide(84, 2);
    let answers = batch.send().await?;
    println!(
        "  batch [add(20, 22), log(..), divide(84, 2)] = [{}, {}]",
        answers.get(sum)?,
        answers.get(half)?
    );

    match client.divide(1, 0).await {
        Err(ClientError::Application(error)) => {
            println!("  divide(1, 0) failed as declared: {error} ({error:?})")
        }
        other => {
            return Err(format!("divide(1, 0) should fail with CalcError, got {other:?}").into())
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let subscriber = tracing_subscriber::registry().with(WireLog);
    tracing::subscriber::set_global_default(subscriber)?;

    let server = Server::builder()
        .build(Calc.into_router())
        .bind("127.0.0.1:0")
        .await?;
    let addr = server.local_addr();
    println!("server listening on {addr}: HTTP and WebSocket on one port\n");

    println!("over HTTP (http://{addr}/):");
    tour(&CalculatorClient::new(HttpClient::new(&format!(
        "http://{addr}/"
    ))?))
    .await?;

    println!("\nover WebSocket (ws://{addr}/):");
    let ws = WsClient::connect(&format!("ws://{addr}/")).await?;
    tour(&CalculatorClient::new(ws.clone())).await?;
    ws.close().await;

    let outcome = server.shutdown(Duration::from_secs(5)).await;
    println!("\nserver stopped: {outcome:?}");
    Ok(())
}

/// Prints the JSON each client sends and receives, from the clients' wire
/// logging (`rpc_client::http` and `rpc_client::ws` at trace level).
struct WireLog;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WireLog {
    fn enabled(
        &self,
        metadata: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        metadata.target().starts_with("rpc_client::")
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let arrow = match (fields.message.as_str(), fields.direction.as_str()) {
            ("request", _) | (_, "send") => "-->",
            ("response", _) | (_, "recv") => "<--",
            _ => return,
        };
        let text = if fields.body.is_empty() {
            fields.text
        } else {
            fields.body
        };
        if !text.is_empty() {
            println!("      {arrow} {text}");
        }
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    direction: String,
    body: String,
    text: String,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let slot = match field.name() {
            "message" => &mut self.message,
            "direction" => &mut self.direction,
            "body" => &mut self.body,
            "text" => &mut self.text,
            _ => return,
        };
        let _ = write!(slot, "{value:?}");
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

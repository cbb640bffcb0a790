//! Per-connection state, after the vault door example of Python's
//! trio-jsonrpc: `login` stores the user in the connection's `Context`, and
//! `open_vault_door` reads it back, failing with a typed application error
//! (`#[derive(RpcError)]`) when nobody logged in on *this* connection.
//!
//! The program starts the real server (HTTP and WebSocket on one port) on
//! 127.0.0.1, connects two WebSocket clients through the generated
//! `VaultClient`, and shows that the door stays shut before login, opens
//! after login on the same connection, and stays shut on the other one.
//! It exits with a non-zero status if anything turns out otherwise.
//!
//! Run with `cargo run -p examples --example vault_door`.

use std::fmt::Debug;
use std::time::Duration;

use rpc_client::{ClientError, WsClient};
use rpc_runtime::server::Server;
use rpc_runtime::{rpc, Context, RpcError};

/// Why the vault said no.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum VaultError {
    /// The name and password do not match.
    #[error("wrong name or password")]
    #[rpc(code = 4010)]
    WrongPassword,
    /// `open_vault_door` before a successful `login` on this connection.
    #[error("log in first")]
    #[rpc(code = 4011)]
    NotLoggedIn,
}

/// A vault whose door opens for users logged in on the calling connection.
#[rpc]
pub trait Vault {
    /// Logs this connection in as `name`; returns a greeting.
    async fn login(
        &self,
        ctx: &Context,
        name: String,
        password: String,
    ) -> Result<String, VaultError>;
    /// Opens the door for the user logged in on this connection.
    async fn open_vault_door(&self, ctx: &Context) -> Result<String, VaultError>;
}

/// Who logged in on a connection; kept in that connection's `Context`.
struct User {
    name: String,
}

/// The vault, with its one account.
struct Bank {
    name: &'static str,
    password: &'static str,
}

impl Vault for Bank {
    async fn login(
        &self,
        ctx: &Context,
        name: String,
        password: String,
    ) -> Result<String, VaultError> {
        if name != self.name || password != self.password {
            return Err(VaultError::WrongPassword);
        }
        let greeting = format!("welcome, {name}");
        // The context lives as long as the connection: later calls on it
        // see the user, calls on other connections do not.
        ctx.insert(User { name });
        Ok(greeting)
    }

    async fn open_vault_door(&self, ctx: &Context) -> Result<String, VaultError> {
        let user = ctx.get::<User>().ok_or(VaultError::NotLoggedIn)?;
        Ok(format!("the vault door opens for {}", user.name))
    }
}

/// What one step of the demo expected and got.
type Outcome<T> = Result<T, ClientError<VaultError>>;

/// Prints a step and its outcome; checks it against what was expected.
fn step<T: Debug>(
    who: &str,
    call: &str,
    outcome: &Outcome<T>,
    expected: impl Fn(&Outcome<T>) -> bool,
    failures: &mut Vec<String>,
) {
    let shown = match outcome {
        Ok(value) => format!("Ok({value:?})"),
        Err(ClientError::Application(error)) => format!("Err({error:?}: {error})"),
        Err(other) => format!("Err({other})"),
    };
    let verdict = if expected(outcome) {
        "as expected"
    } else {
        failures.push(format!("{who}: {call} -> {shown}"));
        "UNEXPECTED"
    };
    println!("{who:<6} {call:<36} -> {shown}  [{verdict}]");
}

fn refused(error: VaultError) -> impl Fn(&Outcome<String>) -> bool {
    move |outcome| matches!(outcome, Err(ClientError::Application(e)) if *e == error)
}

fn granted(outcome: &Outcome<String>) -> bool {
    outcome.is_ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bank = Bank {
        name: "ada",
        password: "open sesame",
    };
    let server = Server::builder().build(bank.into_router());
    let handle = server.bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/", handle.local_addr());
    println!("server listening on {}", handle.local_addr());

    // Two WebSocket connections: two contexts on the server.
    let first = VaultClient::new(WsClient::connect(&url).await?);
    let second = VaultClient::new(WsClient::connect(&url).await?);
    println!("two clients connected to {url}");

    let mut failures = Vec::new();
    let outcome = first.open_vault_door().await;
    step(
        "first",
        "open_vault_door()",
        &outcome,
        refused(VaultError::NotLoggedIn),
        &mut failures,
    );
    let outcome = first.login("ada".into(), "let me in".into()).await;
    step(
        "first",
        "login(\"ada\", \"let me in\")",
        &outcome,
        refused(VaultError::WrongPassword),
        &mut failures,
    );
    let outcome = first.open_vault_door().await;
    step(
        "first",
        "open_vault_door()",
        &outcome,
        refused(VaultError::NotLoggedIn),
        &mut failures,
    );
    let outcome = first.login("ada".into(), "open sesame".into()).await;
    step(
        "first",
        "login(\"ada\", \"open sesame\")",
        &outcome,
        granted,
        &mut failures,
    );
    let outcome = first.open_vault_door().await;
    step(
        "first",
        "open_vault_door()",
        &outcome,
        granted,
        &mut failures,
    );
    // The login belongs to the first connection only.
    let outcome = second.open_vault_door().await;
    step(
        "second",
        "open_vault_door()",
        &outcome,
        refused(VaultError::NotLoggedIn),
        &mut failures,
    );

    first.into_inner().close().await;
    second.into_inner().close().await;
    let shutdown = handle.shutdown(Duration::from_secs(5)).await;
    println!("server stopped: {shutdown:?}");

    if failures.is_empty() {
        println!("state is per connection: the door opened only where ada logged in");
        Ok(())
    } else {
        Err(format!("unexpected outcomes: {}", failures.join("; ")).into())
    }
}

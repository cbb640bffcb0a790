//! Server → client calls through generated stubs, on the real server's
//! WebSocket: the client serves a `#[rpc]` trait (`Wallet`); a server handler
//! takes the connection's `Peer` from its context, calls the client through
//! `WalletClient` and awaits the typed answer before replying; calls nest
//! (server → client → server on one socket); and code outside any handler
//! keeps a `Peer`, calls the client with it and sees `closed()` resolve when
//! the connection ends.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use rpc_client::{ClientError, HttpClient, WsClient};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::ws::{CloseReason, Peer};
use rpc_runtime::{rpc, Context, RpcError};
use tokio::sync::mpsc;

/// The wallet's answer when it will not approve.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum Refusal {
    /// Refused, with the wallet's reason.
    #[error("refused: {0}")]
    #[rpc(code = 3001)]
    Refused(String),
}

/// What each client serves; the server calls it.
#[rpc(namespace = "wallet")]
pub trait Wallet {
    /// Approves spending `amount`: a signature, or a refusal.
    async fn approve(&self, amount: u64) -> Result<String, Refusal>;
    /// Asks the bank for the balance (a call back into the server, made
    /// while the server waits for this one) and confirms `amount` if it is
    /// covered; returns what would be left.
    async fn confirm(&self, ctx: &Context, amount: u64) -> Result<u64, Refusal>;
}

/// The bank's errors, as the client sees them.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum BankError {
    /// The caller's wallet refused, for this reason.
    #[error("declined by the wallet: {0}")]
    #[rpc(code = 3101)]
    Declined(String),
    /// The connection cannot be called back (plain HTTP).
    #[error("no wallet to ask on this connection")]
    #[rpc(code = 3102)]
    NoWallet,
    /// Calling the wallet failed for another reason.
    #[error("the wallet failed: {0}")]
    #[rpc(code = 3103)]
    WalletFailed(String),
}

/// What the server serves.
#[rpc(namespace = "bank")]
pub trait Bank {
    /// Withdraws `amount` once the caller's wallet approves; returns the
    /// wallet's signature.
    async fn withdraw(&self, ctx: &Context, amount: u64) -> Result<String, BankError>;
    /// Withdraws `amount` once the caller's wallet confirms (the wallet
    /// calls `balance` first); returns what is left.
    async fn withdraw_confirmed(&self, ctx: &Context, amount: u64) -> Result<u64, BankError>;
    /// The account's balance.
    fn balance(&self) -> u64;
    /// Hands this connection's peer to the server's background task.
    fn subscribe(&self, ctx: &Context) -> bool;
}

const BALANCE: u64 = 1_000;

/// The server: it passes subscribed peers on to the test.
struct BankServer {
    subscribers: mpsc::UnboundedSender<Peer>,
}

fn wallet_of(ctx: &Context) -> Result<WalletClient<Peer>, BankError> {
    let peer = ctx.peer::<Peer>().ok_or(BankError::NoWallet)?;
    Ok(WalletClient::new(peer.clone()))
}

impl Bank for BankServer {
    async fn withdraw(&self, ctx: &Context, amount: u64) -> Result<String, BankError> {
        match wallet_of(ctx)?.approve(amount).await {
            Ok(signature) => Ok(signature),
            Err(ClientError::Application(Refusal::Refused(reason))) => {
                Err(BankError::Declined(reason))
            }
            Err(other) => Err(BankError::WalletFailed(other.to_string())),
        }
    }

    async fn withdraw_confirmed(&self, ctx: &Context, amount: u64) -> Result<u64, BankError> {
        match wallet_of(ctx)?.confirm(amount).await {
            Ok(left) => Ok(left),
            Err(ClientError::Application(Refusal::Refused(reason))) => {
                Err(BankError::Declined(reason))
            }
            Err(other) => Err(BankError::WalletFailed(other.to_string())),
        }
    }

    fn balance(&self) -> u64 {
        BALANCE
    }

    fn subscribe(&self, ctx: &Context) -> bool {
        match ctx.peer::<Peer>() {
            Some(peer) => self.subscribers.send(peer.clone()).is_ok(),
            None => false,
        }
    }
}

/// A client's wallet: approves up to `limit`, after a pause (so a reply
/// that carries its signature proves the server waited), and records what
/// it was asked.
struct WalletState {
    name: &'static str,
    limit: u64,
    asked: Mutex<Vec<u64>>,
}

impl Wallet for Arc<WalletState> {
    async fn approve(&self, amount: u64) -> Result<String, Refusal> {
        self.asked.lock().unwrap().push(amount);
        tokio::time::sleep(Duration::from_millis(20)).await;
        if amount <= self.limit {
            Ok(format!("{} signs {amount}", self.name))
        } else {
            Err(Refusal::Refused(format!("{amount} is over {}", self.limit)))
        }
    }

    async fn confirm(&self, ctx: &Context, amount: u64) -> Result<u64, Refusal> {
        // The client's own handle to the server, from this call's context.
        let server = ctx
            .peer::<Peer>()
            .ok_or_else(|| Refusal::Refused("no peer".to_owned()))?;
        let balance = BankClient::new(server.clone())
            .balance()
            .await
            .map_err(|error| Refusal::Refused(error.to_string()))?;
        balance
            .checked_sub(amount)
            .ok_or_else(|| Refusal::Refused(format!("{amount} is over the balance {balance}")))
    }
}

fn wallet(name: &'static str, limit: u64) -> Arc<WalletState> {
    Arc::new(WalletState {
        name,
        limit,
        asked: Mutex::new(Vec::new()),
    })
}

async fn start() -> (ServerHandle, mpsc::UnboundedReceiver<Peer>) {
    let (subscribers, subscribed) = mpsc::unbounded_channel();
    let handle = Server::builder()
        .build(BankServer { subscribers }.into_router())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    (handle, subscribed)
}

async fn connect(handle: &ServerHandle, wallet: &Arc<WalletState>) -> BankClient<WsClient> {
    let ws = WsClient::builder(&format!("ws://{}/", handle.local_addr()))
        .serve(Arc::clone(wallet).into_router())
        .connect()
        .await
        .unwrap();
    BankClient::new(ws)
}

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

#[tokio::test]
async fn a_handler_calls_the_client_through_its_stub_and_awaits_the_answer() {
    let (handle, _subscribed) = start().await;
    let ada = wallet("ada", 100);
    let bank = connect(&handle, &ada).await;

    // The reply carries what the wallet answered: the server waited for it.
    assert_eq!(
        within("withdraw 30", bank.withdraw(30)).await.unwrap(),
        "ada signs 30"
    );
    // The wallet's typed refusal reaches the server typed, and the server's
    // typed error reaches the client.
    match within("withdraw 500", bank.withdraw(500)).await {
        Err(ClientError::Application(error)) => {
            assert_eq!(error, BankError::Declined("500 is over 100".to_owned()));
        }
        other => panic!("expected the bank's typed error, got {other:?}"),
    }
    assert_eq!(*ada.asked.lock().unwrap(), [30, 500]);

    // Over HTTP there is no peer to call back.
    let http =
        BankClient::new(HttpClient::new(&format!("http://{}/", handle.local_addr())).unwrap());
    match http.withdraw(1).await {
        Err(ClientError::Application(error)) => assert_eq!(error, BankError::NoWallet),
        other => panic!("expected NoWallet over HTTP, got {other:?}"),
    }
    assert_eq!(ada.asked.lock().unwrap().len(), 2);

    bank.into_inner().close().await;
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn each_connection_calls_back_its_own_client_many_at_once() {
    let (handle, _subscribed) = start().await;
    let ada = wallet("ada", 1_000);
    let bob = wallet("bob", 1_000);
    let ada_bank = connect(&handle, &ada).await;
    let bob_bank = connect(&handle, &bob).await;

    let calls = (0..20_u64).map(|n| {
        let (bank, name) = if n % 2 == 0 {
            (&ada_bank, "ada")
        } else {
            (&bob_bank, "bob")
        };
        async move { (n, name, bank.withdraw(n).await) }
    });
    for (n, name, result) in within("20 withdrawals", join_all(calls)).await {
        assert_eq!(result.unwrap(), format!("{name} signs {n}"));
    }
    let mut asked_ada = ada.asked.lock().unwrap().clone();
    let mut asked_bob = bob.asked.lock().unwrap().clone();
    asked_ada.sort_unstable();
    asked_bob.sort_unstable();
    assert_eq!(asked_ada, (0..20).step_by(2).collect::<Vec<u64>>());
    assert_eq!(asked_bob, (1..20).step_by(2).collect::<Vec<u64>>());

    ada_bank.into_inner().close().await;
    bob_bank.into_inner().close().await;
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn calls_nest_server_to_client_to_server_on_one_socket() {
    let (handle, _subscribed) = start().await;
    let ada = wallet("ada", 0);
    let bank = connect(&handle, &ada).await;

    // bank.withdraw_confirmed -> wallet.confirm -> bank.balance, all on one
    // socket, each waiting for the next.
    assert_eq!(
        within("confirmed 400", bank.withdraw_confirmed(400))
            .await
            .unwrap(),
        BALANCE - 400
    );
    match within("confirmed too much", bank.withdraw_confirmed(BALANCE + 1)).await {
        Err(ClientError::Application(BankError::Declined(reason))) => {
            assert_eq!(
                reason,
                format!("{} is over the balance {BALANCE}", BALANCE + 1)
            );
        }
        other => panic!("expected Declined, got {other:?}"),
    }

    bank.into_inner().close().await;
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn code_outside_a_handler_calls_the_client_and_sees_it_close() {
    let (handle, mut subscribed) = start().await;
    let ada = wallet("ada", 10);
    let bank = connect(&handle, &ada).await;

    assert!(within("subscribe", bank.subscribe()).await.unwrap());
    let peer = within("the subscribed peer", subscribed.recv())
        .await
        .unwrap();

    // A background task, not a handler: it owns the peer and calls the
    // client through the typed stub whenever it likes.
    let task = tokio::spawn(async move {
        let wallet = WalletClient::new(peer.clone());
        let approved = wallet.approve(7).await;
        let refused = wallet.approve(70).await;
        let reason = peer.closed().await;
        let after = wallet.approve(1).await;
        (approved, refused, reason, after, peer.is_closed())
    });

    // The task's calls run while the client is otherwise idle.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while ada.asked.lock().unwrap().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the task's calls never arrived"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!task.is_finished(), "closed() resolved before the close");

    bank.into_inner().close().await;
    let (approved, refused, reason, after, is_closed) = within("the task", task).await.unwrap();
    assert_eq!(approved.unwrap(), "ada signs 7");
    match refused {
        Err(ClientError::Application(Refusal::Refused(reason))) => {
            assert_eq!(reason, "70 is over 10");
        }
        other => panic!("expected the typed refusal, got {other:?}"),
    }
    assert!(
        matches!(reason, CloseReason::Remote { code: 1000, .. }),
        "{reason:?}"
    );
    assert!(
        matches!(after, Err(ClientError::Closed(_))),
        "a call after the close: {after:?}"
    );
    assert!(is_closed);
    assert_eq!(*ada.asked.lock().unwrap(), [7, 70]);
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_kept_peer_learns_of_the_server_shutdown() {
    let (handle, mut subscribed) = start().await;
    let ada = wallet("ada", 10);
    let bank = connect(&handle, &ada).await;
    assert!(within("subscribe", bank.subscribe()).await.unwrap());
    let peer = within("the subscribed peer", subscribed.recv())
        .await
        .unwrap();
    let watcher = tokio::spawn({
        let peer = peer.clone();
        async move { peer.closed().await }
    });

    within("shutdown", handle.shutdown(Duration::from_secs(5))).await;
    assert_eq!(
        within("closed()", watcher).await.unwrap(),
        CloseReason::Shutdown
    );
    let ws = bank.into_inner();
    assert!(
        matches!(
            within("disconnected()", ws.disconnected()).await,
            CloseReason::Remote { code: 1001, .. }
        ),
        "the client sees the server going away"
    );
    assert!(matches!(
        WalletClient::new(peer).approve(1).await,
        Err(ClientError::Closed(_))
    ));
}

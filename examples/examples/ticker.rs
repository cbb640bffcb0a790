//! Ticker: a typed subscription end to end. The trait's
//! `#[subscription]` method pushes price ticks over WebSocket; the generated
//! client gets a `Subscription<Tick>` stream, reads a few ticks, and
//! unsubscribes. Prices keep only the newest: the server accepts each
//! subscription with the drop-oldest policy, so a slow subscriber is told
//! how many ticks it missed instead of slowing the feed. Over HTTP the same
//! call is a clear error: subscriptions need a persistent connection.
//!
//! Run with `cargo run --example ticker`.

use std::time::Duration;

use futures_util::StreamExt as _;
use rpc_client::{ClientError, HttpClient, SubscriptionError, WsClient};
use rpc_runtime::protocol::ErrorObject;
use rpc_runtime::rpc;
use rpc_runtime::server::Server;
use rpc_runtime::subscription::{PendingSubscription, SlowPolicy, SubscriptionConfig};

/// One price of one symbol.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Tick {
    /// The symbol, as subscribed.
    pub symbol: String,
    /// The price in cents.
    pub cents: u64,
    /// Counts the ticks of this subscription from 1.
    pub seq: u64,
}

/// A price feed.
#[rpc]
pub trait Ticker {
    /// The symbols there are prices for.
    fn symbols(&self) -> Vec<String>;

    /// Pushes a tick of `symbol` every `every_ms` milliseconds, as
    /// notifications of method `prices`, until `unsubscribe_prices`.
    #[subscription(item = Tick, notification = "prices")]
    async fn subscribe_prices(
        &self,
        pending: PendingSubscription<Tick>,
        symbol: String,
        every_ms: u64,
    );
}

const SYMBOLS: [&str; 3] = ["ACME", "GLOBEX", "INITECH"];

struct Feed;

impl Ticker for Feed {
    fn symbols(&self) -> Vec<String> {
        SYMBOLS.iter().map(|s| (*s).to_owned()).collect()
    }

    async fn subscribe_prices(
        &self,
        pending: PendingSubscription<Tick>,
        symbol: String,
        every_ms: u64,
    ) {
        if !SYMBOLS.contains(&symbol.as_str()) {
            return pending.reject(ErrorObject::new(4004, format!("no prices for {symbol}")));
        }
        let config = SubscriptionConfig::new(8, SlowPolicy::DropOldest);
        let Ok(sink) = pending.accept_with(config) else {
            return;
        };
        let mut ticks = tokio::time::interval(Duration::from_millis(every_ms.max(1)));
        let mut cents: u64 = 10_000;
        for seq in 1.. {
            tokio::select! {
                // Unsubscribed, or the connection ended.
                () = sink.closed() => return,
                _ = ticks.tick() => {}
            }
            // A deterministic walk: up, up, down, ...
            cents = if seq % 3 == 0 { cents - 7 } else { cents + 5 };
            let tick = Tick {
                symbol: symbol.clone(),
                cents,
                seq,
            };
            if sink.send(&tick).await.is_err() {
                return;
            }
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let handle = Server::builder()
        .build(Feed.into_router())
        .bind("127.0.0.1:0")
        .await?;
    let addr = handle.local_addr();
    println!("serving on {addr}");

    let ws = TickerClient::new(WsClient::connect(&format!("ws://{addr}/")).await?);
    println!("symbols: {:?}", ws.symbols().await?);
    let mut prices = ws.subscribe_prices("ACME".to_owned(), 20).await?;
    println!("subscribed to ACME as {}", prices.id());
    for _ in 0..5 {
        match prices.next().await {
            Some(Ok(tick)) => println!(
                "  {} {}.{:02} (tick {})",
                tick.symbol,
                tick.cents / 100,
                tick.cents % 100,
                tick.seq
            ),
            Some(Err(SubscriptionError::Lagged(n))) => println!("  missed {n} ticks"),
            Some(Err(other)) => return Err(other.into()),
            None => return Err("the feed ended early".into()),
        }
    }
    println!("unsubscribed: {}", prices.unsubscribe().await?);

    match ws.subscribe_prices("NOPE".to_owned(), 20).await {
        Err(ClientError::Rpc(error)) => println!("NOPE refused: {} {}", error.code, error.message),
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }

    let http = TickerClient::new(HttpClient::new(&format!("http://{addr}/"))?);
    match http
        .caller()
        .request::<String>(
            "subscribe_prices",
            rpc_client::EncodedParams::from_value(&("ACME", 20))?,
        )
        .await
    {
        Err(ClientError::Rpc(error)) => println!("over HTTP: {} {}", error.code, error.message),
        other => return Err(format!("expected -32006 over HTTP, got {other:?}").into()),
    }

    ws.into_inner().close().await;
    handle.shutdown(Duration::from_secs(1)).await;
    Ok(())
}

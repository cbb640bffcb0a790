//! Middleware: the built-in layers on one server. A shop API (an `#[rpc]`
//! trait) is served with an access log, metrics and a rate limit, mounted in
//! axum next to `GET /metrics`, which renders the metrics as Prometheus
//! text, all on one port. The example calls itself over HTTP and WebSocket
//! (a call, a batch, calls until the rate limit refuses one, whose code and
//! data it prints), then fetches its own `/metrics`, prints it and checks
//! that the per-method call counter and the duration histogram's buckets are
//! there (exiting non-zero if not).
//!
//! Run with `cargo run --example middleware`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use rpc_client::{BatchRequest, Caller, ClientError, EncodedParams, HttpClient, WsClient};
use rpc_runtime::middleware::{metric_names, AccessLogLayer, MetricsLayer, RateLimitLayer};
use rpc_runtime::protocol::codes;
use rpc_runtime::server::Server;
use rpc_runtime::{rpc, RpcError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What can go wrong in the shop.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum ShopError {
    /// The shop does not sell it.
    #[error("no such item: {0}")]
    #[rpc(code = 1004)]
    UnknownItem(String),
}

/// A tiny shop over JSON-RPC.
#[rpc(namespace = "shop")]
pub trait Shop {
    /// The price of `item`, in cents.
    async fn price(&self, item: String) -> Result<u64, ShopError>;
    /// Everything the shop sells.
    async fn items(&self) -> Vec<String>;
}

/// The server's implementation.
pub struct Store;

const STOCK: [(&str, u64); 3] = [("apple", 50), ("bread", 320), ("cheese", 799)];

impl Shop for Store {
    async fn price(&self, item: String) -> Result<u64, ShopError> {
        STOCK
            .iter()
            .find(|(name, _)| *name == item)
            .map(|(_, cents)| *cents)
            .ok_or(ShopError::UnknownItem(item))
    }

    async fn items(&self) -> Vec<String> {
        STOCK.iter().map(|(name, _)| (*name).to_owned()).collect()
    }
}

/// Calls per WebSocket connection (per HTTP request) in a minute.
const PER_CONNECTION: u32 = 4;
/// Calls per client address in a minute, over all its connections.
const PER_ADDRESS: u32 = 16;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The access log goes to stdout; `RUST_LOG=rpc_runtime::access=trace`
    // adds params and results.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "rpc_runtime::access=info".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .without_time()
        .init();

    // The Prometheus recorder first, so the layer describes its metrics to it;
    // buckets make the histograms render as histograms, not summaries (few
    // here, to keep the output short; `middleware::DURATION_BUCKETS` has finer ones).
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(metric_names::DURATION.into()),
            &[0.001, 0.01, 0.1, 1.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full(metric_names::BATCH_SIZE.into()),
            &[1.0, 2.0, 5.0, 10.0, 50.0, 100.0],
        )?
        .install_recorder()?;

    // Layers run in the order added: the log sees every call, refused ones too.
    let minute = Duration::from_secs(60);
    let router = Store
        .into_router()
        .layer(AccessLogLayer::new())
        .layer(MetricsLayer::new())
        .layer(
            RateLimitLayer::new()
                .per_connection(nonzero(PER_CONNECTION), minute)
                .per_peer(nonzero(PER_ADDRESS), minute),
        );

    // One port: the RPC (HTTP and WebSocket) at `/`, Prometheus text at `/metrics`.
    let rpc = Server::builder().build(router).service();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let text = prometheus.render();
                async move { text }
            }),
        )
        .route_service("/", rpc)
        .layer(axum::middleware::map_request(with_peer_addr))
        .into_make_service_with_connect_info::<SocketAddr>();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("serving on {addr}: JSON-RPC over HTTP and WebSocket at /, Prometheus at /metrics");

    println!("\nover HTTP:");
    let http = HttpClient::builder(&format!("http://{addr}/"))
        .header("x-request-id", "example-42")
        .build()?;
    tour(&ShopClient::new(http.clone())).await?;

    println!("\nover WebSocket:");
    let ws = WsClient::connect(&format!("ws://{addr}/")).await?;
    tour(&ShopClient::new(ws.clone())).await?;
    println!("  (this connection has made {PER_CONNECTION} calls, its limit per minute)");
    refused("ws", &ws).await?;
    ws.close().await;

    println!("\nover HTTP again, until this address has made {PER_ADDRESS} calls:");
    refused("http", &http).await?;

    let text = get_metrics(addr).await?;
    println!("\nGET /metrics:\n{text}");
    let checks = [
        (
            "a call counter per method",
            text.lines().any(|line| {
                line.starts_with("rpc_server_calls") && line.contains(r#"rpc_method="shop.price""#)
            }),
        ),
        (
            "the error code on failed calls",
            text.lines().any(|line| {
                line.starts_with("rpc_server_calls")
                    && line.contains(r#"rpc_jsonrpc_error_code="1004""#)
            }),
        ),
        (
            "refused calls counted",
            text.lines().any(|line| {
                line.starts_with("rpc_server_calls")
                    && line.contains(&format!(
                        r#"rpc_jsonrpc_error_code="{}""#,
                        codes::RATE_LIMITED
                    ))
            }),
        ),
        (
            "the duration histogram's buckets",
            text.lines()
                .any(|line| line.starts_with("rpc_server_duration_bucket{")),
        ),
        (
            "the batch size histogram",
            text.lines()
                .any(|line| line.starts_with("rpc_server_batch_size_bucket{")),
        ),
    ];
    for (what, ok) in &checks {
        println!("{} {what}", if *ok { "ok  " } else { "FAIL" });
    }
    if checks.iter().all(|(_, ok)| *ok) {
        println!("all metrics present");
        Ok(())
    } else {
        Err("the metrics are missing lines".into())
    }
}

/// A call, an application error and a batch: four calls.
async fn tour<C: Caller>(client: &ShopClient<C>) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "  price(\"bread\") = {}",
        client.price("bread".to_owned()).await?
    );
    match client.price("caviar".to_owned()).await {
        Err(ClientError::Application(error)) => println!("  price(\"caviar\") failed: {error}"),
        other => return Err(format!("price(caviar) should fail, got {other:?}").into()),
    }
    let mut batch = BatchRequest::new();
    let items = batch.call::<Vec<String>>("shop.items", EncodedParams::none());
    let apple = batch.call::<u64>("shop.price", EncodedParams::from_value(&["apple"])?);
    let answers = client.caller().batch(batch).await?;
    println!(
        "  batch [items(), price(\"apple\")] = [{:?}, {}]",
        answers.get(items)?,
        answers.get(apple)?
    );
    Ok(())
}

/// Calls until the rate limit refuses one; prints the refusal.
async fn refused<C: Caller>(transport: &str, client: &C) -> Result<(), Box<dyn std::error::Error>> {
    for _ in 0..=PER_ADDRESS {
        match client
            .call::<Vec<String>>("shop.items", EncodedParams::none())
            .await
        {
            Ok(_) => {}
            Err(ClientError::Rpc(error)) if error.code == codes::RATE_LIMITED => {
                let data = error.data.as_ref().map_or("none", |data| data.get());
                println!(
                    "  {transport}: refused with code {}, data {data}",
                    error.code
                );
                return Ok(());
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(format!("{transport}: the rate limit never refused a call").into())
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// The RPC service reads the peer address (the rate limit's key) from a
/// `SocketAddr` request extension; axum keeps it in `ConnectInfo`.
async fn with_peer_addr(
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Request {
    request.extensions_mut().insert(addr);
    request
}

/// `GET /metrics` over a plain HTTP/1.1 connection; the body.
async fn get_metrics(addr: SocketAddr) -> Result<String, Box<dyn std::error::Error>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_owned()),
        _ => Err(format!("GET /metrics failed: {response}").into()),
    }
}

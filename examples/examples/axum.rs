//! A JSON-RPC API mounted inside an axum app: the API answers at `/rpc`
//! next to a normal page at `/`; the handlers see the caller's address from
//! axum's `ConnectInfo`, and WebSocket connections upgraded at `/rpc` are
//! drained (closed with 1001) on shutdown.
//!
//! `cargo run --example axum` serves on 127.0.0.1:3000 until Ctrl-C (then
//! shuts down gracefully: WebSockets first, then HTTP); `cargo run --example axum -- --check` serves on a
//! free port, calls itself over real HTTP, prints each exchange and exits.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{RpcService, Server};
use rpc_runtime::Router;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

fn api() -> Result<Router, rpc_runtime::RegisterError> {
    let mut router = Router::new();
    router
        .register_sync("add", |params, _ctx| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a + b)
        })?
        .with_params(&["a", "b"]);
    router.register_sync("whoami", |_params, ctx| {
        let agent = ctx
            .request_head()
            .and_then(|head| head.header("user-agent"))
            .unwrap_or("unknown");
        let peer = ctx.peer_addr().map(|addr| addr.to_string());
        Ok::<_, ErrorObjectOwned>(serde_json::json!({ "agent": agent, "peer": peer }))
    })?;
    Ok(router)
}

/// The RPC service for `router`. The server's limits (body size, call
/// timeout, method map) apply to the mounted service as they would to a
/// standalone server; the peer address comes from axum's `ConnectInfo`
/// (served with `into_make_service_with_connect_info`).
fn rpc(router: Router) -> RpcService {
    Server::builder()
        .max_body_size(1024 * 1024)
        .method_map(true)
        .build(router)
        .service()
        .peer_addr_from(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|info| info.0))
}

fn app(rpc: RpcService) -> axum::Router {
    axum::Router::new().route_service("/rpc", rpc).route(
        "/",
        get(|| async {
            "A normal page. The JSON-RPC API is at POST /rpc; GET /rpc lists its methods.\n"
        }),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let check = std::env::args().any(|arg| arg == "--check");
    let listener = TcpListener::bind(if check {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:3000"
    })
    .await?;
    let addr = listener.local_addr()?;
    let rpc = rpc(api()?);
    let app = app(rpc.clone()).into_make_service_with_connect_info::<SocketAddr>();

    if !check {
        println!("serving on http://{addr}  (Ctrl-C to stop)");
        println!(
            r#"try: curl -s http://{addr}/rpc -H 'content-type: application/json' -d '{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}}'"#
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = tokio::signal::ctrl_c().await;
                // axum does not track upgraded connections: the service
                // drains its WebSockets, then axum its HTTP connections.
                let outcome = rpc.shutdown(Duration::from_secs(10)).await;
                println!("WebSockets drained: {outcome:?}");
            })
            .await?;
        return Ok(());
    }

    tokio::spawn(async move { axum::serve(listener, app).await });
    let page = exchange(
        addr,
        "GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await?;
    let sum = post(
        addr,
        r#"{"jsonrpc":"2.0","method":"add","params":{"a":40,"b":2},"id":1}"#,
    )
    .await?;
    let me = post(addr, r#"{"jsonrpc":"2.0","method":"whoami","id":2}"#).await?;
    let note = post(addr, r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#).await?;
    let map = exchange(
        addr,
        "GET /rpc HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await?;

    let checks = [
        (
            "page at /",
            page.starts_with("HTTP/1.1 200") && page.contains("A normal page"),
        ),
        (
            "add over /rpc",
            sum.starts_with("HTTP/1.1 200")
                && sum.ends_with(r#"{"jsonrpc":"2.0","result":42,"id":1}"#),
        ),
        ("whoami sees the peer", me.contains(r#""peer":"127.0.0.1:"#)),
        ("notification is 204", note.starts_with("HTTP/1.1 204")),
        (
            "method map at GET /rpc",
            map.contains(r#"{"name":"add","params":["a","b"]}"#),
        ),
    ];
    for (what, ok) in &checks {
        println!("{} {what}", if *ok { "ok  " } else { "FAIL" });
    }
    if checks.iter().all(|(_, ok)| *ok) {
        println!("all checks passed");
        Ok(())
    } else {
        Err("a self-check failed".into())
    }
}

async fn post(addr: SocketAddr, body: &str) -> std::io::Result<String> {
    let request = format!(
        "POST /rpc HTTP/1.1\r\nhost: x\r\nuser-agent: axum-example\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(addr, &request).await
}

/// Sends one raw HTTP/1.1 request, prints it and the response, returns the
/// response.
async fn exchange(addr: SocketAddr, request: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    println!("--> {}", request.lines().next().unwrap_or_default());
    if let Some((_, body)) = request
        .split_once("\r\n\r\n")
        .filter(|(_, b)| !b.is_empty())
    {
        println!("    {body}");
    }
    println!("<-- {}", response.lines().next().unwrap_or_default());
    if let Some((_, body)) = response
        .split_once("\r\n\r\n")
        .filter(|(_, b)| !b.is_empty())
    {
        println!("    {body}");
    }
    Ok(response)
}

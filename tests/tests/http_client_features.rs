//! What people expect of an HTTP client, against real servers on
//! 127.0.0.1: the `User-Agent` our own server reads from the request, gzip
//! and br responses from our server behind tower-http's `CompressionLayer`
//! (bytes counted on the wire by a relay in between), a decompression
//! bomb refused, and a user's own `rustls::ClientConfig` (HTTPS and WSS).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;
#[path = "support/ws_server.rs"]
mod ws_server;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::Version;
use rpc_client::{ClientError, EncodedParams, HttpClient, WsClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::Router;
use rustls::pki_types::pem::PemObject as _;
use servers::{serve_with, test_pki, test_router, tls_server_config, Answer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tower_http::compression::CompressionLayer;

/// `user_agent` (what the request said), `big` (12 000 bytes of text) and
/// `huge` (4 MiB of one letter: a few KiB compressed).
fn router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("user_agent", |_, ctx| {
            let agent = ctx
                .request_head()
                .and_then(|head| head.header("user-agent"));
            Ok::<_, ErrorObjectOwned>(agent.map(str::to_owned))
        })
        .unwrap();
    router
        .register_sync("big", |_, _| Ok::<_, ErrorObjectOwned>("abc".repeat(4000)))
        .unwrap();
    router
        .register_sync("huge", |_, _| {
            Ok::<_, ErrorObjectOwned>("a".repeat(4 * 1024 * 1024))
        })
        .unwrap();
    router
}

async fn plain_server() -> ServerHandle {
    Server::builder()
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

async fn compressing_server(layer: CompressionLayer) -> ServerHandle {
    Server::builder()
        .layer(layer)
        .max_body_size(64 * 1024 * 1024)
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

/// A TCP relay to `target` that counts the bytes coming back from it: what
/// the server really sent, before the client decoded anything.
async fn counting_relay(target: SocketAddr) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let down = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&down);
    tokio::spawn(async move {
        loop {
            let (client, _) = listener.accept().await.unwrap();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let server = TcpStream::connect(target).await.unwrap();
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let up = tokio::io::copy(&mut client_read, &mut server_write);
                // Counted before it is passed on: when the client has read
                // a response, the count has it.
                let down = async {
                    let mut buf = vec![0; 16 * 1024];
                    loop {
                        match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                counter.fetch_add(n, Ordering::SeqCst);
                                if client_write.write_all(&buf[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                };
                let _ = tokio::join!(up, down);
            });
        }
    });
    (url, down)
}

async fn user_agent(client: &HttpClient) -> Option<String> {
    client
        .request("user_agent", EncodedParams::none())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_server_sees_the_default_user_agent_or_the_one_given() {
    let server = plain_server().await;
    let url = format!("http://{}", server.local_addr());

    let default = HttpClient::builder(&url).no_proxy().build().unwrap();
    let expected = format!("rpc-client/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        user_agent(&default).await.as_deref(),
        Some(expected.as_str())
    );
    assert_eq!(rpc_client::http::DEFAULT_USER_AGENT, expected);

    let set = HttpClient::builder(&url)
        .no_proxy()
        .user_agent("my-wallet/2.1")
        .build()
        .unwrap();
    assert_eq!(user_agent(&set).await.as_deref(), Some("my-wallet/2.1"));

    let header = HttpClient::builder(&url)
        .no_proxy()
        .header("user-agent", "by-header/3")
        .build()
        .unwrap();
    assert_eq!(user_agent(&header).await.as_deref(), Some("by-header/3"));

    // The WebSocket upgrade request carries one too.
    let ws = WsClient::builder(&format!("ws://{}", server.local_addr()))
        .connect()
        .await
        .unwrap();
    let seen: Option<String> = ws
        .request("user_agent", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some(expected.as_str()));
    let ws = WsClient::builder(&format!("ws://{}", server.local_addr()))
        .user_agent("ws-agent/1")
        .connect()
        .await
        .unwrap();
    let seen: Option<String> = ws
        .request("user_agent", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(seen.as_deref(), Some("ws-agent/1"));
    server.shutdown(Duration::from_secs(5)).await;
}

/// Calls `big` through a counting relay; returns the bytes received.
async fn big_through(relay_url: &str, down: &AtomicUsize, decompression: bool) -> usize {
    let before = down.load(Ordering::SeqCst);
    let client = HttpClient::builder(relay_url)
        .no_proxy()
        .decompression(decompression)
        .build()
        .unwrap();
    let big: String = client.request("big", EncodedParams::none()).await.unwrap();
    assert_eq!(big, "abc".repeat(4000));
    down.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn gzip_and_br_responses_are_asked_for_and_decoded() {
    for (name, layer) in [
        (
            "gzip",
            CompressionLayer::new().no_br().no_deflate().no_zstd(),
        ),
        (
            "br",
            CompressionLayer::new().no_gzip().no_deflate().no_zstd(),
        ),
    ] {
        let server = compressing_server(layer).await;
        let (relay, down) = counting_relay(server.local_addr()).await;

        let compressed = big_through(&relay, &down, true).await;
        let plain = big_through(&relay, &down, false).await;
        println!("{name}: {compressed} bytes on the wire compressed, {plain} plain");
        // 12 000 bytes of "abc…" in the result: plain it is all there,
        // compressed a small fraction of it.
        assert!(plain > 12_000, "{name}: {plain}");
        assert!(compressed < 1_000, "{name}: {compressed}");
        server.shutdown(Duration::from_secs(5)).await;
    }
}

#[tokio::test]
async fn a_decompression_bomb_is_refused_by_its_decoded_size() {
    let server = compressing_server(CompressionLayer::new().no_br().no_deflate().no_zstd()).await;
    let (relay, down) = counting_relay(server.local_addr()).await;
    let client = HttpClient::builder(&relay)
        .no_proxy()
        .max_response_size(1024 * 1024)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let error = client
        .request::<String>("huge", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("decoded response body exceeds the limit of 1048576 bytes"),
        "{error}"
    );
    // What came over the wire was well within the limit: the decoded
    // size is what was refused.
    let wire = down.load(Ordering::SeqCst);
    println!("bomb: {wire} bytes on the wire for 4 MiB decoded");
    assert!(wire > 0 && wire < 64 * 1024, "{wire}");

    // A limit above the decoded size takes it.
    let roomy = HttpClient::builder(&format!("http://{}", server.local_addr()))
        .no_proxy()
        .max_response_size(8 * 1024 * 1024)
        .build()
        .unwrap();
    let huge: String = roomy.request("huge", EncodedParams::none()).await.unwrap();
    assert_eq!(huge.len(), 4 * 1024 * 1024);
    server.shutdown(Duration::from_secs(5)).await;
}

/// A rustls client config trusting only `ca_der`, on the ring provider.
fn user_config(ca_der: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(ca_der.to_vec()))
        .unwrap();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

#[tokio::test]
async fn a_users_own_client_config_replaces_the_built_one() {
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;

    // Built from the options: the test CA is not trusted.
    let built = HttpClient::builder(&server.https_url())
        .no_proxy()
        .build()
        .unwrap();
    let error = built
        .request::<String>("hello", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("certificate"), "{error}");

    // The user's config trusts it; the client sets ALPN, so HTTP/2 is
    // negotiated though the config offered nothing.
    let mut config = user_config(&pki.ca_der);
    config.alpn_protocols = vec![b"spdy/1".to_vec()];
    let client = HttpClient::builder(&server.https_url())
        .no_proxy()
        .tls_config(config.clone())
        .build()
        .unwrap();
    let hello: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");
    let h1 = HttpClient::builder(&server.https_url())
        .no_proxy()
        .tls_config(Arc::new(config))
        .http2(false)
        .build()
        .unwrap();
    let _: String = h1.request("hello", EncodedParams::none()).await.unwrap();
    let versions: Vec<Version> = server.seen().iter().map(|s| s.version).collect();
    assert_eq!(versions, [Version::HTTP_2, Version::HTTP_11]);
}

#[tokio::test]
async fn a_users_own_client_config_serves_wss_too() {
    let (server, cert_pem) =
        ws_server::WsServer::start_tls(test_router().0, WsConfig::default()).await;
    let cert = rustls::pki_types::CertificateDer::from_pem_slice(cert_pem.as_bytes()).unwrap();
    let refused = WsClient::builder(&server.url).connect().await;
    assert!(refused.is_err());
    let client = WsClient::builder(&server.url)
        .tls_config(user_config(&cert))
        .connect()
        .await
        .unwrap();
    let hello: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");
}

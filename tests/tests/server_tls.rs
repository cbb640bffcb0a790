//! TLS on the server's own port (feature `tls`): HTTPS by HTTP/1.1 and
//! HTTP/2 (ALPN) and WSS on one port, with our clients and with curl;
//! mutual TLS with the peer identity read from the `Context`; clients the
//! server must refuse; garbage on the port; and a certificate reload while
//! a WebSocket stays open. Certificates are made at test time (rcgen), the
//! server listens on 127.0.0.1 on a free port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use rpc_client::{EncodedParams, HttpClient, WsClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, ServerHandle, TlsInfo};
use rpc_runtime::Router;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::Command;

/// The host name the server certificates carry besides `127.0.0.1`; curl
/// reaches it with `--resolve`, so it sends it as SNI.
const HOST: &str = "api.test";

/// A CA, a server certificate (for `127.0.0.1` and [`HOST`]) and a client
/// certificate it issued, in the forms the clients and the server take.
struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key_der: Vec<u8>,
    client_cert_pem: String,
    client_cert_der: Vec<u8>,
    client_key_pem: String,
}

fn make_pki(name: &str) -> Pki {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), HOST.to_owned()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
    client_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} client"));
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        server_chain: vec![server_cert.der().clone()],
        server_key_der: server_key.serialize_der(),
        client_cert_pem: client_cert.pem(),
        client_cert_der: client_cert.der().to_vec(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// The server's rustls config for `pki`, ALPN left empty (the server
/// fills in `h2` and `http/1.1`); with `client_ca`, clients must present a
/// certificate that CA issued.
fn server_config(pki: &Pki, client_ca: Option<&Pki>) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca.ca_der.clone()).unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key_der.clone()));
    builder
        .with_single_cert(pki.server_chain.clone(), key)
        .unwrap()
}

/// `session` answers what the call's `Context` knows of its TLS session;
/// `subtract` is something to call.
fn router() -> Router {
    let mut router = Router::new();
    router
        .register_sync("session", |_params, ctx| {
            let Some(tls) = ctx.tls() else {
                return Ok::<_, ErrorObjectOwned>(Value::Null);
            };
            Ok(json!({
                "transport": ctx.transport(),
                "alpn": tls.alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned()),
                "sni": tls.server_name(),
                "version": tls.protocol_version(),
                "suite": tls.cipher_suite(),
                "chain": tls.peer_certificates().len(),
                "client": tls.peer_certificate()
                    .map(|der| base64::engine::general_purpose::STANDARD.encode(der)),
            }))
        })
        .unwrap();
    router
        .register_sync("subtract", |params, _| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a - b)
        })
        .unwrap();
    router
}

async fn serve(config: rustls::ServerConfig) -> ServerHandle {
    Server::builder()
        .tls(config)
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

fn https_url(handle: &ServerHandle) -> String {
    format!("https://127.0.0.1:{}/", handle.local_addr().port())
}

fn wss_url(handle: &ServerHandle) -> String {
    format!("wss://127.0.0.1:{}/", handle.local_addr().port())
}

fn b64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

async fn session_over_http(client: &HttpClient) -> Value {
    client
        .request("session", EncodedParams::none())
        .await
        .unwrap()
}

async fn subtract(client: &WsClient, a: i64, b: i64) -> i64 {
    client
        .request("subtract", EncodedParams::from_value(&[a, b]).unwrap())
        .await
        .unwrap()
}

/// Runs curl with `args`; a missing curl fails the test and says how to
/// install it.
async fn curl(args: &[&str]) -> std::process::Output {
    // tokio's Command: the server under test runs on this same thread.
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .await
        .unwrap_or_else(|error| {
            panic!("curl could not be run ({error}); install it: apt-get install -y curl")
        })
}

/// A call by curl: prints the reply body, then the HTTP version on a line
/// of its own.
async fn curl_call(handle: &ServerHandle, ca_file: &str, extra: &[&str]) -> std::process::Output {
    let port = handle.local_addr().port();
    let resolve = format!("{HOST}:{port}:127.0.0.1");
    let url = format!("https://{HOST}:{port}/");
    let mut args = vec![
        "--resolve",
        &resolve,
        "--cacert",
        ca_file,
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"jsonrpc":"2.0","id":1,"method":"session"}"#,
        "-w",
        "\n%{http_version}",
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args).await
}

/// Writes `contents` to a file of its own in the temp dir; returns its path.
fn temp_file(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "rpc-server-tls-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

fn reply_and_version(output: &std::process::Output) -> (Value, String) {
    assert!(
        output.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let (body, version) = stdout.rsplit_once('\n').unwrap();
    (serde_json::from_str(body).unwrap(), version.to_owned())
}

/// Polls `check` for up to two seconds.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..200 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn https_by_http2_and_http1_and_wss_share_the_port() {
    let pki = make_pki("one-port");
    let handle = serve(server_config(&pki, None)).await;

    let h2 = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    let session = session_over_http(&h2).await;
    assert_eq!(session["transport"], "http");
    assert_eq!(session["alpn"], "h2", "{session}");
    assert_eq!(session["version"], "TLSv1.3", "{session}");
    assert!(session["suite"].as_str().unwrap().starts_with("TLS13_"));
    assert_eq!(session["chain"], 0, "no client certificate was asked for");
    assert_eq!(session["client"], Value::Null);
    // An IP address is never sent as SNI.
    assert_eq!(session["sni"], Value::Null);

    let h1 = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .http2(false)
        .build()
        .unwrap();
    assert_eq!(session_over_http(&h1).await["alpn"], "http/1.1");

    let ws = WsClient::builder(&wss_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .connect()
        .await
        .unwrap();
    let session: Value = ws.request("session", EncodedParams::none()).await.unwrap();
    assert_eq!(session["transport"], "ws");
    // Our WebSocket client offers no ALPN; the upgrade is HTTP/1.1 anyway.
    assert!(
        session["alpn"].is_null() || session["alpn"] == "http/1.1",
        "{session}"
    );
    assert_eq!(session["version"], "TLSv1.3");
    assert_eq!(subtract(&ws, 42, 23).await, 19);
    ws.close().await;

    // Plain HTTP on the TLS port is a failed handshake, nothing more.
    let plain =
        HttpClient::new(&format!("http://127.0.0.1:{}/", handle.local_addr().port())).unwrap();
    assert!(plain
        .request::<Value>("session", EncodedParams::none())
        .await
        .is_err());
    eventually("the plaintext client is counted", || {
        handle.tls_handshakes_failed() == 1
    })
    .await;
    assert_eq!(session_over_http(&h2).await["alpn"], "h2");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn curl_speaks_http2_and_http1_over_tls() {
    let pki = make_pki("curl");
    let handle = serve(server_config(&pki, None)).await;
    let ca_file = temp_file("ca.pem", &pki.ca_pem);

    let (reply, version) = reply_and_version(&curl_call(&handle, &ca_file, &["--http2"]).await);
    assert_eq!(version, "2", "{reply}");
    assert_eq!(reply["result"]["alpn"], "h2");
    assert_eq!(reply["result"]["sni"], HOST, "curl sends the host as SNI");

    let (reply, version) = reply_and_version(&curl_call(&handle, &ca_file, &["--http1.1"]).await);
    assert_eq!(version, "1.1", "{reply}");
    assert_eq!(reply["result"]["alpn"], "http/1.1");

    // Without the CA curl refuses the server: the certificate is what it
    // checks, not an accident of the setup.
    let port = handle.local_addr().port();
    let resolve = format!("{HOST}:{port}:127.0.0.1");
    let refused = curl(&[
        "--resolve",
        &resolve,
        &format!("https://{HOST}:{port}/health"),
    ])
    .await;
    assert!(!refused.status.success());
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn mutual_tls_puts_the_verified_client_in_the_context() {
    let pki = make_pki("mtls");
    let handle = serve(server_config(&pki, Some(&pki))).await;

    let http = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    let session = session_over_http(&http).await;
    assert_eq!(session["chain"], 1);
    assert_eq!(session["client"], b64(&pki.client_cert_der), "{session}");

    // For the whole life of a WebSocket: every call sees the same client.
    let ws = WsClient::builder(&wss_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .connect()
        .await
        .unwrap();
    for _ in 0..3 {
        let session: Value = ws.request("session", EncodedParams::none()).await.unwrap();
        assert_eq!(session["transport"], "ws");
        assert_eq!(session["client"], b64(&pki.client_cert_der));
    }

    // curl with the client certificate, over HTTP/2.
    let ca_file = temp_file("ca.pem", &pki.ca_pem);
    let cert_file = temp_file("client.pem", &pki.client_cert_pem);
    let key_file = temp_file("client.key", &pki.client_key_pem);
    let (reply, version) = reply_and_version(
        &curl_call(
            &handle,
            &ca_file,
            &["--http2", "--cert", &cert_file, "--key", &key_file],
        )
        .await,
    );
    assert_eq!(version, "2");
    assert_eq!(reply["result"]["client"], b64(&pki.client_cert_der));
    assert_eq!(handle.tls_handshakes_failed(), 0);
    ws.close().await;
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_refused_and_the_next_client_served() {
    let pki = make_pki("trusted");
    let stranger = make_pki("stranger");
    let handle = serve(server_config(&pki, Some(&pki))).await;

    // Trusts the server, but presents a certificate the server's CA did not issue.
    let refused = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(
            stranger.client_cert_pem.clone(),
            stranger.client_key_pem.clone(),
        )
        .build()
        .unwrap();
    let error = refused
        .request::<Value>("session", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(
        matches!(error, rpc_client::ClientError::Transport(_)),
        "{error:?}"
    );
    let ws_refused = WsClient::builder(&wss_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(
            stranger.client_cert_pem.clone(),
            stranger.client_key_pem.clone(),
        )
        .connect()
        .await;
    assert!(ws_refused.is_err());

    let ca_file = temp_file("ca.pem", &pki.ca_pem);
    let cert_file = temp_file("client.pem", &stranger.client_cert_pem);
    let key_file = temp_file("client.key", &stranger.client_key_pem);
    let output = curl_call(
        &handle,
        &ca_file,
        &["--cert", &cert_file, "--key", &key_file],
    )
    .await;
    assert!(
        !output.status.success(),
        "curl with a stranger's certificate got through"
    );
    // At least one each (a client may try again on a fresh connection).
    eventually("three refused handshakes are counted", || {
        handle.tls_handshakes_failed() >= 3
    })
    .await;

    // The next good client is served as if nothing happened.
    let good = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    assert_eq!(
        session_over_http(&good).await["client"],
        b64(&pki.client_cert_der)
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_when_one_is_required() {
    let pki = make_pki("required");
    let handle = serve(server_config(&pki, Some(&pki))).await;
    let anonymous = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert!(anonymous
        .request::<Value>("session", EncodedParams::none())
        .await
        .is_err());
    let ca_file = temp_file("ca.pem", &pki.ca_pem);
    let output = curl_call(&handle, &ca_file, &["--http2"]).await;
    assert!(
        !output.status.success(),
        "curl without a certificate got through"
    );
    eventually("both refusals are counted", || {
        handle.tls_handshakes_failed() >= 2
    })
    .await;
    eventually("no connection is left open", || {
        handle.connections_active() == 0
    })
    .await;
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn garbage_plaintext_and_silence_on_the_tls_port_harm_nothing() {
    let pki = make_pki("garbage");
    let handle = Server::builder()
        .tls(server_config(&pki, None))
        .tls_handshake_timeout(Duration::from_millis(300))
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = handle.local_addr();

    // Random bytes, then a plaintext request: each connection is closed.
    for bytes in [
        &[0x16, 0x03, 0x01, 0xff, 0xff, 0x00, 0x13, 0x37][..],
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        &[0u8; 4096][..],
    ] {
        let mut socket = TcpStream::connect(addr).await.unwrap();
        socket.write_all(bytes).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(2), socket.read_to_end(&mut answer))
            .await
            .expect("the server closes a garbage connection");
        // An alert at most, never an HTTP answer.
        assert!(!String::from_utf8_lossy(&answer).contains("HTTP/1.1"), "{read:?}");
    }
    // A client that connects and says nothing is closed at the handshake timeout.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf))
        .await
        .expect("a silent client is closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    eventually("four failed handshakes counted", || {
        handle.tls_handshakes_failed() == 4
    })
    .await;

    let client = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert_eq!(session_over_http(&client).await["alpn"], "h2");
    assert!(!handle.is_stopped());
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_handshake_holds_a_connection_slot() {
    let pki = make_pki("slots");
    let handle = Server::builder()
        .tls(server_config(&pki, None))
        .max_connections(1)
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = || {
        HttpClient::builder(&https_url(&handle))
            .built_in_roots(false)
            .add_root_certificate(pki.ca_pem.clone())
            .build()
            .unwrap()
    };
    // A connection still in its handshake takes the only slot...
    let silent = TcpStream::connect(handle.local_addr()).await.unwrap();
    eventually("the silent connection is open", || {
        handle.connections_active() == 1
    })
    .await;
    assert!(client()
        .request::<Value>("session", EncodedParams::none())
        .await
        .is_err());
    assert!(handle.connections_refused() >= 1);
    // ...and gives it back when it goes.
    drop(silent);
    eventually("the slot is free", || handle.connections_active() == 0).await;
    assert_eq!(session_over_http(&client()).await["alpn"], "h2");
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_reload_serves_new_connections_the_new_certificate_while_a_websocket_stays_open() {
    let old = make_pki("old");
    let new = make_pki("new");
    let handle = serve(server_config(&old, None)).await;

    let ws = WsClient::builder(&wss_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(old.ca_pem.clone())
        .connect()
        .await
        .unwrap();
    assert_eq!(subtract(&ws, 5, 3).await, 2);

    handle.reload_tls(server_config(&new, None)).unwrap();

    // New connections get the new certificate: a client trusting only the
    // old CA is refused, one trusting the new CA is served.
    let old_trust = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(old.ca_pem.clone())
        .build()
        .unwrap();
    assert!(old_trust
        .request::<Value>("session", EncodedParams::none())
        .await
        .is_err());
    let new_trust = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(new.ca_pem.clone())
        .build()
        .unwrap();
    assert_eq!(session_over_http(&new_trust).await["alpn"], "h2");
    let ca_file = temp_file("ca.pem", &new.ca_pem);
    let (_, version) = reply_and_version(&curl_call(&handle, &ca_file, &["--http2"]).await);
    assert_eq!(version, "2");

    // The WebSocket opened before the reload goes on, on its old session.
    for i in 0..5 {
        assert_eq!(subtract(&ws, 100, i).await, 100 - i);
    }
    ws.close().await;

    // Reload again, now asking for client certificates: the next client
    // without one is refused, the one with one is identified.
    handle.reload_tls(server_config(&new, Some(&new))).unwrap();
    assert!(
        new_trust
            .request::<Value>("session", EncodedParams::none())
            .await
            .is_ok(),
        "the pooled connection keeps its session"
    );
    let anonymous = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(new.ca_pem.clone())
        .build()
        .unwrap();
    assert!(anonymous
        .request::<Value>("session", EncodedParams::none())
        .await
        .is_err());
    let identified = HttpClient::builder(&https_url(&handle))
        .built_in_roots(false)
        .add_root_certificate(new.ca_pem.clone())
        .client_certificate(new.client_cert_pem.clone(), new.client_key_pem.clone())
        .build()
        .unwrap();
    assert_eq!(
        session_over_http(&identified).await["client"],
        b64(&new.client_cert_der)
    );
    handle.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_plain_server_has_no_tls_to_reload_and_no_session_in_the_context() {
    let pki = make_pki("plain");
    let handle = Server::builder()
        .build(router())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    assert!(matches!(
        handle.reload_tls(server_config(&pki, None)),
        Err(rpc_runtime::server::TlsError::NotEnabled)
    ));
    let client = HttpClient::new(&format!("http://{}/", handle.local_addr())).unwrap();
    assert_eq!(session_over_http(&client).await, Value::Null);
    assert!(TlsInfo::new().peer_certificate().is_none());
    handle.shutdown(Duration::from_secs(1)).await;
}

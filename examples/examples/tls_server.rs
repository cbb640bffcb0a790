//! TLS on the server's own port (feature `tls` of rpc-runtime): HTTPS and
//! WSS, mutual TLS with the caller known by its certificate, and a renewed
//! certificate served without a restart. It makes a CA and certificates on
//! the spot (rcgen), serves on 127.0.0.1, calls itself over HTTPS (HTTP/2)
//! and WSS with a client certificate, reloads, calls again, and exits 0.
//!
//! `cargo run -p examples --example tls_server`

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rpc_client::{EncodedParams, HttpClient, WsClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, TlsInfo};
use rpc_runtime::Router;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;

type Issuer = CertifiedIssuer<'static, KeyPair>;

/// A certificate `ca` issued, with its key (PEM both).
struct Issued {
    der: CertificateDer<'static>,
    cert_pem: String,
    key: KeyPair,
}

fn issue(
    ca: &Issuer,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> Result<Issued, Box<dyn Error>> {
    let key = KeyPair::generate()?;
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())?;
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, ca)?;
    Ok(Issued {
        der: cert.der().clone(),
        cert_pem: cert.pem(),
        key,
    })
}

/// The server's config: its certificate, and client certificates required
/// (issued by `ca`).
fn server_config(ca: &Issuer, server: &Issued) -> Result<rustls::ServerConfig, Box<dyn Error>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client_roots = rustls::RootCertStore::empty();
    client_roots.add(ca.der().clone())?;
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider.clone())
            .build()?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key.serialize_der()));
    Ok(rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.der.clone()], key)?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "example CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let server = issue(
        &ca,
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    let ada = issue(&ca, &["ada.example"], ExtendedKeyUsagePurpose::ClientAuth)?;

    // Who is who: the verifier proved the caller holds the certificate's
    // key; the application maps certificates to its users.
    let users: HashMap<Vec<u8>, &'static str> = HashMap::from([(ada.der.to_vec(), "ada")]);
    let mut router = Router::new();
    router.register_sync("whoami", move |_params, ctx| {
        let tls = ctx.tls();
        let user = tls
            .and_then(TlsInfo::peer_certificate)
            .and_then(|der| users.get(der).copied())
            .unwrap_or("stranger");
        let alpn = tls
            .and_then(TlsInfo::alpn_protocol)
            .map(String::from_utf8_lossy);
        Ok::<_, ErrorObjectOwned>(format!(
            "{user} over {} ({})",
            ctx.transport(),
            alpn.as_deref().unwrap_or("no ALPN")
        ))
    })?;

    let handle = Server::builder()
        .tls(server_config(&ca, &server)?)
        .build(router)
        .bind("127.0.0.1:0")
        .await?;
    let port = handle.local_addr().port();
    println!("serving https://127.0.0.1:{port}/ and wss://127.0.0.1:{port}/");

    let http = HttpClient::builder(&format!("https://127.0.0.1:{port}/"))
        .built_in_roots(false)
        .add_root_certificate(ca.pem())
        .client_certificate(ada.cert_pem.clone(), ada.key.serialize_pem())
        .build()?;
    let who: String = http.request("whoami", EncodedParams::none()).await?;
    println!("https: {who}");

    let ws = WsClient::builder(&format!("wss://127.0.0.1:{port}/"))
        .built_in_roots(false)
        .add_root_certificate(ca.pem())
        .client_certificate(ada.cert_pem.clone(), ada.key.serialize_pem())
        .connect()
        .await?;
    let who: String = ws.request("whoami", EncodedParams::none()).await?;
    println!("wss: {who}");

    // The certificate is renewed: new connections get the new one, the open
    // WebSocket keeps its session.
    let renewed = issue(
        &ca,
        &["localhost", "127.0.0.1"],
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    handle.reload_tls(server_config(&ca, &renewed)?)?;
    let fresh = HttpClient::builder(&format!("https://127.0.0.1:{port}/"))
        .built_in_roots(false)
        .add_root_certificate(ca.pem())
        .client_certificate(ada.cert_pem.clone(), ada.key.serialize_pem())
        .build()?;
    let who: String = fresh.request("whoami", EncodedParams::none()).await?;
    println!("after reload, https: {who}");
    let who: String = ws.request("whoami", EncodedParams::none()).await?;
    println!("after reload, the open wss: {who}");

    // No client certificate: the handshake is refused.
    let anonymous = HttpClient::builder(&format!("https://127.0.0.1:{port}/"))
        .built_in_roots(false)
        .add_root_certificate(ca.pem())
        .build()?;
    let refused = anonymous
        .request::<String>("whoami", EncodedParams::none())
        .await
        .is_err();
    println!("without a client certificate: refused = {refused}");

    ws.close().await;
    handle.shutdown(Duration::from_secs(5)).await;
    if !refused {
        return Err("a client without a certificate was served".into());
    }
    Ok(())
}

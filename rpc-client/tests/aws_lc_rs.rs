//! The `aws-lc-rs` feature: the client's TLS runs on the aws-lc-rs crypto
//! provider. The proof is a key exchange `ring` does not have: a TLS
//! server on 127.0.0.1 (tokio-rustls, in front of a real rpc-runtime
//! server) that accepts only the post-quantum hybrid X25519MLKEM768. The
//! client built with the feature completes the handshake; a client given a
//! ring-based `rustls::ClientConfig` cannot.
//!
//! Run with `cargo test -p rpc-client --features aws-lc-rs --test aws_lc_rs`.
#![cfg(all(feature = "aws-lc-rs", feature = "http", feature = "ring"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rpc_client::{ClientError, EncodedParams, HttpClient};
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::Router;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::pki_types::pem::PemObject as _;
use rustls::NamedGroup;
use tokio::net::{TcpListener, TcpStream};

/// A TLS front for `backend` that speaks only X25519MLKEM768; records the
/// group each handshake agreed on.
async fn mlkem_only_front(
    backend: std::net::SocketAddr,
) -> (String, String, Arc<Mutex<Vec<NamedGroup>>>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = CryptoProvider {
        kx_groups: vec![aws_lc_rs::kx_group::X25519MLKEM768],
        ..aws_lc_rs::default_provider()
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let groups = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&groups);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Some(group) = tls.get_ref().1.negotiated_key_exchange_group() {
                    seen.lock().unwrap().push(group.name());
                }
                let mut plain = TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (url, cert_pem, groups)
}

async fn backend() -> ServerHandle {
    let mut router = Router::new();
    router
        .register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("hello"))
        .unwrap();
    Server::builder()
        .build(router)
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

#[tokio::test]
async fn https_on_the_aws_lc_rs_provider() {
    let server = backend().await;
    let (url, cert_pem, groups) = mlkem_only_front(server.local_addr()).await;

    let client = HttpClient::builder(&url)
        .no_proxy()
        .built_in_roots(false)
        .add_root_certificate(cert_pem.clone())
        .build()
        .unwrap();
    let hello: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");
    assert_eq!(*groups.lock().unwrap(), [NamedGroup::X25519MLKEM768]);

    // The same trust on ring: no group in common, no handshake.
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let ring = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let on_ring = HttpClient::builder(&url)
        .no_proxy()
        .tls_config(ring)
        .build()
        .unwrap();
    let error = on_ring
        .request::<String>("hello", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert_eq!(groups.lock().unwrap().len(), 1);
    server.shutdown(Duration::from_secs(5)).await;
}

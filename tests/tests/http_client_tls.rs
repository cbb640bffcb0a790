//! `HttpClient` over HTTPS, with a CA and certificates made at test time
//! (rcgen) and a tokio-rustls + hyper server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;

use http::Version;
use rpc_client::{ClientError, EncodedParams, HttpClient};
use servers::{serve_with, test_pki, test_router, tls_server_config, Answer};

#[tokio::test]
async fn https_with_a_custom_root_certificate() {
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;

    for root in [pki.ca_pem.as_bytes().to_vec(), pki.ca_der.clone()] {
        let client = HttpClient::builder(&server.https_url())
            .add_root_certificate(root)
            .build()
            .unwrap();
        for _ in 0..3 {
            let hello: String = client
                .request("hello", EncodedParams::none())
                .await
                .unwrap();
            assert_eq!(hello, "hello");
        }
    }
    // One TLS connection per client, reused for its three calls.
    assert_eq!(server.connections(), 2);
    assert_eq!(server.seen().len(), 6);
    assert!(!server.seen()[0].client_cert);
}

#[tokio::test]
async fn https_negotiates_http2_unless_turned_off() {
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;
    let h2 = HttpClient::builder(&server.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    let _: String = h2.request("hello", EncodedParams::none()).await.unwrap();
    let h1 = HttpClient::builder(&server.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .http2(false)
        .build()
        .unwrap();
    let _: String = h1.request("hello", EncodedParams::none()).await.unwrap();

    let versions: Vec<Version> = server.seen().iter().map(|s| s.version).collect();
    assert_eq!(versions, [Version::HTTP_2, Version::HTTP_11]);
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_transport_error() {
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;
    // Only the built-in roots: the test CA is not among them.
    let client = HttpClient::new(&server.https_url()).unwrap();
    let err = client
        .request::<String>("hello", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("certificate"), "says why: {err}");

    // Trusting another CA does not help either.
    let other = test_pki();
    let client = HttpClient::builder(&server.https_url())
        .built_in_roots(false)
        .add_root_certificate(other.ca_pem)
        .build()
        .unwrap();
    let err = client
        .request::<String>("hello", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert!(server.seen().is_empty(), "no request got through");
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_the_server_asks() {
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, true)),
    )
    .await;

    let with_cert = HttpClient::builder(&server.https_url())
        .built_in_roots(false)
        .add_root_certificate(pki.ca_pem.clone())
        .client_certificate(pki.client_cert_pem.clone(), pki.client_key_pem.clone())
        .build()
        .unwrap();
    let hello: String = with_cert
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");
    assert!(server.seen()[0].client_cert);

    let without_cert = HttpClient::builder(&server.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    let err = without_cert
        .request::<String>("hello", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_bad_client_key_is_a_build_error() {
    let pki = test_pki();
    let result = HttpClient::builder("https://127.0.0.1:1")
        .client_certificate(pki.client_cert_pem, "not a key")
        .build();
    assert!(
        matches!(result, Err(rpc_client::BuildError::Certificate(_))),
        "{result:?}"
    );
}

//! Browsers on other origins, over a real socket: preflights, the headers
//! that let a page read replies, and the WebSocket upgrade guarded by the
//! same origin list.
//!
//! The CORS headers are tower-http's `CorsLayer`'s. Where its documented
//! behaviour differs from the server's former hand-written CORS, the tests
//! follow it: a preflight is answered `200` (not `204`); one from an origin
//! or for a method the policy does not allow is answered too, without the
//! `Access-Control-Allow-*` header the browser needs to go on (rather than
//! `403`), which the browser treats as a refusal all the same; methods are
//! listed `POST,GET`; and `Vary` is one value naming `origin`,
//! `access-control-request-method` and `access-control-request-headers`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use http_server_support::{call_text, post, start, test_router, H1};
use rpc_runtime::server::{Cors, Server};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const APP: &str = "https://app.example.com";
const EVIL: &str = "https://evil.example.net";

fn preflight(origin: &str, method: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/")
        .header("host", "localhost")
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .body(Full::new(Bytes::new()))
        .unwrap()
}

fn from(origin: &str, mut request: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    request
}

fn header<'r>(reply: &'r http_server_support::Reply, name: &str) -> Option<&'r str> {
    reply.headers.get(name).map(|v| v.to_str().unwrap())
}

/// Whether the reply's `Vary` names `Origin` (field names are
/// case-insensitive, and the list may be one comma-separated value).
fn varies_on_origin(reply: &http_server_support::Reply) -> bool {
    reply
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("origin"))
}

async fn serve(cors: Option<Cors>) -> rpc_runtime::server::ServerHandle {
    let mut builder = Server::builder();
    if let Some(cors) = cors {
        builder = builder.cors(cors);
    }
    start(builder, test_router(Arc::new(Notify::new()))).await
}

#[tokio::test]
async fn off_by_default_no_cors_headers_and_preflight_is_405() {
    let server = serve(None).await;
    let mut client = H1::connect(server.local_addr()).await;
    let reply = client.send(preflight(APP, "POST")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let reply = client
        .send(from(APP, post(&call_text("add", "[1,2]"))))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_listed_origin_gets_its_preflight_and_can_read_replies() {
    let cors = Cors::origins([APP])
        .allow_credentials(true)
        .max_age(Duration::from_secs(60));
    let server = serve(Some(cors)).await;
    let mut client = H1::connect(server.local_addr()).await;

    let reply = client.send(preflight(APP, "POST")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        header(&reply, "access-control-allow-methods"),
        Some("POST,GET")
    );
    assert_eq!(
        header(&reply, "access-control-allow-headers"),
        Some("content-type, authorization")
    );
    assert_eq!(
        header(&reply, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&reply, "access-control-max-age"), Some("60"));
    assert!(varies_on_origin(&reply), "{:?}", reply.headers);

    // The call itself, and an error status, both readable by the page.
    let reply = client
        .send(from(APP, post(&call_text("add", "[1,2]"))))
        .await;
    assert_eq!(reply.json()["result"], 3);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(APP));
    let mut wrong_type = post("{}");
    wrong_type
        .headers_mut()
        .insert("content-type", "text/plain".parse().unwrap());
    let reply = client.send(from(APP, wrong_type)).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn another_origin_is_refused_its_preflight_and_gets_no_headers() {
    let server = serve(Some(Cors::origins([APP]))).await;
    let mut client = H1::connect(server.local_addr()).await;
    // The preflight is answered without the header that would let the
    // browser send the call.
    let reply = client.send(preflight(EVIL, "POST")).await;
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    // A method the endpoint does not serve is not among the allowed ones,
    // so the browser refuses it.
    let reply = client.send(preflight(APP, "DELETE")).await;
    let methods = header(&reply, "access-control-allow-methods").unwrap();
    assert!(!methods.contains("DELETE"), "{methods}");
    // CORS decides what a page may read, not who may call: the call is
    // answered, without the header that would let the page read it.
    let reply = client
        .send(from(EVIL, post(&call_text("add", "[1,2]"))))
        .await;
    assert_eq!(reply.json()["result"], 3);
    assert_eq!(header(&reply, "access-control-allow-origin"), None);
    // Non-browser clients send no Origin and are unaffected.
    let reply = client.send(post(&call_text("add", "[1,2]"))).await;
    assert_eq!(reply.json()["result"], 3);
}

#[tokio::test]
async fn any_origin_is_a_star_without_credentials() {
    let server = serve(Some(Cors::any_origin())).await;
    let mut client = H1::connect(server.local_addr()).await;
    let reply = client.send(preflight(EVIL, "POST")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header(&reply, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&reply, "access-control-allow-credentials"), None);
    let with_credentials = serve(Some(Cors::any_origin().allow_credentials(true))).await;
    let mut client = H1::connect(with_credentials.local_addr()).await;
    let reply = client
        .send(from(EVIL, post(&call_text("add", "[1,2]"))))
        .await;
    assert_eq!(header(&reply, "access-control-allow-origin"), Some(EVIL));
}

#[tokio::test]
async fn the_websocket_upgrade_is_refused_to_other_origins() {
    let server = serve(Some(Cors::origins([APP]))).await;
    let url = format!("ws://{}/", server.local_addr());
    let upgrade = |origin: Option<&str>| {
        let mut request = url.as_str().into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    match upgrade(Some(EVIL)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::FORBIDDEN);
        }
        other => panic!("expected a 403, got {:?}", other.map(|(_, r)| r.status())),
    }
    assert!(upgrade(Some(APP)).await.is_ok());
    assert!(upgrade(None).await.is_ok());
}

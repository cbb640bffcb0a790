//! `rpc.discover` and the OpenRPC document on a real server: over HTTP
//! (a JSON-RPC call and a `GET` asking for JSON), in process through
//! `LocalCaller`, and switched off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "http_server_support/mod.rs"]
mod support;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use rpc_client::HttpClient;
use rpc_runtime::client::{Caller, ClientError, LocalCaller};
use rpc_runtime::openrpc::{Info, OpenRpcConfig, Server as Endpoint};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::server::Server;
use rpc_runtime::{rpc, Router, RpcError};
use serde_json::Value;

use support::{call_text, start, H1};

/// What can go wrong when subtracting.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The difference does not fit.
    #[error("{0} - {1} overflows")]
    #[rpc(code = 1001)]
    Overflow(i64, i64),
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "math", server_only)]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts the second number from the first.
    #[method(aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
}

struct Calc;

impl Calculator for Calc {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        minuend
            .checked_sub(subtrahend)
            .ok_or(CalcError::Overflow(minuend, subtrahend))
    }
}

fn builder() -> rpc_runtime::server::ServerBuilder {
    Server::builder()
        .info("Calculator", "1.2.3", Some("Arithmetic"))
        .servers([Endpoint::new("http://127.0.0.1:8080").with_name("local")])
}

fn get(accept: Option<&str>) -> Request<Full<Bytes>> {
    let mut request = Request::get("/").header("host", "x");
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.body(Full::new(Bytes::new())).unwrap()
}

fn method_names(doc: &Value) -> Vec<&str> {
    doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn rpc_discover_over_http_returns_the_document() {
    let handle = start(builder(), Calc.into_router()).await;
    let client = HttpClient::new(&format!("http://{}", handle.local_addr())).unwrap();
    let doc: Value = client
        .call("rpc.discover", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(doc["openrpc"], "1.3.2");
    assert_eq!(doc["info"]["title"], "Calculator");
    assert_eq!(doc["info"]["version"], "1.2.3");
    assert_eq!(doc["info"]["description"], "Arithmetic");
    assert_eq!(doc["servers"][0]["name"], "local");
    // `rpc.discover` itself is not listed; the alias is on its method.
    assert_eq!(method_names(&doc), ["math.add", "math.subtract"]);
    assert_eq!(
        doc["methods"][1]["x-aliases"],
        serde_json::json!(["math.sub"])
    );
    assert_eq!(doc["methods"][1]["errors"][0]["code"], 1001);
    assert_eq!(doc["methods"][0]["summary"], "Adds two numbers.");

    // Every call serves the same text, and the methods still work.
    let again: Value = client
        .call("rpc.discover", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(again, doc);
    let sum: i64 = client
        .call("math.add", EncodedParams::from_value(&[2, 40]).unwrap())
        .await
        .unwrap();
    assert_eq!(sum, 42);
}

#[tokio::test]
async fn a_get_asking_for_json_returns_the_same_document() {
    let handle = start(builder(), Calc.into_router()).await;
    let mut h1 = H1::connect(handle.local_addr()).await;
    let reply = h1.send(get(Some("application/json"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), Some("application/json"));
    let doc = reply.json();
    assert_eq!(doc["info"]["title"], "Calculator");

    let call = h1.call(&call_text("rpc.discover", "[]")).await.json();
    assert_eq!(call["result"], doc, "GET and rpc.discover agree");

    // Without the method map, a GET that does not ask for JSON is refused.
    for accept in [None, Some("*/*"), Some("text/html")] {
        let reply = h1.send(get(accept)).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{accept:?}");
    }
}

#[tokio::test]
async fn with_the_method_map_on_only_json_gets_the_document() {
    let handle = start(builder().method_map(true), Calc.into_router()).await;
    let mut h1 = H1::connect(handle.local_addr()).await;
    let doc = h1
        .send(get(Some("text/html, application/json;q=0.9")))
        .await
        .json();
    assert_eq!(doc["openrpc"], "1.3.2");
    let map = h1.send(get(None)).await.json();
    assert!(map.get("openrpc").is_none());
    let names: Vec<&str> = map["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["math.add", "math.sub", "math.subtract"]);
}

#[tokio::test]
async fn discovery_switched_off_is_method_not_found() {
    let handle = start(builder().discover(false), Calc.into_router()).await;
    let mut h1 = H1::connect(handle.local_addr()).await;
    let reply = h1.call(&call_text("rpc.discover", "[]")).await.json();
    assert_eq!(reply["error"]["code"], -32601);
    let reply = h1.send(get(Some("application/json"))).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);

    let client = HttpClient::new(&format!("http://{}", handle.local_addr())).unwrap();
    match client
        .call::<Value>("rpc.discover", EncodedParams::none())
        .await
    {
        Err(ClientError::Rpc(object)) => assert_eq!(object.code, -32601),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rpc_discover_in_process() {
    // The server's router carries `rpc.discover` ...
    let server = builder().build(Calc.into_router());
    let local = LocalCaller::new(server.router().clone());
    let doc: Value = local
        .call("rpc.discover", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "Calculator");

    // ... and a bare router gets it with `with_discovery`.
    let config = OpenRpcConfig::new(Info::new("Bare", "0.1.0"));
    let router: Router = Calc.into_router().with_discovery(&config).unwrap();
    let local = LocalCaller::new(router);
    let doc: Value = local
        .call("rpc.discover", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "Bare");
    assert_eq!(method_names(&doc), ["math.add", "math.subtract"]);

    // Twice is refused rather than silently replaced.
    let twice = Calc
        .into_router()
        .with_discovery(&config)
        .unwrap()
        .with_discovery(&config);
    assert!(twice.is_err());
}

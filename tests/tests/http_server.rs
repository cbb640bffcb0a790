//! The HTTP server's request paths on a real socket: every status code,
//! content types, limits, what a handler sees of the request, the method
//! map, and the JSON-RPC specification's examples over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use http_server_support::{
    call_text, post, post_with, raw_exchange, start, start_default, test_router, H1,
};
use rpc_runtime::server::Server;
use tokio::sync::Notify;

#[tokio::test]
async fn a_call_is_200_with_the_json_reply() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    let reply = client.call(&call_text("add", "[40,2]")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), Some("application/json"));
    assert_eq!(reply.text(), r#"{"jsonrpc":"2.0","result":42,"id":1}"#);

    let named = client.call(&call_text("add", r#"{"a":1,"b":2}"#)).await;
    assert_eq!(named.json()["result"], 3);
}

#[tokio::test]
async fn every_specification_example_over_http() {
    let handle = start(Server::builder(), tests::spec_router()).await;
    let mut client = H1::connect(handle.local_addr()).await;
    for vector in tests::spec_vectors() {
        let reply = client.call(&vector.request).await;
        if vector.response.is_some() {
            assert_eq!(reply.status, StatusCode::OK, "{}", vector.name);
            tests::check_vector(&vector, Some(reply.text()));
        } else {
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", vector.name);
            assert!(reply.body.is_empty(), "{}: {:?}", vector.name, reply.body);
            tests::check_vector(&vector, None);
        }
    }
    assert_eq!(handle.connections_accepted(), 1);
}

#[tokio::test]
async fn notifications_are_204_with_an_empty_body() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;

    let single = client
        .call(r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#)
        .await;
    assert_eq!(single.status, StatusCode::NO_CONTENT);
    assert!(single.body.is_empty());

    let batch = client
        .call(r#"[{"jsonrpc":"2.0","method":"add","params":[1,2]},{"jsonrpc":"2.0","method":"nope"}]"#)
        .await;
    assert_eq!(batch.status, StatusCode::NO_CONTENT);
    assert!(batch.body.is_empty());

    // A mixed batch answers only the calls.
    let mixed = client
        .call(r#"[{"jsonrpc":"2.0","method":"add","params":[1,2]},{"jsonrpc":"2.0","method":"add","params":[2,2],"id":7}]"#)
        .await;
    assert_eq!(mixed.status, StatusCode::OK);
    assert_eq!(mixed.text(), r#"[{"jsonrpc":"2.0","result":4,"id":7}]"#);
}

#[tokio::test]
async fn a_204_carries_no_body_bytes_on_the_wire() {
    let (server, _) = start_default().await;
    let body = r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_exchange(server.local_addr(), request.as_bytes()).await;
    let text = String::from_utf8(response).unwrap();
    assert!(text.starts_with("HTTP/1.1 204 No Content\r\n"), "{text}");
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(rest, "", "a 204 has nothing after its head");
    assert!(!head.to_ascii_lowercase().contains("null"), "{head}");
}

#[tokio::test]
async fn json_content_types_with_any_parameters_are_accepted() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "application/json; charset=iso-8859-1",
        "application/json-rpc",
        "APPLICATION/JSON-RPC; charset=utf-8",
    ] {
        let reply = client
            .send(post_with(content_type, &call_text("add", "[1,1]")))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{content_type}");
        assert_eq!(reply.json()["result"], 2, "{content_type}");
    }
}

#[tokio::test]
async fn other_content_types_are_415() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonp",
        "text/json",
    ] {
        let reply = client
            .send(post_with(content_type, &call_text("add", "[1,1]")))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        reply.assert_rpc_error(-32600);
    }
    let missing = Request::post("/")
        .header("host", "x")
        .body(Full::new(Bytes::from(call_text("add", "[1,1]"))))
        .unwrap();
    let reply = client.send(missing).await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body = reply.assert_rpc_error(-32600);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json"),
        "{body}"
    );
}

#[tokio::test]
async fn other_methods_are_405_with_allow_post() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    for method in [
        Method::GET,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::HEAD,
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/")
            .header("host", "x")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let reply = client.send(request).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.headers["allow"], "POST", "{method}");
        if method != Method::HEAD {
            reply.assert_rpc_error(-32600);
        }
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_with_a_json_rpc_error() {
    let call = call_text("add", "[1,2]");
    let limit = call.len();
    let handle = start(
        Server::builder().max_body_size(limit),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut client = H1::connect(handle.local_addr()).await;

    // Exactly at the limit is fine.
    let at_limit = client.call(&call).await;
    assert_eq!(at_limit.status, StatusCode::OK);
    assert_eq!(at_limit.json()["result"], 3);

    // One byte more (with a content-length) is refused before it is read.
    let over = client.call(&format!("{call} ")).await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE);
    let body = over.assert_rpc_error(-32002);
    assert!(body["id"].is_null());
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&limit.to_string()),
        "the message says the limit: {body}"
    );

    // Chunked, with no declared length: caught while reading.
    let padded = format!("{call}{}", " ".repeat(100));
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        50,
        &padded[..50],
        padded.len() - 50,
        &padded[50..]
    );
    let response =
        String::from_utf8(raw_exchange(handle.local_addr(), request.as_bytes()).await).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{response}"
    );
    assert!(response.contains(r#""code":-32002"#), "{response}");
}

#[tokio::test]
async fn the_default_body_limit_is_10_mib() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    // A valid call padded with whitespace to just under and just over 10 MiB.
    let call = call_text("add", "[1,2]");
    let limit = 10 * 1024 * 1024;
    let under = format!("{call}{}", " ".repeat(limit - call.len()));
    assert_eq!(client.call(&under).await.status, StatusCode::OK);
    let mut client = H1::connect(server.local_addr()).await;
    let over = format!("{call}{}", " ".repeat(limit + 1 - call.len()));
    assert_eq!(
        client.call(&over).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn json_rpc_errors_stay_http_200() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    let cases = [
        ("{", -32700),
        ("", -32700),
        (r#"{"jsonrpc":"2.0","method":1,"id":1}"#, -32600),
        ("[]", -32600),
        (r#"{"jsonrpc":"2.0","method":"nope","id":1}"#, -32601),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":["x",1],"id":1}"#,
            -32602,
        ),
        (r#"{"jsonrpc":"2.0","method":"boom","id":1}"#, -32603),
    ];
    for (body, code) in cases {
        let reply = client.call(body).await;
        assert_eq!(reply.status, StatusCode::OK, "{body}");
        assert_eq!(reply.json()["error"]["code"], code, "{body}");
    }
    // The connection that saw all of that (a panic included) still serves.
    assert_eq!(
        client.call(&call_text("add", "[2,3]")).await.json()["result"],
        5
    );
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_parse_error() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    let request = Request::post("/")
        .header("host", "x")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\",\"id\":1}",
        )))
        .unwrap();
    let reply = client.send(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32700);
    assert!(body["id"].is_null());
}

#[tokio::test]
async fn handlers_read_headers_cookies_uri_and_peer_address() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;

    let mut request = post(&call_text("header", r#"["x-api-key"]"#));
    request
        .headers_mut()
        .insert("x-api-key", "k-123".parse().unwrap());
    assert_eq!(client.send(request).await.json()["result"], "k-123");

    let mut request = post(&call_text("cookie", r#"{"name":"session"}"#));
    request
        .headers_mut()
        .insert("cookie", "theme=dark; session=s3cr3t".parse().unwrap());
    assert_eq!(client.send(request).await.json()["result"], "s3cr3t");

    let mut request = post(&call_text("whoami", "[]"));
    *request.uri_mut() = "/api/v1?trace=1".parse().unwrap();
    let seen = client.send(request).await.json()["result"].clone();
    assert_eq!(seen["peer"], client.local_addr.to_string());
    assert_eq!(seen["transport"], "http");
    assert_eq!(seen["uri"], "/api/v1?trace=1");
    assert_eq!(seen["method"], "POST");

    // No such header: the handler sees none.
    let reply = client.call(&call_text("header", r#"["x-api-key"]"#)).await;
    assert!(reply.json()["result"].is_null());
}

#[tokio::test]
async fn the_method_map_lists_methods_when_switched_on() {
    let handle = start(
        Server::builder().method_map(true),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut client = H1::connect(handle.local_addr()).await;
    let get = Request::get("/")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = client.send(get).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), Some("application/json"));
    let map = reply.json();
    let methods = map["methods"].as_array().unwrap();
    let names: Vec<&str> = methods
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["add", "boom", "cookie", "header", "sleep", "whoami"]
    );
    assert_eq!(methods[0]["params"], serde_json::json!(["a", "b"]));
    assert_eq!(methods[4]["params"], serde_json::json!(["ms"]));

    // Other methods now name GET as allowed too; POST still works.
    let put = Request::put("/")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = client.send(put).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "GET, POST");
    assert_eq!(
        client.call(&call_text("add", "[1,1]")).await.json()["result"],
        2
    );
}

#[tokio::test]
async fn without_the_method_map_get_is_405() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    let get = Request::get("/")
        .header("host", "x")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let reply = client.send(get).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers["allow"], "POST");
    assert!(!reply.text().contains("methods"));
}

#[tokio::test]
async fn a_slow_call_times_out_with_a_32000_error() {
    let handle = start(
        Server::builder().call_timeout(Duration::from_millis(100)),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut client = H1::connect(handle.local_addr()).await;
    let started = Instant::now();
    let reply = client.call(&call_text("sleep", "[5000]")).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the call was cut short"
    );
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["error"]["code"], -32000, "{body}");
    assert_eq!(body["id"], 1);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("timed out") && message.contains("100 ms"),
        "{message}"
    );

    // A quick call under the same limit is answered normally.
    assert_eq!(
        client.call(&call_text("sleep", "[1]")).await.json()["result"],
        "slept"
    );
}

#[tokio::test]
async fn the_batch_length_limit_comes_from_the_config() {
    let handle = start(
        Server::builder().max_batch_len(2),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut client = H1::connect(handle.local_addr()).await;
    let one = r#"{"jsonrpc":"2.0","method":"add","params":[1,1],"id":1}"#;
    let two = client.call(&format!("[{one},{one}]")).await;
    assert_eq!(two.json().as_array().unwrap().len(), 2);

    let three = client.call(&format!("[{one},{one},{one}]")).await;
    assert_eq!(three.status, StatusCode::OK);
    let body = three.json();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    assert!(
        body["error"]["data"]
            .as_str()
            .unwrap()
            .contains("limit of 2"),
        "{body}"
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408() {
    let handle = start(
        Server::builder().body_read_timeout(Some(Duration::from_millis(200))),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    // The head promises 100 bytes; only 10 ever come.
    let request = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"jsonrpc\"";
    let started = Instant::now();
    let response = String::from_utf8(raw_exchange(handle.local_addr(), request).await).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{response}"
    );
    assert!(response.contains(r#""code":-32600"#), "{response}");
    assert!(response.contains("200 ms"), "{response}");
}

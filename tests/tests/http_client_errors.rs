//! `HttpClient` against servers that misbehave: each wrong answer gives
//! the right `ClientError`, and timeouts and refused connections are told
//! apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;

use std::time::{Duration, Instant};

use rpc_client::{BatchRequest, BuildError, ClientError, EncodedParams, HttpClient};
use servers::{full_listener, serve, silent_server, test_router, Answer};

async fn call_against(answer: Answer) -> ClientError {
    let server = serve(answer).await;
    let client = HttpClient::new(&server.url()).unwrap();
    client
        .request::<i64>("anything", EncodedParams::none())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn garbage_is_unparsable() {
    let err = call_against(Answer::canned(200, "application/json", "}{ not json")).await;
    assert!(matches!(err, ClientError::Unparsable(_)), "{err:?}");
    // The parser's own error is the cause, for reporters that walk the chain.
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.is::<serde_json::Error>(), "{source:?}");
    assert!(
        err.to_string().starts_with("unparsable response: "),
        "{err}"
    );
}

#[tokio::test]
async fn an_html_page_is_unparsable() {
    let page = "<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>";
    let err = call_against(Answer::canned(200, "text/html", page)).await;
    assert!(matches!(err, ClientError::Unparsable(_)), "{err:?}");
}

#[tokio::test]
async fn a_500_is_an_http_status_with_its_body() {
    let err = call_against(Answer::canned(500, "text/plain", "database on fire")).await;
    let ClientError::HttpStatus { status, body } = err else {
        panic!("expected HttpStatus, got {err:?}");
    };
    assert_eq!(status, 500);
    assert_eq!(body, "database on fire");
}

#[tokio::test]
async fn an_html_error_page_is_an_http_status() {
    let err = call_against(Answer::canned(502, "text/html", "<h1>Bad Gateway</h1>")).await;
    assert!(
        matches!(&err, ClientError::HttpStatus { status: 502, body } if body.contains("Bad Gateway")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_json_rpc_error_with_an_error_status_is_rpc() {
    let body =
        r#"{"jsonrpc":"2.0","error":{"code":-32002,"message":"request too large"},"id":null}"#;
    let err = call_against(Answer::canned(413, "application/json", body)).await;
    let object = err.rpc_error().expect("an Rpc error");
    assert_eq!(object.code, -32002);
    assert_eq!(object.message, "request too large");
}

#[tokio::test]
async fn an_id_mismatch_is_an_invalid_response() {
    let body = r#"{"jsonrpc":"2.0","result":1,"id":999}"#;
    let err = call_against(Answer::canned(200, "application/json", body)).await;
    assert!(
        matches!(&err, ClientError::InvalidResponse(m) if m.reason().contains("999")),
        "{err:?}"
    );
}

#[tokio::test]
async fn both_result_and_error_is_an_invalid_response() {
    let body = r#"{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}"#;
    let err = call_against(Answer::canned(200, "application/json", body)).await;
    assert!(matches!(err, ClientError::InvalidResponse(_)), "{err:?}");
}

#[tokio::test]
async fn neither_result_nor_error_is_an_invalid_response() {
    let err = call_against(Answer::canned(
        200,
        "application/json",
        r#"{"jsonrpc":"2.0","id":1}"#,
    ))
    .await;
    assert!(matches!(err, ClientError::InvalidResponse(_)), "{err:?}");
}

#[tokio::test]
async fn a_missing_jsonrpc_member_is_an_invalid_response() {
    let err = call_against(Answer::canned(
        200,
        "application/json",
        r#"{"result":1,"id":1}"#,
    ))
    .await;
    assert!(matches!(err, ClientError::InvalidResponse(_)), "{err:?}");
}

#[tokio::test]
async fn no_content_to_a_call_is_an_invalid_response() {
    let err = call_against(Answer::canned(204, "application/json", "")).await;
    assert!(
        matches!(&err, ClientError::InvalidResponse(m) if m.reason().contains("no response")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_notification_accepts_204_and_ignores_a_body_but_not_a_500() {
    let empty = serve(Answer::canned(204, "application/json", "")).await;
    let client = HttpClient::new(&empty.url()).unwrap();
    client.notify("n", EncodedParams::none()).await.unwrap();

    let chatty = serve(Answer::canned(
        200,
        "application/json",
        r#"{"ignored":true}"#,
    ))
    .await;
    let client = HttpClient::new(&chatty.url()).unwrap();
    client.notify("n", EncodedParams::none()).await.unwrap();

    let failing = serve(Answer::canned(500, "text/plain", "no")).await;
    let client = HttpClient::new(&failing.url()).unwrap();
    let err = client.notify("n", EncodedParams::none()).await.unwrap_err();
    assert!(
        matches!(err, ClientError::HttpStatus { status: 500, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn batch_answers_that_do_not_match_are_invalid() {
    let mut batch = BatchRequest::new();
    let _ = batch.call::<i64>("a", EncodedParams::none());
    let _ = batch.call::<i64>("b", EncodedParams::none());

    // Only one of the two calls answered.
    let server = serve(Answer::canned(
        200,
        "application/json",
        r#"[{"jsonrpc":"2.0","result":1,"id":1}]"#,
    ))
    .await;
    let client = HttpClient::new(&server.url()).unwrap();
    let err = client.batch(batch).await.unwrap_err();
    assert!(matches!(err, ClientError::InvalidResponse(_)), "{err:?}");

    // The whole batch refused with one error object.
    let mut batch = BatchRequest::new();
    let _ = batch.call::<i64>("a", EncodedParams::none());
    let refusal =
        r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}"#;
    let server = serve(Answer::canned(200, "application/json", refusal)).await;
    let client = HttpClient::new(&server.url()).unwrap();
    let err = client.batch(batch).await.unwrap_err();
    assert_eq!(err.rpc_error().unwrap().code, -32600);
}

#[tokio::test]
async fn send_reports_an_error_status_with_the_raw_body() {
    let body = r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#;
    let server = serve(Answer::canned(400, "application/json", body)).await;
    let client = HttpClient::new(&server.url()).unwrap();
    let err = client.send("{").await.unwrap_err();
    assert!(
        matches!(&err, ClientError::HttpStatus { status: 400, body: b } if b == body),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_request_timeout() {
    let server = silent_server().await;
    let timeout = Duration::from_millis(300);
    let client = HttpClient::builder(&format!("http://{}", server.addr))
        .request_timeout(timeout)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .request::<i64>("slow", EncodedParams::none())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, ClientError::Timeout(d) if d == timeout),
        "{err:?}"
    );
    assert!(elapsed >= timeout, "gave up too early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(5),
        "gave up too late: {elapsed:?}"
    );

    // The same client is still usable against a healthy server afterwards.
    let healthy = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&healthy.url())
        .request_timeout(timeout)
        .build()
        .unwrap();
    let hello: String = client
        .request("hello", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(hello, "hello");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // Bind then drop: nothing listens on the port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = HttpClient::new(&format!("http://{addr}")).unwrap();
    let err = client
        .request::<i64>("x", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_connect_that_hangs_hits_the_connect_timeout() {
    // Linux drops SYNs to a listener whose accept queue is full, so the
    // connect hangs as it would towards a black hole.
    let listener = full_listener()
        .await
        .expect("the accept queue of a backlog-1 listener fills on Linux");
    let connect_timeout = Duration::from_millis(250);
    let client = HttpClient::builder(&format!("http://{}", listener.addr))
        .connect_timeout(connect_timeout)
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .request::<i64>("x", EncodedParams::none())
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, ClientError::Timeout(d) if d == connect_timeout),
        "{err:?}"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "the request timeout did not decide: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_response_over_the_size_limit_is_refused() {
    let big = format!(
        r#"{{"jsonrpc":"2.0","result":"{}","id":1}}"#,
        "x".repeat(10_000)
    );
    let server = serve(Answer::canned(200, "application/json", &big)).await;
    let small = HttpClient::builder(&server.url())
        .max_response_size(1_000)
        .build()
        .unwrap();
    let err = small
        .request::<String>("big", EncodedParams::none())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Transport(e) if e.to_string().contains("1000")),
        "{err:?}"
    );

    let roomy = HttpClient::builder(&server.url())
        .max_response_size(20_000)
        .build()
        .unwrap();
    let text: String = roomy.request("big", EncodedParams::none()).await.unwrap();
    assert_eq!(text.len(), 10_000);
}

#[test]
fn bad_settings_are_build_errors() {
    assert!(matches!(
        HttpClient::new("not a url"),
        Err(BuildError::InvalidUrl { .. })
    ));
    assert!(matches!(
        HttpClient::new("/relative/path"),
        Err(BuildError::InvalidUrl { .. })
    ));
    assert!(matches!(
        HttpClient::new("ws://127.0.0.1:1"),
        Err(BuildError::UnsupportedScheme(s)) if s == "ws"
    ));
    assert!(matches!(
        HttpClient::builder("http://127.0.0.1:1")
            .header("bad header", "v")
            .build(),
        Err(BuildError::InvalidHeader(_))
    ));
    assert!(matches!(
        HttpClient::builder("http://127.0.0.1:1")
            .header("x-ok", "line\nbreak")
            .build(),
        Err(BuildError::InvalidHeader(_))
    ));
    assert!(matches!(
        HttpClient::builder("http://127.0.0.1:1")
            .add_root_certificate(
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"
            )
            .build(),
        Err(BuildError::Certificate(_))
    ));
}

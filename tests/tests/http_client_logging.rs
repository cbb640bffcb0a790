//! `HttpClient` wire logging: one event per request and per response under
//! the target `rpc_client::http`, credentials redacted, bodies only at trace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/http_client_servers.rs"]
mod servers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use rpc_client::{EncodedParams, HttpClient, PositionalParams};
use servers::{serve, test_router, Answer};
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything the subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs one call with a subscriber at `filter` on this thread (the test
/// runtime is single-threaded, so the client's events land here).
async fn log_one_call(filter: &str) -> String {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(capture.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .bearer_auth("top-secret-token")
        .header("x-visible", "shown")
        .build()
        .unwrap();
    let mut params = PositionalParams::new();
    params.push("minuend", &42).unwrap();
    params.push("subtrahend", &23).unwrap();
    let diff: i64 = client.request("subtract", params.finish()).await.unwrap();
    assert_eq!(diff, 19);
    client
        .notify("log", EncodedParams::from_value(&["noted"]).unwrap())
        .await
        .unwrap();
    capture.text()
}

#[tokio::test]
async fn debug_logs_endpoint_method_headers_status_and_elapsed_without_bodies() {
    let text = log_one_call("rpc_client::http=debug").await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "two requests and two responses:\n{text}");
    assert!(
        lines.iter().all(|l| l.contains("rpc_client::http")),
        "{text}"
    );

    let request = lines[0];
    assert!(request.contains("request"), "{request}");
    assert!(request.contains("127.0.0.1"), "the endpoint: {request}");
    assert!(request.contains("subtract"), "the method: {request}");
    assert!(
        request.contains("x-visible") && request.contains("shown"),
        "{request}"
    );
    assert!(request.contains("<redacted>"), "{request}");

    let response = lines[1];
    assert!(response.contains("response"), "{response}");
    assert!(response.contains("status=200"), "{response}");
    assert!(response.contains("elapsed="), "{response}");
    assert!(
        lines[3].contains("status=204"),
        "the notification's answer: {}",
        lines[3]
    );

    assert!(
        !text.contains("top-secret-token"),
        "credentials leaked:\n{text}"
    );
    assert!(
        !text.contains("minuend") && !text.contains("42,23"),
        "no bodies at debug:\n{text}"
    );
}

#[tokio::test]
async fn trace_adds_the_bodies() {
    let text = log_one_call("rpc_client::http=trace").await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "still one event each:\n{text}");
    assert!(lines[0].contains("42,23"), "the request body: {}", lines[0]);
    assert!(lines[1].contains("19"), "the response body: {}", lines[1]);
    assert!(
        !text.contains("top-secret-token"),
        "credentials leaked:\n{text}"
    );
}

#[tokio::test]
async fn nothing_is_logged_when_the_target_is_off() {
    let text = log_one_call("rpc_client::http=off").await;
    assert_eq!(text, "");
}

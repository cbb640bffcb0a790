//! `rpc` against an independent server: Python's `json-rpc` package on
//! werkzeug (`tests/interop/jsonrpc_werkzeug_server.py`), from the interop
//! virtual environment under `target/tmp/interop-venv`, made on first use
//! by the same code the `tests` crate's interop tests use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/tests/support/interop_python.rs"]
mod interop_python;
mod support;

use std::path::Path;
use std::process::Stdio;

use serde_json::Value;
use support::{assert_code, rpc, rpc_with_stdin};
use tokio::io::AsyncBufReadExt as _;

/// The Python server, killed on drop.
struct Python {
    _child: tokio::process::Child,
    url: String,
}

async fn python_server() -> Python {
    // Made (or checked) on first use; a failure panics with the reason.
    let python = tokio::task::spawn_blocking(interop_python::python)
        .await
        .unwrap();
    let script = Path::new(interop_python::INTEROP_DIR).join("jsonrpc_werkzeug_server.py");
    let mut child = tokio::process::Command::new(python)
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the Python server prints its port")
        .unwrap()
        .unwrap_or_default();
    let port = line
        .strip_prefix("PORT ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Python {
        url: format!("http://127.0.0.1:{port}/"),
        _child: child,
    }
}

#[tokio::test]
async fn calls_notifications_batches_and_errors() {
    let server = python_server().await;
    let url = server.url.as_str();
    // No rpc.discover (-32601): args as given.
    let run = rpc(&["call", url, "subtract", "42", "23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    let run = rpc(&["call", url, "subtract", "minuend:=42", "subtrahend:=23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    let run = rpc(&["--output", "raw", "call", url, "echo", "hello"]).await;
    assert_eq!(run.stdout, "hello\n");
    let run = rpc(&["--output", "json", "call", url, "fail"]).await;
    assert_code(&run, 1);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], 4001);
    assert_eq!(error["message"], "vault is locked");
    let run = rpc(&["notify", url, "notify_hello", "7"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    let run = rpc_with_stdin(
        &["--output", "json", "batch", url, "-"],
        "subtract 5 3\nsum 1 2 3\n",
    )
    .await;
    assert_code(&run, 0);
    let answers: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut results: Vec<i64> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_i64().unwrap())
        .collect();
    results.sort_unstable();
    assert_eq!(results, [2, 6]);
    let run = rpc(&[
        "send",
        url,
        r#"{"jsonrpc":"2.0","method":"get_data","id":7}"#,
    ])
    .await;
    assert_code(&run, 0);
    let answer: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["result"], serde_json::json!(["hello", 5]));
}

#[tokio::test]
async fn jsonrpc_1_0() {
    let server = python_server().await;
    let run = rpc(&[
        "-v",
        "--jsonrpc1",
        "call",
        &server.url,
        "subtract",
        "42",
        "23",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    assert!(
        run.stderr
            .contains(r#"> {"method":"subtract","params":[42,23],"id":2}"#),
        "{}",
        run.stderr
    );
    let answer = run.stderr.lines().rfind(|l| l.starts_with("< ")).unwrap();
    assert!(!answer.contains("\"jsonrpc\""), "a 1.0 answer: {answer}");
    let run = rpc(&["--jsonrpc1", "call", &server.url, "fail"]).await;
    assert_code(&run, 1);
}

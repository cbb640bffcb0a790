//! `rpc notify`, `batch`, `send`, `discover`, `methods`, `subscribe`,
//! `completions`, `man` and `--help`, against our server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{assert_code, rpc, rpc_with_stdin, Servers};
use tokio::io::{AsyncBufReadExt as _, BufReader};

#[tokio::test]
async fn notify_sends_and_prints_nothing() {
    let servers = Servers::start().await;
    let url = servers.http();
    let run = rpc(&["-v", "notify", &url, "log", "hello"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains(r#"> {"jsonrpc":"2.0","method":"log","params":["hello"]}"#),
        "{}",
        run.stderr
    );
    let run = rpc(&["notify", &servers.ws(), "log", "line=again"]).await;
    assert_code(&run, 0);
    let run = rpc(&["--output", "json", "call", &url, "logged"]).await;
    assert_eq!(run.stdout, "[\"hello\",\"again\"]\n");
}

#[tokio::test]
async fn batch_of_lines_from_stdin() {
    let servers = Servers::start().await;
    let input = "# the call syntax, one per line\nsubtract 42 23\n\necho 'hello world'\nsubtract minuend=10 subtrahend:=4\n";
    let run = rpc_with_stdin(&["--output", "json", "batch", &servers.http(), "-"], input).await;
    assert_code(&run, 0);
    let answers: Value = serde_json::from_str(&run.stdout).unwrap();
    let results: Vec<&Value> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["result"])
        .collect();
    assert_eq!(
        results,
        [&json!(19), &json!("hello world"), &json!(6)],
        "{}",
        run.stdout
    );
}

#[tokio::test]
async fn batch_of_a_json_array_from_a_file_and_its_errors() {
    let servers = Servers::start().await;
    let path = support::unique_path("json");
    std::fs::write(
        &path,
        r#"[{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":"a"},
            {"jsonrpc":"2.0","method":"log","params":["from a batch"]},
            {"jsonrpc":"2.0","method":"nope","id":"b"}]"#,
    )
    .unwrap();
    let run = rpc(&[
        "--output",
        "json",
        "batch",
        &servers.ws(),
        path.to_str().unwrap(),
    ])
    .await;
    let _ = std::fs::remove_file(&path);
    assert_code(&run, 1);
    let answers: Value = serde_json::from_str(&run.stdout).unwrap();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2, "{}", run.stdout);
    assert!(answers.iter().any(|a| a["id"] == "a" && a["result"] == 2));
    assert!(answers
        .iter()
        .any(|a| a["id"] == "b" && a["error"]["code"] == -32601));
    assert!(
        run.stderr.contains("1 of the batch's responses are errors"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn batch_lines_are_checked_against_the_schema() {
    let servers = Servers::start().await;
    let run = rpc_with_stdin(
        &["batch", &servers.http(), "-"],
        "subtract 1 2\nsubtract bogus=1\n",
    )
    .await;
    assert_code(&run, 2);
    assert_eq!(run.stdout, "");
}

#[tokio::test]
async fn send_prints_the_answer_as_received() {
    let servers = Servers::start().await;
    let message = r#"{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":"x"}"#;
    for url in [servers.http(), servers.ws(), servers.tcp(), servers.zmq()] {
        let run = rpc(&["send", &url, message]).await;
        assert_code(&run, 0);
        assert_eq!(
            run.stdout, "{\"jsonrpc\":\"2.0\",\"result\":2,\"id\":\"x\"}\n",
            "{url}"
        );
    }
    let run = rpc(&["send", &servers.http(), "this is not json"]).await;
    assert_code(&run, 0);
    let answer: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(answer["error"]["code"], -32700);
    let run = rpc(&[
        "send",
        &servers.http(),
        r#"{"jsonrpc":"2.0","method":"log","params":["x"]}"#,
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "");
}

#[tokio::test]
async fn discover_prints_the_document_pretty() {
    let servers = Servers::start().await;
    let run = rpc(&["discover", &servers.http()]).await;
    assert_code(&run, 0);
    assert!(run.stdout.starts_with("{\n  \""), "{}", run.stdout);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"subtract") && names.contains(&"subscribe_count"),
        "{names:?}"
    );
}

#[tokio::test]
async fn methods_lists_and_describes() {
    let servers = Servers::start().await;
    let url = servers.http();
    let run = rpc(&["methods", &url]).await;
    assert_code(&run, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let subtract = lines
        .iter()
        .find(|l| l.contains("subtract"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        subtract.contains("minuend") && subtract.contains("integer"),
        "{subtract}"
    );
    assert!(lines.iter().any(|l| l.contains("echo")), "{}", run.stdout);
    let run = rpc(&["methods", &url, "subtract"]).await;
    assert_code(&run, 0);
    assert!(run.stdout.contains("subtrahend"), "{}", run.stdout);
    assert!(run.stdout.contains("1000"), "its errors: {}", run.stdout);
    let run = rpc(&["methods", &url, "no_such_method"]).await;
    assert_code(&run, 2);
    assert!(run.stderr.contains("no_such_method"), "{}", run.stderr);
}

/// Runs `rpc subscribe`, reads `n` lines, sends SIGTERM, and returns the
/// lines and the exit code.
async fn subscribe_then_stop(args: &[&str], n: usize) -> (Vec<String>, i32) {
    let mut child = tokio::process::Command::new(support::rpc_path())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut got = Vec::new();
    while got.len() < n {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        match line {
            Ok(Ok(Some(line))) => got.push(line),
            other => {
                let out = child.wait_with_output().await.unwrap();
                panic!(
                    "no item ({other:?}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    (got, status.code().unwrap_or(-1))
}

/// Waits until the server saw the subscription end.
async fn ended(servers: &Servers, want: u32) {
    for _ in 0..100 {
        if *servers.calc.ended.lock().unwrap() >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server's subscription did not end");
}

#[tokio::test]
async fn subscribe_prints_items_and_unsubscribes_on_sigterm() {
    let servers = Servers::start().await;
    let mut stopped = 0;
    for url in [servers.ws(), servers.tcp(), servers.unix()] {
        // The notification and unsubscribe methods come from rpc.discover.
        let (lines, code) = subscribe_then_stop(
            &[
                "subscribe",
                &url,
                "subscribe_count",
                "start=5",
                "every_ms=20",
            ],
            3,
        )
        .await;
        assert_eq!(lines, ["5", "6", "7"], "{url}");
        assert_eq!(code, 0, "{url}");
        stopped += 1;
        ended(&servers, stopped).await;
    }
}

#[tokio::test]
async fn subscribe_on_http_or_zmq_is_a_clear_error() {
    let servers = Servers::start().await;
    for url in [servers.http(), servers.zmq()] {
        let run = rpc(&["subscribe", &url, "subscribe_count", "1", "10"]).await;
        assert_code(&run, 2);
        assert!(run.stderr.contains("push"), "{}", run.stderr);
    }
}

#[tokio::test]
async fn completions_and_man_page() {
    let bash = rpc(&["completions", "bash"]).await;
    assert_code(&bash, 0);
    assert!(
        bash.stdout.contains("_rpc()") && bash.stdout.contains("subscribe"),
        "{}",
        bash.stdout
    );
    let zsh = rpc(&["completions", "zsh"]).await;
    assert_code(&zsh, 0);
    assert!(zsh.stdout.starts_with("#compdef rpc"), "{}", zsh.stdout);
    let fish = rpc(&["completions", "fish"]).await;
    assert_code(&fish, 0);
    assert!(fish.stdout.contains("complete -c rpc"), "{}", fish.stdout);
    assert_code(&rpc(&["completions", "powershell"]).await, 2);
    let man = rpc(&["man"]).await;
    assert_code(&man, 0);
    assert!(man.stdout.contains(".TH rpc"), "{}", man.stdout);
    assert!(man.stdout.contains("Exit codes"), "{}", man.stdout);
}

#[tokio::test]
async fn help_documents_the_exit_codes() {
    let help = rpc(&["--help"]).await;
    assert_code(&help, 0);
    for line in [
        "0  success",
        "1  the server answered with a JSON-RPC error",
        "2  invalid arguments",
        "3  transport failure",
        "4  timeout",
        "5  invalid response",
    ] {
        assert!(help.stdout.contains(line), "{line}: {}", help.stdout);
    }
    let short = rpc(&["-h"]).await;
    assert!(short.stdout.contains("Exit codes"), "{}", short.stdout);
    assert_code(&rpc(&["--version"]).await, 0);
}

#[tokio::test]
async fn a_closed_pipe_ends_a_subscription_cleanly() {
    let servers = Servers::start().await;
    let mut child = tokio::process::Command::new(support::rpc_path())
        .args(["subscribe", &servers.ws(), "subscribe_count", "1", "10"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    assert_eq!(first.unwrap().unwrap().as_deref(), Some("1"));
    // `rpc subscribe … | head -1`: the reader goes away.
    drop(lines);
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no panic, no message"
    );
    ended(&servers, 1).await;
}

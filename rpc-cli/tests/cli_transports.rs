//! `rpc call` (and batch, subscribe) over every transport: WebSocket,
//! TCP (both framings), Unix, ZeroMQ REQ, and a server spawned on stdio;
//! and a server without `rpc.discover`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::Value;
use support::{assert_code, no_discover, rpc, rpc_with_stdin, Servers};

#[tokio::test]
async fn call_on_every_transport() {
    let servers = Servers::start().await;
    for url in [
        servers.http(),
        servers.ws(),
        servers.tcp(),
        servers.tcp_content_length(),
        servers.unix(),
        servers.zmq(),
    ] {
        let run = rpc(&["call", &url, "subtract", "42", "23"]).await;
        assert_code(&run, 0);
        assert_eq!(run.stdout, "19\n", "{url}");
        // Converted by the schema on each.
        let run = rpc(&["call", &url, "subtract", "minuend=42", "subtrahend=23"]).await;
        assert_code(&run, 0);
        assert_eq!(run.stdout, "19\n", "{url}");
        let run = rpc(&["call", &url, "nope_not_there", "--raw"]).await;
        assert_code(&run, 1);
    }
}

#[tokio::test]
async fn batch_over_zmq_and_tcp() {
    let servers = Servers::start().await;
    for url in [servers.zmq(), servers.tcp()] {
        let run = rpc_with_stdin(
            &["--output", "json", "batch", &url, "-"],
            "subtract 9 1\necho hi\n",
        )
        .await;
        assert_code(&run, 0);
        let answers: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(answers[0]["result"], 8, "{url}: {}", run.stdout);
        assert_eq!(answers[1]["result"], "hi", "{url}: {}", run.stdout);
    }
}

#[tokio::test]
async fn stdio_spawns_the_server() {
    let server = support::spec_server();
    let url = format!("stdio:'{}' --stdio", server.display());
    let run = rpc(&["call", &url, "subtract", "42", "23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    assert_eq!(run.stderr, "", "the server's own log is hidden without -v");
    let run = rpc(&["--output", "json", "call", &url, "get_data"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "[\"hello\",5]\n");
    let url = format!(
        "stdio:'{}' --stdio --framing content-length?framing=content-length",
        server.display()
    );
    let run = rpc(&["call", &url, "subtract", "minuend=5", "subtrahend=1"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "4\n");
}

#[tokio::test]
async fn stdio_subscribe_with_explicit_names() {
    let server = support::spec_server();
    let url = format!("stdio:{} --stdio", server.display());
    let mut child = tokio::process::Command::new(support::rpc_path())
        .args([
            "subscribe",
            &url,
            "subscribe_count",
            "1",
            "10",
            "--notification",
            "count",
            "--unsubscribe",
            "unsubscribe_count",
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt as _;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    for want in ["1", "2", "3"] {
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(line.as_deref(), Some(want));
    }
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0), "Ctrl-C unsubscribes and exits 0");
}

#[tokio::test]
async fn without_rpc_discover_args_go_as_given() {
    let (_server, url) = no_discover().await;
    let run = rpc(&["-v", "call", &url, "subtract", "42", "23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    assert!(
        run.stderr.contains("-32601"),
        "asked rpc.discover first: {}",
        run.stderr
    );
    let run = rpc(&["--output", "json", "call", &url, "echo", "a=1", "b:=2"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "{\"a\":\"1\",\"b\":2}\n");
    // Unchecked: strings go as strings, the server refuses them.
    let run = rpc(&["call", &url, "subtract", "minuend=42", "subtrahend=23"]).await;
    assert_code(&run, 1);
}

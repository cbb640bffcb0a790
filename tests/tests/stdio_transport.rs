//! The stdio transport: a child process serving on its stdin and stdout
//! (`src/bin/stdio_server.rs`), driven raw with the specification's
//! examples, and through `StreamClient::spawn` with calls both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use rpc_client::stream::{Framing, StreamClient};
use rpc_client::EncodedParams;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::Router;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::Command;

const WAIT: Duration = Duration::from_secs(10);
const PROBE: &str = r#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}"#;

fn server(framing: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stdio_server"));
    command
        .arg(framing)
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn every_specification_example_passes_over_a_child_s_stdio() {
    let mut child = server("newline")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    for vector in tests::spec_vectors() {
        let request = vector.request.replace(['\n', '\r'], " ");
        stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
        if vector.response.is_none() {
            stdin
                .write_all(format!("{PROBE}\n").as_bytes())
                .await
                .unwrap();
        }
        let mut line = String::new();
        tokio::time::timeout(WAIT, stdout.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
        if vector.response.is_none() {
            assert!(
                line.contains(r#""id":"probe""#),
                "{}: got {line}",
                vector.name
            );
        } else {
            tests::check_vector(&vector, Some(line.trim_end()));
        }
    }
    // Its stdin ends: it answers what it read, then exits.
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"transport\",\"id\":9}\n")
        .await
        .unwrap();
    drop(stdin);
    let mut rest = String::new();
    tokio::time::timeout(
        WAIT,
        tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut rest),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        rest,
        "{\"jsonrpc\":\"2.0\",\"result\":\"stdio\",\"id\":9}\n"
    );
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_spawned_child_is_called_and_calls_back_with_content_length() {
    let mut mine = Router::new();
    mine.register_sync_args("ask", &["question"], |(question,): (String,), _| {
        Ok::<_, ErrorObjectOwned>(format!("you asked {question:?}"))
    })
    .unwrap();
    let client = StreamClient::builder(Framing::ContentLength)
        .request_timeout(WAIT)
        .serve(mine)
        .spawn(server("content-length"))
        .unwrap();
    assert!(client.child_id().is_some());
    let diff: i64 = client
        .request("subtract", EncodedParams::from_value(&[42, 23]).unwrap())
        .await
        .unwrap();
    assert_eq!(diff, 19);
    let transport: String = client
        .request("transport", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(transport, "stdio");
    let answer: String = client
        .request("relay", EncodedParams::from_value(&["why"]).unwrap())
        .await
        .unwrap();
    assert_eq!(answer, r#"you asked "why""#);
    client
        .notify("update", EncodedParams::from_value(&[1, 2]).unwrap())
        .await
        .unwrap();
    let status = tokio::time::timeout(WAIT, client.wait_child())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

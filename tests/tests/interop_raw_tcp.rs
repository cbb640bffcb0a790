//! Raw TCP interop: a Python client using nothing but the standard
//! library's `socket` module (`tests/interop/raw_tcp_spec.py`) sends every
//! example of the specification to our `StreamServer`, framed with newlines
//! and with `Content-Length` headers: each split in two at every byte
//! boundary, each in one packet with a probe call behind it, and all of them
//! in one packet. Every answer is checked here against the examples.
//!
//! The script runs on `python3` from `PATH` (or the interpreter
//! `RPC_INTEROP_PYTHON` names); it needs no packages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use rpc_runtime::stream::{Framing, StreamConfig, StreamServer};
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/raw_tcp_spec.py");
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/jsonrpc2-examples.json");
/// About 3,000 exchanges, a millisecond's pause in each split.
const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

fn python() -> std::ffi::OsString {
    std::env::var_os("RPC_INTEROP_PYTHON").unwrap_or_else(|| "python3".into())
}

/// What the script printed: its records, and its closing count.
struct Run {
    records: Vec<Value>,
    passed: usize,
}

async fn run_script(port: u16, framing: Framing) -> Run {
    let mut command = tokio::process::Command::new(python());
    command
        .arg(SCRIPT)
        .args([
            "127.0.0.1",
            &port.to_string(),
            &framing.to_string(),
            VECTORS,
        ])
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command.spawn().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?} ({e}): this test drives our TCP server with a Python client; \
             install Python 3 (e.g. `apt-get install python3`) or set RPC_INTEROP_PYTHON",
            python()
        )
    });
    let output = tokio::time::timeout(SCRIPT_LIMIT, child.wait_with_output())
        .await
        .expect("the script finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "raw_tcp_spec.py {framing}: {}\n--- stdout (tail) ---\n{}\n--- stderr ---\n{stderr}",
        output.status,
        stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    let mut lines: Vec<&str> = stdout.lines().collect();
    let last = lines.pop().unwrap_or_default();
    let passed = last
        .strip_suffix(" passed, 0 failed")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no closing count: {last:?}"));
    let records = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    Run { records, passed }
}

/// A message as the script frames it, to know how many cuts it has.
fn framed_len(framing: Framing, request: &str) -> usize {
    match framing {
        Framing::Newline => request.len() + 1,
        _ => format!("Content-Length: {}\r\n\r\n", request.len()).len() + request.len(),
    }
}

/// An answer as the examples' rules compare it: by result and id, or by
/// error code and id; a batch as the sorted list of its members.
fn comparable(answer: &Value) -> String {
    match answer {
        Value::Array(members) => {
            let mut members: Vec<String> = members.iter().map(comparable).collect();
            members.sort();
            format!("[{}]", members.join(", "))
        }
        _ if answer.get("error").is_some() => {
            format!("error {} id {}", answer["error"]["code"], answer["id"])
        }
        _ => format!("result {} id {}", answer["result"], answer["id"]),
    }
}

fn answers(record: &Value) -> Vec<String> {
    record["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|text| text.as_str().unwrap().to_owned())
        .collect()
}

/// Checks one example's answers: none when none is due, else exactly one
/// that matches.
fn check(vector: &tests::Vector, got: &[String], what: &str) {
    match &vector.response {
        None => assert!(got.is_empty(), "{what}: expected nothing, got {got:?}"),
        Some(_) => {
            assert_eq!(got.len(), 1, "{what}: expected one answer, got {got:?}");
            tests::check_vector(vector, Some(&got[0]));
        }
    }
}

async fn every_example_over_raw_tcp(framing: Framing) {
    let handle = StreamServer::new(tests::spec_router(), StreamConfig::new(framing))
        .bind_tcp("127.0.0.1:0")
        .await
        .unwrap();
    let run = run_script(handle.local_addr().unwrap().port(), framing).await;
    let vectors: BTreeMap<String, tests::Vector> = tests::spec_vectors()
        .into_iter()
        .map(|vector| (vector.name.clone(), vector))
        .collect();
    assert!(vectors.len() >= 15, "the specification has 15 examples");

    let mut cuts: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut packets = Vec::new();
    let mut all = None;
    for record in &run.records {
        let got = answers(record);
        match record["mode"].as_str().unwrap() {
            "split" => {
                let name = record["name"].as_str().unwrap();
                let cut = record["cut"].as_u64().unwrap();
                check(
                    &vectors[name],
                    &got,
                    &format!("{framing} {name:?} cut at {cut}"),
                );
                cuts.entry(name).or_default().push(cut);
            }
            "packet" => {
                let name = record["name"].as_str().unwrap();
                check(
                    &vectors[name],
                    &got,
                    &format!("{framing} {name:?} in one packet"),
                );
                packets.push(name);
            }
            "all" => all = Some(got),
            other => panic!("unknown record {other}"),
        }
    }
    // Every example, cut at every byte boundary of its framed bytes.
    assert_eq!(cuts.len(), vectors.len(), "{framing}: {cuts:?}");
    for (name, vector) in &vectors {
        let every: Vec<u64> = (1..framed_len(framing, &vector.request) as u64).collect();
        assert_eq!(cuts[name.as_str()], every, "{framing} {name:?}");
    }
    assert_eq!(packets.len(), vectors.len(), "{framing}");
    // All at once: the same answers, in whatever order they were sent.
    let mut want: Vec<String> = vectors
        .values()
        .filter_map(|vector| vector.response.as_ref().map(comparable))
        .collect();
    let mut got: Vec<String> = all
        .expect("the all-in-one-packet record")
        .iter()
        .map(|text| comparable(&serde_json::from_str(text).unwrap()))
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{framing}: every example in one packet");
    assert_eq!(run.passed, run.records.len());
    eprintln!("{framing}: {} exchanges checked", run.passed);
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_raw_sockets_send_every_example_with_newlines() {
    every_example_over_raw_tcp(Framing::Newline).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_raw_sockets_send_every_example_with_content_length() {
    every_example_over_raw_tcp(Framing::ContentLength).await;
}

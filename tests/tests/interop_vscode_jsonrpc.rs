//! Interop with vscode-jsonrpc (the npm package VS Code's language client
//! is built on, pinned in `tests/interop/node/package-lock.json`) over stdio
//! with `Content-Length` framing, both ways:
//!
//! - its client (`tests/interop/node/vscode_client.js`) spawns our stdio
//!   server (`src/bin/stdio_server.rs`) and sends the specification's calls
//!   and notifications, many at once, and answers the calls our server makes
//!   back to it;
//! - our `StreamClient` spawns its server (`vscode_server.js`) and calls it
//!   through typed `#[rpc]` clients, and answers its calls back through our
//!   client's router.
//!
//! The packages are installed with `npm ci` under the target directory on
//! first use (see `support/interop_node.rs`); Node.js and npm must be on
//! `PATH`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/interop_node.rs"]
mod node;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rpc_client::stream::{Framing, StreamClient};
use rpc_client::ClientError;
use rpc_runtime::rpc;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vscode_jsonrpc_s_client_calls_our_stdio_server_and_answers_its_calls_back() {
    let mut command = node::node_command("vscode_client.js");
    command
        .args([env!("CARGO_BIN_EXE_stdio_server"), "content-length"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(WAIT, command.spawn().unwrap().wait_with_output())
        .await
        .expect("vscode_client.js finished in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = format!(
        "{}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "vscode_client.js: {report}");
    let cases: BTreeMap<String, Value> = stdout
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{report}"));
            (record["case"].as_str().unwrap().to_owned(), record)
        })
        .collect();
    let case = |name: &str| -> &Value {
        let record = cases
            .get(name)
            .unwrap_or_else(|| panic!("no case {name:?}: {report}"));
        assert!(record.get("failure").is_none(), "{name}: {record}");
        record
    };
    let result = |name: &str| case(name)["result"].clone();
    let code = |name: &str| case(name)["error"]["code"].clone();

    assert_eq!(result("subtract positional"), 19);
    assert_eq!(result("subtract positional reversed"), -19);
    assert_eq!(result("subtract named"), 19);
    assert_eq!(result("sum"), 7);
    assert_eq!(result("get_data"), json!(["hello", 5]));
    // Notifications: sent, and nothing came back that vscode-jsonrpc
    // could not place (it would have logged to stdout, which is checked
    // line by line above).
    assert_eq!(case("update notification").get("error"), None);
    assert_eq!(case("unknown notification").get("error"), None);
    assert_eq!(code("unknown method"), -32601);
    assert_eq!(code("invalid params"), -32602);
    assert_eq!(code("missing params"), -32602);
    assert_eq!(result("transport"), "stdio");
    // Our server called vscode-jsonrpc's `ask`, and relayed its answer.
    assert_eq!(result("relay"), r#"vscode-jsonrpc heard "why""#);
    let many = result("many in flight");
    let many = many.as_array().unwrap();
    assert_eq!(many.len(), 100);
    for (i, answer) in many.iter().enumerate() {
        if i % 10 == 0 {
            assert_eq!(answer, &json!(format!("vscode-jsonrpc heard \"q{i}\"")));
        } else {
            assert_eq!(answer, &json!(i as i64 - 1));
        }
    }
    let exit = case("exit");
    assert_eq!(exit["code"], 0, "our server exits 0 when its stdin ends");
    let mut asked: Vec<String> = serde_json::from_value(exit["asked"].clone()).unwrap();
    asked.sort();
    let mut want: Vec<String> = (0..100).step_by(10).map(|i| format!("q{i}")).collect();
    want.push("why".to_owned());
    want.sort();
    assert_eq!(asked, want);
    assert_eq!(cases.len(), 14, "{report}");
}

/// What vscode_server.js serves, called with positional params.
#[rpc(client_only)]
pub trait VscodeServer {
    /// `minuend - subtrahend`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> i64;
    /// The sum of the numbers.
    fn sum(&self, #[param(variadic)] numbers: Vec<i64>) -> i64;
    /// Twice `x`; `-32602` unless `x` is a number.
    fn double(&self, x: Value) -> i64;
    /// Asks our client's `ask`, and returns what it said.
    async fn ask_back(&self, question: String) -> String;
    /// A notification vscode_server.js records.
    #[notification]
    fn update(&self, #[param(variadic)] numbers: Vec<i64>);
    /// The notifications it received so far.
    fn notified(&self) -> Value;
}

/// The same `subtract`, with named params.
#[rpc(client_only, client_params = "named")]
pub trait VscodeServerNamed {
    /// `minuend - subtrahend`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> i64;
}

/// What our client serves to vscode_server.js.
#[rpc(server_only)]
pub trait Asked {
    /// Answers a question.
    fn ask(&self, question: String) -> String;
}

struct Answers(Arc<Mutex<Vec<String>>>);

impl Asked for Answers {
    fn ask(&self, question: String) -> String {
        self.0.lock().unwrap().push(question.clone());
        format!("our client heard {question:?}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_spawns_a_vscode_jsonrpc_server_and_answers_its_calls_back() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let mut command = node::node_command("vscode_server.js");
    command.stderr(Stdio::inherit());
    let client = StreamClient::builder(Framing::ContentLength)
        .request_timeout(WAIT)
        .serve(Answers(asked.clone()).into_router())
        .spawn(command)
        .unwrap();
    let api = VscodeServerClient::new(client.clone());
    let named = VscodeServerNamedClient::new(client.clone());

    assert_eq!(api.subtract(42, 23).await.unwrap(), 19);
    assert_eq!(api.subtract(23, 42).await.unwrap(), -19);
    assert_eq!(named.subtract(42, 23).await.unwrap(), 19);
    assert_eq!(api.sum(vec![1, 2, 4]).await.unwrap(), 7);
    assert_eq!(api.double(json!(21)).await.unwrap(), 42);
    match api.double(json!("twenty-one")).await {
        Err(ClientError::Rpc(error)) => {
            assert_eq!(error.code, -32602);
            assert_eq!(error.message, "x must be a number");
        }
        other => panic!("expected -32602, got {other:?}"),
    }
    // A method it does not have.
    match client
        .request::<Value>("foobar", rpc_client::EncodedParams::none())
        .await
    {
        Err(ClientError::Rpc(error)) => assert_eq!(error.code, -32601),
        other => panic!("expected -32601, got {other:?}"),
    }
    api.update(vec![1, 2, 3, 4, 5]).await.unwrap();
    api.update(vec![6]).await.unwrap();
    assert_eq!(
        api.notified().await.unwrap(),
        json!([["update", [1, 2, 3, 4, 5]], ["update", [6]]])
    );
    // It calls us back from within its handler; many at once.
    assert_eq!(
        api.ask_back("why".to_owned()).await.unwrap(),
        r#"the client said: our client heard "why""#
    );
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                if i % 5 == 0 {
                    json!(api.ask_back(format!("q{i}")).await.unwrap())
                } else {
                    json!(api.subtract(i, 1).await.unwrap())
                }
            })
        })
        .collect();
    for (i, call) in calls.into_iter().enumerate() {
        let answer = tokio::time::timeout(WAIT, call).await.unwrap().unwrap();
        if i % 5 == 0 {
            assert_eq!(
                answer,
                json!(format!("the client said: our client heard \"q{i}\""))
            );
        } else {
            assert_eq!(answer, json!(i as i64 - 1));
        }
    }
    let mut heard = asked.lock().unwrap().clone();
    heard.sort();
    let mut want: Vec<String> = (0..50).step_by(5).map(|i| format!("q{i}")).collect();
    want.push("why".to_owned());
    want.sort();
    assert_eq!(heard, want);
    // Ending our side ends it.
    let status = tokio::time::timeout(WAIT, client.wait_child())
        .await
        .expect("the node server exits once its stdin ends")
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

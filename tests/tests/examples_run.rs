//! The runnable examples, run as a user runs them (`cargo run -p examples
//! --example NAME`), with their output checked: `vault_door` and `chat` must
//! exit 0 and print what they claim; `middleware` must refuse a call over
//! each transport and print its own Prometheus metrics; `spec_server` must announce its
//! address, answer every example of the specification over HTTP and a call
//! over WebSocket on that port, push its subscriptions, and stop gracefully
//! on SIGTERM; `ticker` must print ticks in order, unsubscribe, and show the
//! refusals; `lsp_like` must spawn itself as a stdio server, call it, be
//! called back, and see it exit (and `spec_server --zmq` serve the same
//! router over ZeroMQ); `zmq` must serve its API on ROUTER, run
//! DEALER calls at once and REQ calls in turn, and stop gracefully;
//! `tls_server` must serve HTTPS (HTTP/2) and WSS with client certificates,
//! reload its certificate with the WebSocket open, and refuse a client
//! without a certificate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/examples.rs"]
mod examples;
mod http_server_support;

use std::net::SocketAddr;
use std::process::{Output, Stdio};
use std::time::Duration;

use examples::{build_examples, cargo, run};
use http::StatusCode;
use http_server_support::H1;
use rpc_client::{Caller, EncodedParams, WsClient};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long an example may take once built.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs an example to its end; returns its stdout, having checked it
/// exited 0.
async fn run_to_end(example: &str) -> String {
    build_examples().await;
    let child = run(example, &[]);
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{example} did not finish within {RUN_TIMEOUT:?}"))
        .unwrap();
    let stdout = String::from_utf8(stdout).unwrap();
    let stderr = String::from_utf8_lossy(&stderr);
    assert!(
        status.success(),
        "{example} exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    stdout
}

fn assert_prints(example: &str, stdout: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            stdout.lines().any(|l| l.trim() == *line),
            "{example} did not print {line:?}; it printed:\n{stdout}"
        );
    }
}

/// The quickstart prints each message as it goes on the wire, before what
/// the caller does next: a notification's line comes before "sent", over
/// HTTP and over WebSocket (whose notify returns once the frame is written).
#[tokio::test]
async fn quickstart_prints_each_notification_before_saying_it_was_sent() {
    let stdout = run_to_end("quickstart").await;
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let sections = ["over HTTP", "over WebSocket"];
    for section in sections {
        let start = lines
            .iter()
            .position(|l| l.starts_with(section))
            .unwrap_or_else(|| panic!("no {section:?} section:\n{stdout}"));
        let rest = &lines[start..];
        let wire = rest
            .iter()
            .position(|l| l.starts_with("-->") && l.contains("hello from a notification"))
            .unwrap_or_else(|| panic!("{section}: the notification was not printed:\n{stdout}"));
        let sent = rest
            .iter()
            .position(|l| *l == "log(..) sent, no reply expected")
            .unwrap_or_else(|| panic!("{section}: no \"sent\" line:\n{stdout}"));
        assert!(
            wire < sent,
            "{section}: \"sent\" was printed before the notification went out:\n{stdout}"
        );
    }
}

/// `lsp_like` spawns itself as a stdio server and calls both ways: the
/// server's question to the editor comes while the command that asked it
/// is still running, and the child exits when its stdin ends.
#[tokio::test]
async fn lsp_like_spawns_its_server_over_stdio_and_is_called_back() {
    let stdout = run_to_end("lsp_like").await;
    let uri = "file:///project/main.rs";
    let expected = [
        "initialize: lsp_like over stdio, hover: true".to_owned(),
        format!("didOpen: sent {uri}"),
        "hover at 2:5: `println` (line 2)".to_owned(),
        format!(
            "<- the server asks (type 3): Format {uri}? Its tabs become spaces. [\"Format\", \"Cancel\"]"
        ),
        "-> the editor picks \"Format\"".to_owned(),
        format!("executeCommand format: {uri} formatted: 1 tabs replaced"),
        "the server exited: exit status: 0".to_owned(),
    ];
    let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
    let mut at = 0;
    for line in &expected {
        let found = lines[at..]
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("lsp_like did not print {line:?} in order:\n{stdout}"));
        at += found + 1;
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("executeCommand explode: refused: ")),
        "an unknown command must be refused:\n{stdout}"
    );
}

#[tokio::test]
async fn tls_server_serves_https_and_wss_reloads_and_refuses_a_client_without_certificate() {
    let stdout = run_to_end("tls_server").await;
    assert_prints(
        "tls_server",
        &stdout,
        &[
            "https: ada over http (h2)",
            "wss: ada over ws (no ALPN)",
            "after reload, https: ada over http (h2)",
            "after reload, the open wss: ada over ws (no ALPN)",
            "without a client certificate: refused = true",
        ],
    );
}

#[tokio::test]
async fn ticker_streams_typed_ticks_then_unsubscribes() {
    let stdout = run_to_end("ticker").await;
    let ticks: Vec<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("ACME "))
        .collect();
    assert_eq!(
        ticks,
        [
            "ACME 100.05 (tick 1)",
            "ACME 100.10 (tick 2)",
            "ACME 100.03 (tick 3)",
            "ACME 100.08 (tick 4)",
            "ACME 100.13 (tick 5)"
        ],
        "{stdout}"
    );
    for line in [
        "unsubscribed: true",
        "NOPE refused: 4004 no prices for NOPE",
        "over HTTP: -32006 Subscriptions need a WebSocket",
    ] {
        assert!(stdout.contains(line), "missing {line:?}:\n{stdout}");
    }
}

#[tokio::test]
async fn vault_door_opens_only_on_the_connection_that_logged_in() {
    let stdout = run_to_end("vault_door").await;
    let steps: Vec<&str> = stdout.lines().filter(|line| line.ends_with(']')).collect();
    assert_eq!(steps.len(), 6, "six steps, got:\n{stdout}");
    assert!(
        steps.iter().all(|line| line.ends_with("[as expected]")),
        "{stdout}"
    );
    let outcome = |who: &str, call: &str| {
        steps
            .iter()
            .filter(|line| {
                let mut words = line.split_whitespace();
                words.next() == Some(who) && words.next() == Some(call)
            })
            .map(|line| line.split(" -> ").nth(1).unwrap_or(""))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        outcome("first", "open_vault_door()"),
        [
            "Err(NotLoggedIn: log in first)  [as expected]",
            "Err(NotLoggedIn: log in first)  [as expected]",
            "Ok(\"the vault door opens for ada\")  [as expected]",
        ]
    );
    assert_eq!(
        outcome("second", "open_vault_door()"),
        ["Err(NotLoggedIn: log in first)  [as expected]"]
    );
    assert_prints(
        "vault_door",
        &stdout,
        &[
            "server stopped: Graceful",
            "state is per connection: the door opened only where ada logged in",
        ],
    );
}

#[tokio::test]
async fn chat_delivers_to_every_other_member_and_forgets_the_one_who_left() {
    let stdout = run_to_end("chat").await;
    assert_prints(
        "chat",
        &stdout,
        &[
            r#"members: ["ada", "bob", "carol"]"#,
            r#"ada says "hello, everyone": sent to 2"#,
            r#"bob says "hi ada": sent to 2"#,
            r#"ada received from bob: "hi ada""#,
            r#"bob received from ada: "hello, everyone""#,
            r#"carol received from ada: "hello, everyone""#,
            r#"carol received from bob: "hi ada""#,
            "[server] carol left (closed by the peer (code 1000))",
            r#"members: ["ada", "bob"]"#,
            r#"ada says "carol left": sent to 1"#,
            r#"bob received from ada: "carol left""#,
            "every message reached every other member, and the room forgot carol",
        ],
    );
    // Nobody hears their own words, and carol hears nothing once gone.
    for line in stdout.lines().map(str::trim) {
        if let Some((who, from)) = line
            .split_once(" received from ")
            .map(|(who, rest)| (who, rest.split(':').next().unwrap_or("")))
        {
            assert_ne!(who, from, "{line}");
            assert!(
                !(who == "carol" && line.ends_with("\"carol left\"")),
                "{line}"
            );
        }
    }
}

#[tokio::test]
async fn middleware_logs_counts_limits_and_serves_its_metrics() {
    let stdout = run_to_end("middleware").await;
    assert_prints(
        "middleware",
        &stdout,
        &[
            r#"price("bread") = 320"#,
            r#"batch [items(), price("apple")] = [["apple", "bread", "cheese"], 50]"#,
            "ok   a call counter per method",
            "ok   the duration histogram's buckets",
            "all metrics present",
        ],
    );
    for transport in ["http", "ws"] {
        let prefix = format!(r#"{transport}: refused with code -32005, data {{"retry_after_ms":"#);
        assert!(
            stdout.lines().any(|line| line.trim().starts_with(&prefix)),
            "no refusal over {transport}:\n{stdout}"
        );
    }
    // The access log, with the request id sent over HTTP.
    assert!(
        stdout
            .lines()
            .any(|line| line.contains("rpc_runtime::access")
                && line.contains(r#"request_id="example-42""#)
                && line.contains(r#"method="shop.price""#)
                && line.contains("outcome=1004")),
        "{stdout}"
    );
    // The Prometheus text: a counter per method and outcome, histogram buckets.
    let has = |start: &str, part: &str| {
        stdout
            .lines()
            .any(|line| line.starts_with(start) && line.contains(part))
    };
    assert!(
        has(
            "rpc_server_calls{",
            r#"rpc_method="shop.price",rpc_transport="http",outcome="ok"} 2"#
        ),
        "{stdout}"
    );
    assert!(
        has("rpc_server_calls{", r#"rpc_jsonrpc_error_code="-32005""#),
        "{stdout}"
    );
    assert!(
        has("rpc_server_duration_bucket{", r#"le="+Inf""#),
        "{stdout}"
    );
    assert!(
        has("rpc_server_batch_size_bucket{", r#"le="+Inf"} 1"#),
        "{stdout}"
    );
}

/// The example's stdout.
type Lines = BufReader<ChildStdout>;

/// Reads the example's first line, `listening on ADDR`.
async fn announced_address(stdout: &mut Lines) -> SocketAddr {
    let mut first = String::new();
    tokio::time::timeout(RUN_TIMEOUT, stdout.read_line(&mut first))
        .await
        .expect("spec_server announced its address in time")
        .unwrap();
    let addr = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the first line is {first:?}"));
    addr.parse()
        .unwrap_or_else(|_| panic!("not an address: {addr:?}"))
}

#[tokio::test]
async fn spec_server_answers_the_specification_on_one_port_and_stops_on_sigterm() {
    build_examples().await;
    let mut child = run("spec_server", &["127.0.0.1:0"]);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let addr = announced_address(&mut stdout).await;
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");

    // Every example of the specification over HTTP.
    let mut http = H1::connect(addr).await;
    for vector in tests::spec_vectors() {
        let reply = http.call(&vector.request).await;
        if vector.response.is_some() {
            assert_eq!(reply.status, StatusCode::OK, "{}", vector.name);
            tests::check_vector(&vector, Some(reply.text()));
        } else {
            assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", vector.name);
            tests::check_vector(&vector, None);
        }
    }
    drop(http);

    // WebSocket on the same port: a variadic call and a named one.
    let ws = WsClient::connect(&format!("ws://{addr}/")).await.unwrap();
    let sum: i64 = ws
        .call("sum", EncodedParams::from_value(&[1, 2, 4, 8]).unwrap())
        .await
        .unwrap();
    assert_eq!(sum, 15);
    let difference: i64 = ws
        .call(
            "subtract",
            EncodedParams::from_value(&serde_json::json!({"subtrahend": 23, "minuend": 42}))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(difference, 19);

    // Its subscriptions: a counter, and a topic that `publish` reaches over HTTP.
    use futures_util::StreamExt as _;
    let params = EncodedParams::from_value(&(10, 5)).unwrap();
    let mut counts = ws
        .subscribe::<i64>("subscribe_count", params, "count", "unsubscribe_count")
        .await
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(counts.next().await.unwrap().unwrap());
    }
    assert_eq!(got, [10, 11, 12]);
    assert!(counts.unsubscribe().await.unwrap());
    let params = EncodedParams::from_value(&("news",)).unwrap();
    let mut news = ws
        .subscribe::<serde_json::Value>("subscribe_topic", params, "topic", "unsubscribe_topic")
        .await
        .unwrap();
    let http = rpc_client::HttpClient::new(&format!("http://{addr}/")).unwrap();
    let value = serde_json::json!({"headline": "subscriptions landed"});
    let reached: usize = http
        .request(
            "publish",
            EncodedParams::from_value(&("news", &value)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reached, 1);
    assert_eq!(news.next().await.unwrap().unwrap(), value);
    ws.close().await;

    stop_and_check(child, stdout).await;
}

/// `explorer` prints its page's URL, serves the page there and for a
/// browser's `GET /`, serves the quickstart's API beside it, and stops
/// gracefully on Ctrl-C; `spec_server --explorer` announces and serves the
/// page too.
#[cfg(unix)]
#[tokio::test]
async fn explorer_serves_its_page_beside_the_quickstarts_api() {
    build_examples().await;
    let mut child = run("explorer", &["127.0.0.1:0"]);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let url = announced(&mut stdout, "explorer http://").await;
    let addr: SocketAddr = url
        .strip_suffix("/explorer")
        .unwrap_or_else(|| panic!("not the page's URL: {url:?}"))
        .parse()
        .unwrap();
    let mut http = H1::connect(addr).await;
    for (path, accept) in [("/explorer", "*/*"), ("/", "text/html")] {
        let request = http::Request::get(path)
            .header("host", "localhost")
            .header("accept", accept)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let reply = http.send(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.content_type(), Some("text/html; charset=utf-8"));
        assert!(reply.text().contains("rpc.discover"), "{path}");
    }
    let reply = http
        .call(r#"{"jsonrpc":"2.0","method":"calc.add","params":[2,3],"id":1}"#)
        .await;
    assert_eq!(reply.json()["result"], 5);
    let reply = http
        .call(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":2}"#)
        .await;
    assert_eq!(reply.json()["result"]["info"]["title"], "Calculator");

    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(status.success(), "kill -INT {pid}");
    let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
        .await
        .expect("explorer stopped after Ctrl-C")
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    assert!(status.success(), "exit status {status}; stdout:\n{rest}");
    assert!(rest.contains("server stopped: Graceful"), "{rest}");

    let mut child = run("spec_server", &["127.0.0.1:0", "--explorer"]);
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let addr = announced_address(&mut stdout).await;
    announced(&mut stdout, "HTTP POST ").await;
    assert_eq!(
        announced(&mut stdout, "explorer ").await,
        format!("http://{addr}/explorer")
    );
    let mut http = H1::connect(addr).await;
    let request = http::Request::get("/explorer")
        .header("host", "localhost")
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap();
    assert_eq!(http.send(request).await.status, StatusCode::OK);
    drop(http);
    stop_and_check(child, stdout).await;
}

/// Reads the example's next line and returns what follows `prefix`.
async fn announced(stdout: &mut Lines, prefix: &str) -> String {
    let mut line = String::new();
    tokio::time::timeout(RUN_TIMEOUT, stdout.read_line(&mut line))
        .await
        .expect("spec_server announced its endpoints in time")
        .unwrap();
    line.trim_end()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected {prefix:?}…, got {line:?}"))
        .to_owned()
}

/// One router behind every endpoint: TCP with each framing and a Unix
/// socket answer the same methods, and a value published over HTTP reaches
/// a subscriber on TCP.
#[cfg(unix)]
#[tokio::test]
async fn spec_server_serves_one_router_on_tcp_unix_and_http_at_once() {
    use futures_util::StreamExt as _;
    use rpc_client::stream::{Framing, StreamClient};

    build_examples().await;
    let dir = std::env::temp_dir().join(format!("spec-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("rpc.sock");
    let socket_arg = socket.to_str().unwrap();
    let mut child = run(
        "spec_server",
        &[
            "127.0.0.1:0",
            "--tcp",
            "127.0.0.1:0",
            "--tcp",
            "127.0.0.1:0?framing=content-length",
            "--unix",
            socket_arg,
        ],
    );
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let http_addr = announced_address(&mut stdout).await;
    announced(&mut stdout, "HTTP POST").await;
    let newline = announced(&mut stdout, "TCP ").await;
    let newline = newline.strip_suffix(" (newline)").unwrap().to_owned();
    let content_length = announced(&mut stdout, "TCP ").await;
    let content_length = content_length
        .strip_suffix(" (content-length)")
        .unwrap()
        .to_owned();
    assert_eq!(
        announced(&mut stdout, "Unix ").await,
        format!("{socket_arg} (newline)")
    );

    let tcp = StreamClient::connect_tcp(&newline, Framing::Newline)
        .await
        .unwrap();
    let lsp = StreamClient::connect_tcp(&content_length, Framing::ContentLength)
        .await
        .unwrap();
    let unix = StreamClient::connect_unix(&socket, Framing::Newline)
        .await
        .unwrap();
    for client in [&tcp, &lsp, &unix] {
        let difference: i64 = client
            .call("subtract", EncodedParams::from_value(&(42, 23)).unwrap())
            .await
            .unwrap();
        assert_eq!(difference, 19);
        let error = client
            .call::<serde_json::Value>("foobar", EncodedParams::none())
            .await
            .unwrap_err();
        assert_eq!(error.rpc_error().map(|e| e.code), Some(-32601), "{error}");
    }
    let sum: i64 = lsp
        .call("sum", EncodedParams::from_value(&[1, 2, 4, 8]).unwrap())
        .await
        .unwrap();
    assert_eq!(sum, 15);

    let params = EncodedParams::from_value(&("news",)).unwrap();
    let mut news = tcp
        .subscribe::<serde_json::Value>("subscribe_topic", params, "topic", "unsubscribe_topic")
        .await
        .unwrap();
    let http = rpc_client::HttpClient::new(&format!("http://{http_addr}/")).unwrap();
    let reached: usize = http
        .request("publish", EncodedParams::from_value(&("news", 7)).unwrap())
        .await
        .unwrap();
    assert_eq!(reached, 1);
    assert_eq!(news.next().await.unwrap().unwrap(), 7);

    stop_and_check(child, stdout).await;
    assert!(!socket.exists(), "the socket file is removed at shutdown");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--stdio --framing content-length`: the example serves its own stdin and
/// stdout, as a language server does, and ends when stdin does.
#[tokio::test]
async fn spec_server_serves_its_stdio_with_content_length_framing() {
    use rpc_client::stream::{Framing, StreamClient};

    build_examples().await;
    let mut command = Command::from(cargo("run"));
    command
        .args([
            "--example",
            "spec_server",
            "--",
            "--stdio",
            "--framing",
            "content-length",
        ])
        .stderr(Stdio::piped());
    let client = StreamClient::builder(Framing::ContentLength)
        .spawn(command)
        .unwrap();
    let difference: i64 = client
        .call(
            "subtract",
            EncodedParams::from_value(&serde_json::json!({"minuend": 42, "subtrahend": 23}))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(difference, 19);
    let data: (String, i64) = client
        .call("get_data", EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(data, ("hello".to_owned(), 5));
    client.close().await;
    let status = tokio::time::timeout(RUN_TIMEOUT, client.wait_child())
        .await
        .expect("spec_server ended with its stdin")
        .expect("a child was spawned")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// SIGTERM, then the example must stop by itself, gracefully.
#[cfg(unix)]
async fn stop_and_check(mut child: Child, mut stdout: Lines) {
    // `cargo run` execs the example on Unix, so this is the server's pid.
    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM {pid}");
    let status = tokio::time::timeout(RUN_TIMEOUT, child.wait())
        .await
        .expect("spec_server stopped after SIGTERM")
        .unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).await.unwrap();
    assert!(status.success(), "exit status {status}; stdout:\n{rest}");
    // `ServerHandle::shutdown_on_signal` took the signal and stopped it.
    assert!(rest.contains("stopped (Graceful) by stop signal"), "{rest}");
}

#[cfg(not(unix))]
async fn stop_and_check(mut child: Child, _stdout: Lines) {
    child.kill().await.unwrap();
}

/// `zmq` serves a typed API on ROUTER and calls it over DEALER (three jobs
/// at once, so they take about as long as the slowest) and REQ.
#[tokio::test]
async fn zmq_serves_router_and_calls_over_dealer_and_req() {
    let stdout = run_to_end("zmq").await;
    assert_prints(
        "zmq",
        &stdout,
        &[
            "over DEALER (many calls in flight):",
            "whoami: a DEALER peer over zmq",
            "server log: hello from a DEALER notification",
            "batch: add(2, 40) = 42, run = batched",
            "over REQ (one call at a time):",
            "whoami: a REQ peer over zmq",
            "add(20, 22) = 42",
            "server log: hello from a REQ notification (answered with an empty reply)",
            "run(\"missing\") failed: no job named \"missing\"",
            "server stopped: Graceful",
        ],
    );
    let overlapped = stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("three jobs of 300+200+100 ms at once: slow, medium, fast in ")
        })
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("zmq did not print the three jobs' time:\n{stdout}"));
    assert!(
        overlapped < 600,
        "the DEALER calls did not overlap: {overlapped} ms\n{stdout}"
    );
}

/// `--zmq`: the same router on a ZeroMQ ROUTER socket (REQ and DEALER
/// clients) and, with `--zmq-socket rep`, on REP; both stop on SIGTERM.
#[tokio::test]
async fn spec_server_serves_the_same_router_over_zeromq() {
    build_examples().await;
    for (socket, announced_as) in [("router", "ZeroMQ ROUTER "), ("rep", "ZeroMQ REP ")] {
        let mut child = run(
            "spec_server",
            &[
                "127.0.0.1:0",
                "--zmq",
                "tcp://127.0.0.1:0",
                "--zmq-socket",
                socket,
            ],
        );
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        announced_address(&mut stdout).await;
        announced(&mut stdout, "HTTP POST").await;
        let endpoint = announced(&mut stdout, announced_as).await;
        let clients = [
            rpc_client::ZmqClient::connect_req(&endpoint).await.unwrap(),
            rpc_client::ZmqClient::connect_dealer(&endpoint)
                .await
                .unwrap(),
        ];
        for client in &clients {
            let difference: i64 = client
                .call("subtract", EncodedParams::from_value(&(42, 23)).unwrap())
                .await
                .unwrap();
            assert_eq!(difference, 19, "{socket}");
            client
                .notify("notify_hello", EncodedParams::from_value(&[7]).unwrap())
                .await
                .unwrap();
            let error = client
                .call::<serde_json::Value>("foobar", EncodedParams::none())
                .await
                .unwrap_err();
            assert_eq!(
                error.rpc_error().map(|e| e.code),
                Some(-32601),
                "{socket}: {error}"
            );
        }
        drop(clients);
        stop_and_check(child, stdout).await;
    }
}

//! `rpc call` against our server over HTTP: every argument form, the
//! discover-driven conversion and its local errors, every exit code,
//! `-v`, the output modes and colour.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use support::{answering, assert_code, closed_port, rpc, Servers};

#[tokio::test]
async fn positional_args_print_the_result() {
    let servers = Servers::start().await;
    let run = rpc(&["call", &servers.http(), "subtract", "42", "23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    assert_eq!(run.stderr, "");
}

#[tokio::test]
async fn named_json_args_and_whole_params() {
    let servers = Servers::start().await;
    let url = servers.http();
    let run = rpc(&["call", &url, "subtract", "minuend:=42", "subtrahend:=23"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    let run = rpc(&[
        "call",
        &url,
        "subtract",
        "--params",
        r#"{"subtrahend":23,"minuend":42}"#,
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    let run = rpc(&["call", &url, "subtract", "--params", "[1,2]"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "-1\n");
    // Negative numbers are arguments, not options.
    let run = rpc(&["call", &url, "subtract", "-5", "2"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "-7\n");
}

#[tokio::test]
async fn bare_words_are_strings_and_raw_output_unquotes_them() {
    let servers = Servers::start().await;
    let url = servers.http();
    let run = rpc(&["call", &url, "echo", "hello"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "\"hello\"\n");
    let run = rpc(&["--output", "raw", "call", &url, "echo", "text=hello world"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "hello world\n");
}

#[tokio::test]
async fn key_value_strings_become_integers_by_the_schema() {
    let servers = Servers::start().await;
    let url = servers.http();
    // `minuend=42` is the string "42": the schema says integer.
    let run = rpc(&[
        "-v",
        "call",
        &url,
        "subtract",
        "minuend=42",
        "subtrahend=23",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    assert!(
        run.stderr
            .contains(r#""params":{"minuend":42,"subtrahend":23}"#),
        "converted params on the wire: {}",
        run.stderr
    );
    // Once per invocation.
    assert_eq!(
        run.stderr.matches(r#""method":"rpc.discover""#).count(),
        1,
        "{}",
        run.stderr
    );
    // `--raw` sends them as typed: the server refuses strings.
    let run = rpc(&[
        "--raw",
        "call",
        &url,
        "subtract",
        "minuend=42",
        "subtrahend=23",
    ])
    .await;
    assert_code(&run, 1);
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], -32602, "{}", run.stderr);
}

#[tokio::test]
async fn unknown_and_missing_params_are_local_errors_before_sending() {
    let servers = Servers::start().await;
    let url = servers.http();
    for args in [
        vec!["subtract", "minuend=1", "bogus=2"],
        vec!["subtract", "minuend=1"],
        vec!["subtract", "minuend=not-a-number", "subtrahend=1"],
        vec!["no_such_method"],
    ] {
        let mut all = vec!["-v", "call", url.as_str()];
        all.extend(&args);
        let run = rpc(&all).await;
        assert_code(&run, 2);
        assert!(run.stdout.is_empty(), "{run:?}");
        let sent: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("> ")).collect();
        assert_eq!(sent.len(), 1, "only rpc.discover was sent: {}", run.stderr);
        assert!(sent[0].contains("rpc.discover"), "{}", run.stderr);
        assert!(run.stderr.contains("rpc: "), "a sentence: {}", run.stderr);
    }
    let run = rpc(&["call", &url, "subtract", "minuend=1", "bogus=2"]).await;
    assert!(
        run.stderr.contains("bogus"),
        "names the param: {}",
        run.stderr
    );
    let run = rpc(&["call", &url, "subtract", "minuend=1"]).await;
    assert!(
        run.stderr.contains("subtrahend"),
        "names the param: {}",
        run.stderr
    );
}

#[tokio::test]
async fn exit_1_is_an_error_reply_printed_as_json_on_stderr() {
    let servers = Servers::start().await;
    let run = rpc(&[
        "--output",
        "json",
        "call",
        &servers.http(),
        "subtract",
        "-9223372036854775808",
        "1",
    ])
    .await;
    assert_code(&run, 1);
    assert!(run.stdout.is_empty());
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["code"], 1000, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "compact: {}", run.stderr);
}

#[tokio::test]
async fn exit_2_for_usage_errors() {
    let servers = Servers::start().await;
    let url = servers.http();
    let cases: Vec<Vec<&str>> = vec![
        vec!["call"],
        vec!["frobnicate", &url],
        vec!["call", "ftp://example.invalid/", "x"],
        vec!["--timeout", "5parsecs", "call", &url, "x"],
        vec!["--id-kind", "roman", "call", &url, "x"],
        vec!["--output", "yaml", "call", &url, "x"],
        vec!["call", &url, "subtract", "1", "b=2"],
        vec!["call", &url, "subtract", "a:={"],
        vec!["call", &url, "subtract", "--params", "42"],
        vec!["-H", "X: 1", "call", "tcp://127.0.0.1:1", "x"],
    ];
    for args in cases {
        let run = rpc(&args).await;
        assert_code(&run, 2);
        assert!(!run.stderr.is_empty(), "says why: {args:?}");
    }
}

#[tokio::test]
async fn exit_3_when_nothing_listens() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let run = rpc(&["call", &url, "subtract", "1", "2"]).await;
    assert_code(&run, 3);
    assert!(run.stderr.contains("transport failure"), "{}", run.stderr);
    let url = format!("tcp://127.0.0.1:{}", closed_port());
    assert_code(&rpc(&["call", &url, "x"]).await, 3);
}

#[tokio::test]
async fn http_error_statuses() {
    // A JSON-RPC error under a 500 is still the server's answer: exit 1.
    let url = support::answering_status(
        "500 Internal Server Error",
        r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"down"},"id":1}"#,
    )
    .await;
    let run = rpc(&["--raw", "call", &url, "x"]).await;
    assert_code(&run, 1);
    assert!(run.stderr.contains("-32000"), "{}", run.stderr);
    // Anything else under a non-2xx status is a transport failure.
    let url = support::answering_status("503 Service Unavailable", "try later").await;
    let run = rpc(&["--raw", "call", &url, "x"]).await;
    assert_code(&run, 3);
    assert!(run.stderr.contains("503"), "{}", run.stderr);
}

#[tokio::test]
async fn exit_4_on_timeout() {
    let servers = Servers::start().await;
    let started = std::time::Instant::now();
    let run = rpc(&[
        "--timeout",
        "300ms",
        "call",
        &servers.http(),
        "slow",
        "3000",
    ])
    .await;
    assert_code(&run, 4);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_millis(2500));
    let run = rpc(&["--timeout", "5s", "call", &servers.http(), "slow", "10"]).await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "10\n");
}

#[tokio::test]
async fn exit_5_on_an_invalid_response() {
    for body in [
        "this is not json",
        r#"{"jsonrpc":"2.0","result":1,"id":"someone else's"}"#,
        r#"{"jsonrpc":"2.0","id":1}"#,
    ] {
        let url = answering(body).await;
        let run = rpc(&["--raw", "call", &url, "x"]).await;
        assert_code(&run, 5);
        assert!(run.stderr.contains("invalid response"), "{}", run.stderr);
        // The discover fetch meets the same nonsense.
        assert_code(&rpc(&["call", &url, "x"]).await, 5);
    }
}

#[tokio::test]
async fn verbose_shows_messages_status_and_headers() {
    let servers = Servers::start().await;
    let run = rpc(&[
        "-v",
        "--raw",
        "-H",
        "X-Trace: abc",
        "--bearer",
        "sekrit",
        "call",
        &servers.http(),
        "subtract",
        "42",
        "23",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(run.stdout, "19\n");
    let err = &run.stderr;
    assert!(
        err.contains(r#"> {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#),
        "{err}"
    );
    assert!(
        err.contains(r#"< {"jsonrpc":"2.0","result":19,"id":1}"#),
        "{err}"
    );
    assert!(err.contains("status=200"), "{err}");
    assert!(err.contains(r#""x-trace": "abc""#), "{err}");
    assert!(err.contains(r#""authorization": "<redacted>""#), "{err}");
    assert!(!err.contains("sekrit"), "{err}");
    assert!(!err.contains('\x1b'), "no colour when piped: {err}");
}

#[tokio::test]
async fn id_kinds() {
    let servers = Servers::start().await;
    let id_of = |stderr: &str| -> Value {
        let line = stderr.lines().find(|l| l.starts_with("> ")).unwrap();
        serde_json::from_str::<Value>(&line[2..]).unwrap()["id"].clone()
    };
    let run = rpc(&[
        "-v",
        "--raw",
        "--id-kind",
        "hex",
        "call",
        &servers.http(),
        "subtract",
        "1",
        "1",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(id_of(&run.stderr), json!("1"));
    let run = rpc(&[
        "-v",
        "--raw",
        "--id-kind",
        "uuid",
        "call",
        &servers.http(),
        "subtract",
        "1",
        "1",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(id_of(&run.stderr).as_str().unwrap().len(), 36);
    let run = rpc(&[
        "-v",
        "--raw",
        "--id-kind",
        "random",
        "call",
        &servers.http(),
        "subtract",
        "1",
        "1",
    ])
    .await;
    assert_code(&run, 0);
    assert_eq!(id_of(&run.stderr).as_str().unwrap().len(), 16);
}

#[tokio::test]
async fn output_modes() {
    let servers = Servers::start().await;
    let url = servers.http();
    let run = rpc(&["call", &url, "flags", "true", "2"]).await;
    assert_eq!(run.stdout, "[\n  true,\n  2\n]\n");
    let run = rpc(&["--output", "json", "call", &url, "flags", "true", "2"]).await;
    assert_eq!(run.stdout, "[true,2]\n");
    let run = rpc(&["--output", "raw", "call", &url, "flags", "true", "2"]).await;
    assert_eq!(run.stdout, "[true,2]\n");
}

/// Runs `rpc ARGS…` on a pseudo-terminal (`script`), so stdout is a tty.
async fn on_a_terminal(args: &[&str], no_color: bool) -> String {
    let command = std::iter::once(support::rpc_path())
        .chain(args.iter().copied())
        .map(|word| format!("'{word}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = tokio::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    if no_color {
        script.env("NO_COLOR", "1");
    } else {
        script.env_remove("NO_COLOR");
    }
    let output = script
        .output()
        .await
        .expect("`script` (util-linux) runs a pseudo-terminal");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn colour_on_a_terminal_only_and_never_with_no_color() {
    let servers = Servers::start().await;
    let url = servers.http();
    let args = ["call", url.as_str(), "echo", "--params", r#"{"text":"hi"}"#];
    let tty = on_a_terminal(&args, false).await;
    assert!(
        tty.contains("\x1b[32m\"hi\"\x1b[0m"),
        "coloured on a terminal: {tty:?}"
    );
    let tty = on_a_terminal(&args, true).await;
    assert!(!tty.contains('\x1b'), "NO_COLOR: {tty:?}");
    assert!(tty.contains("\"hi\""), "{tty:?}");
    let piped = rpc(&args).await;
    assert_eq!(piped.stdout, "\"hi\"\n");
}

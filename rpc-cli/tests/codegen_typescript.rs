//! `rpc codegen typescript`: the generated module type-checks under
//! `tsc --strict` (TypeScript pinned in tests/interop/node/package.json),
//! wrong params do not compile, and the compiled client works against a
//! running `spec_server` over HTTP and WebSocket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code, unreachable_pub)]
#[path = "../../tests/tests/support/interop_node.rs"]
mod interop_node;

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{assert_code, rpc, Servers};
use tokio::io::{AsyncBufReadExt as _, BufReader};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/typescript");

/// The pinned `typescript` and `ws` (tests/interop/node's lock file),
/// installed under target/tmp/interop-node on first use by the same code
/// the `tests` crate's interop tests use; a failure panics with the reason.
fn node_modules() -> PathBuf {
    let modules = interop_node::node_modules().to_path_buf();
    for package in ["typescript/bin/tsc", "ws/package.json"] {
        assert!(
            modules.join(package).exists(),
            "{} is missing after `npm ci` of tests/interop/node",
            modules.join(package).display()
        );
    }
    modules
}

/// `tsc ARGS` in `dir`: whether it passed, and what it said.
fn tsc(dir: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("node")
        .arg(node_modules().join("typescript/bin/tsc"))
        .args([
            "--strict",
            "--target",
            "es2020",
            "--lib",
            "dom,es2020",
            "--module",
            "commonjs",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("node on PATH (Node.js 18+: `bash .ci/run` needs it too)");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

fn read_doc(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DATA}/{name}.openrpc.json")).unwrap())
        .unwrap()
}

/// A fresh directory holding the client generated for `doc` as client.ts.
fn generated(doc: &str) -> PathBuf {
    let dir = support::unique_path("ts");
    std::fs::create_dir_all(&dir).unwrap();
    let module = rpc_cli::codegen::typescript(&read_doc(doc)).unwrap();
    std::fs::write(dir.join("client.ts"), module).unwrap();
    dir
}

/// `checks` (tests/typescript/) compiles next to the client for `doc`,
/// and stops compiling when its WRONG_PARAM line is made correct: so the
/// `@ts-expect-error` on it is what lets the wrong call through.
fn type_checks(doc: &str, checks: &str, correct: &str) {
    let dir = generated(doc);
    let text = std::fs::read_to_string(format!("{SCRIPTS}/{checks}")).unwrap();
    std::fs::write(dir.join(checks), &text).unwrap();
    let (ok, said) = tsc(&dir, &["--noEmit", "client.ts", checks]);
    assert!(ok, "tsc --strict on {doc}'s client and {checks}:\n{said}");

    let wrong = text
        .lines()
        .find(|line| line.contains("// WRONG_PARAM"))
        .unwrap();
    let fixed = text.replace(wrong, correct);
    assert_ne!(fixed, text);
    std::fs::write(dir.join(checks), fixed).unwrap();
    let (ok, said) = tsc(&dir, &["--noEmit", checks]);
    assert!(
        !ok,
        "with a correct call the @ts-expect-error must fail: {said}"
    );
    assert!(said.contains("TS2578"), "unused @ts-expect-error: {said}");
    assert_eq!(said.matches("error TS").count(), 1, "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spec_server_client_type_checks_and_rejects_a_wrong_param() {
    type_checks(
        "spec_server",
        "spec_server_types.ts",
        "  await client.subtract(42, 23);",
    );
}

#[test]
fn every_kind_of_type_type_checks_and_rejects_a_wrong_param() {
    type_checks(
        "every_type",
        "every_type_types.ts",
        "  await client.watch(\"feet\");",
    );
}

#[test]
fn ticker_and_calculator_clients_type_check() {
    for doc in ["ticker", "calculator"] {
        let dir = generated(doc);
        let (ok, said) = tsc(&dir, &["--noEmit", "client.ts"]);
        assert!(ok, "tsc --strict on {doc}'s client:\n{said}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_module_has_types_methods_and_errors() {
    let module = rpc_cli::codegen::typescript(&read_doc("every_type")).unwrap();
    for expected in [
        "export type Unit = \"metres\" | \"feet\";",
        "export type Map_ = { [key: string]: Item };",
        "  note?: string | null;",
        "  \"kebab-case\": boolean;",
        "  | ErrorObject<1002, Limit> // TooLarge",
        "  shapes_area(params: { shape: Shape; unit?: Unit | null }): Promise<number> {",
        "  inventory(items: Array<Item>, default_?: number | null): Promise<{ [key: string]: number }> {",
        "  watch(filter: Unit): Promise<Subscription<Event>> {",
        "  log(line: string): Promise<void> {",
        "\"watch\": { notification: \"event\", unsubscribe: \"unwatch\" },",
    ] {
        assert!(module.contains(expected), "missing `{expected}` in:\n{module}");
    }
    let not_openrpc = rpc_cli::codegen::typescript(&serde_json::json!({"openrpc": "1.3.2"}));
    assert!(not_openrpc.is_err());
}

#[tokio::test]
async fn rpc_codegen_writes_client_ts_from_a_server_and_from_a_file() {
    let servers = Servers::start().await;
    let out = support::unique_path("dir");
    let run = rpc(&[
        "codegen",
        "typescript",
        "--out",
        out.to_str().unwrap(),
        &servers.http(),
    ])
    .await;
    assert_code(&run, 0);
    let path = out.join("client.ts");
    assert_eq!(run.stdout.trim(), path.display().to_string());
    let module = std::fs::read_to_string(&path).unwrap();
    assert!(
        module.contains("subtract(minuend: number, subtrahend: number): Promise<number>"),
        "{module}"
    );
    assert!(
        module.contains("  | ErrorObject<1000> // Overflow"),
        "{module}"
    );

    let file = format!("{DATA}/calculator.openrpc.json");
    let run = rpc(&[
        "codegen",
        "typescript",
        "--out",
        out.to_str().unwrap(),
        "--file",
        &file,
    ])
    .await;
    assert_code(&run, 0);
    let module = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        module,
        rpc_cli::codegen::typescript(&read_doc("calculator")).unwrap()
    );

    let run = rpc(&[
        "codegen",
        "typescript",
        "--out",
        out.to_str().unwrap(),
        "--file",
        "/nonexistent.json",
    ])
    .await;
    assert_code(&run, 2);
    assert!(
        run.stderr.contains("cannot read /nonexistent.json"),
        "{}",
        run.stderr
    );
    let run = rpc(&["codegen", "typescript", "--out", out.to_str().unwrap()]).await;
    assert_code(&run, 2);
    let _ = std::fs::remove_dir_all(&out);
}

#[tokio::test]
async fn the_generated_client_calls_spec_server_over_http_and_websocket() {
    let modules = node_modules();
    let dir = generated("spec_server");
    let (ok, said) = tsc(&dir, &["--outDir", "js", "client.ts"]);
    assert!(ok, "tsc client.ts to JavaScript:\n{said}");

    let mut server = tokio::process::Command::new(support::spec_server())
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("spec_server announces its address")
        .unwrap()
        .unwrap();
    let addr = first
        .strip_prefix("listening on ")
        .expect(&first)
        .to_owned();

    let run = tokio::process::Command::new("node")
        .arg(format!("{SCRIPTS}/run_client.js"))
        .arg(dir.join("js/client.js"))
        .arg(format!("http://{addr}/"))
        .arg(format!("ws://{addr}/"))
        .env("NODE_PATH", &modules)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the Node.js client finished within 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node run_client.js:\n{stdout}\n{stderr}"
    );
    for check in [
        "http call",
        "http named params",
        "http batch",
        "http typed error",
        "http notification",
        "http subscription refused",
        "ws call",
        "ws named params",
        "ws batch",
        "ws typed error",
        "ws notification",
        "ws calls multiplexed",
        "ws subscription",
        "ws subscription ends on close",
    ] {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "no `ok {check}` in:\n{stdout}"
        );
    }
    assert!(stdout.contains("all passed"), "{stdout}");
    server.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

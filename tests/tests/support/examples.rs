//! Building and running the workspace's examples from a test, as a user
//! runs them (`cargo run -p examples --example NAME`).

use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The workspace's manifest, so cargo finds the `examples` package from
/// wherever the test runs.
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");

/// The first build of the examples may compile much of the workspace.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);
pub(crate) const EXAMPLES: [&str; 9] = [
    "vault_door",
    "chat",
    "spec_server",
    "middleware",
    "quickstart",
    "ticker",
    "lsp_like",
    "zmq",
    "explorer",
];

/// `cargo ARGS --manifest-path .. -p examples`, in the test's profile.
pub(crate) fn cargo(subcommand: &str) -> std::process::Command {
    cargo_for(subcommand, "examples")
}

/// `cargo SUBCOMMAND --manifest-path .. -p PACKAGE`, in the test's profile,
/// without the variables cargo set for this test's package.
pub(crate) fn cargo_for(subcommand: &str, package: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO"));
    command
        .arg(subcommand)
        .arg("-q")
        .args(["--manifest-path", MANIFEST, "-p", package]);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    // Cargo gives this test the variables of the `tests` package; some build
    // scripts (ring's) watch them, so passing them on would make the
    // examples' dependencies look stale here and again in the user's shell.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if SET_FOR_THIS_PACKAGE
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(&*name);
        }
    }
    command
}

/// The variables cargo sets for one package's test, not for the user.
const SET_FOR_THIS_PACKAGE: [&str; 8] = [
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_BIN_",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// Builds the examples once for every test of a binary; `cargo run` then only
/// checks they are fresh. A failed build fails every test with cargo's
/// message.
pub(crate) async fn build_examples() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let result = tokio::task::spawn_blocking(|| {
        BUILT
            .get_or_init(|| {
                let mut command = cargo("build");
                for example in EXAMPLES {
                    command.args(["--example", example]);
                }
                let output = command
                    .stdin(Stdio::null())
                    .output()
                    .map_err(|error| format!("cannot run cargo: {error}"))?;
                if output.status.success() {
                    Ok(())
                } else {
                    Err(String::from_utf8_lossy(&output.stderr).into_owned())
                }
            })
            .clone()
    });
    match tokio::time::timeout(BUILD_TIMEOUT, result).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => panic!("building the examples failed:\n{error}"),
        Ok(Err(error)) => panic!("the build task failed: {error}"),
        Err(_) => panic!("building the examples took over {BUILD_TIMEOUT:?}"),
    }
}

/// `cargo run -p examples --example NAME -- ARGS`, piped.
pub(crate) fn run(example: &str, args: &[&str]) -> Child {
    let mut command = Command::from(cargo("run"));
    command
        .args(["--example", example, "--"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command.spawn().expect("cargo runs")
}

//! The API explorer page in a real browser: `spec_server --explorer`,
//! driven in headless Chromium (the distribution's) by playwright-core
//! (`tests/interop/node/explorer_browser.js`): find `subtract`, call it with
//! 42 and 23 over HTTP and over WebSocket and see 19, see `-32602` for a bad
//! input sent with validation off, run a subscription and stop it. The
//! screenshot is saved as `target/tmp/explorer.png`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/examples.rs"]
mod examples;
#[allow(dead_code, unreachable_pub)]
#[path = "support/interop_node.rs"]
mod interop_node;
#[path = "support/packages.rs"]
mod packages;

use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};

#[tokio::test]
async fn the_explorer_calls_validates_and_subscribes_in_chromium() {
    packages::ensure();
    examples::build_examples().await;
    let mut server = examples::run("spec_server", &["127.0.0.1:0", "--explorer"]);
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut page = None;
    for _ in 0..3 {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("spec_server announces its endpoints")
            .unwrap()
            .unwrap_or_default();
        if let Some(url) = line.strip_prefix("explorer ") {
            page = Some(url.to_owned());
        }
    }
    let page = page.expect("spec_server --explorer prints the page's URL");
    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("explorer.png");
    let _ = std::fs::remove_file(&screenshot);
    let run = interop_node::node_command("explorer_browser.js")
        .arg(&page)
        .arg(&screenshot)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser run finished within 120 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for check in [
        "ok finds subtract",
        "ok http 19",
        "ok websocket 19",
        "ok bad input with validation off is -32602",
        "ok subscription runs and stops",
        "all passed",
    ] {
        assert!(
            stdout.lines().any(|line| line == check),
            "missing `{check}`:\n{stdout}\n{stderr}"
        );
    }
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
}

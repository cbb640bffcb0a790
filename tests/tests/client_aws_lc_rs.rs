//! rpc-client's `aws-lc-rs` feature, proved by its own test
//! (`rpc-client/tests/aws_lc_rs.rs`: a TLS server that accepts only the
//! post-quantum X25519MLKEM768 key exchange, which `ring` lacks).
//!
//! It runs as its own `cargo test -p rpc-client --features aws-lc-rs`
//! because with both providers on in one build rustls has no process-wide
//! default, and code here that relies on one (jsonrpsee's client) would
//! panic; `cargo test` runs it through this test, so it is never left out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/examples.rs"]
#[allow(dead_code)]
mod examples;

#[test]
fn the_client_runs_on_aws_lc_rs_where_ring_cannot_connect() {
    let output = examples::cargo_for("test", "rpc-client")
        .args(["--features", "aws-lc-rs", "--test", "aws_lc_rs"])
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo test -p rpc-client --features aws-lc-rs --test aws_lc_rs failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // The test ran (not filtered out, not compiled away by its cfg).
    assert!(
        stdout.contains("test result: ok. ") && !stdout.contains("ok. 0 passed"),
        "no aws-lc-rs test ran:\n{stdout}\n{stderr}"
    );
}

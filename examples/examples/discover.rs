//! The API describes itself: `#[rpc]` turns the trait's names, doc
//! comments, argument types and errors into an OpenRPC document, which the
//! server answers `rpc.discover` with (and a `GET` asking for JSON). This
//! example takes the quickstart's API (`examples/quickstart.rs`), asks the
//! server for its document and prints it.
//!
//! Run with `cargo run --example discover`; pass `serve` to keep the server
//! up and browse the document with
//! `curl -H 'Accept: application/json' http://127.0.0.1:<port>/`.

use rpc_runtime::client::{Caller, LocalCaller};
use rpc_runtime::openrpc::Server as Endpoint;
use rpc_runtime::params::EncodedParams;
use rpc_runtime::server::Server;

/// The quickstart's API, exactly as the quickstart defines it.
#[path = "quickstart.rs"]
#[allow(dead_code, unreachable_pub)]
mod quickstart;

use quickstart::{Calc, Calculator as _};

/// The calculator served with its document's `info` and `servers` (the
/// tests validate this document against the OpenRPC meta-schema).
pub fn server() -> Server {
    Server::builder()
        .info("Calculator", "1.0.0", Some("Arithmetic over JSON-RPC."))
        .servers([Endpoint::new("http://127.0.0.1:8080").with_name("local")])
        .build(Calc.into_router())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = server();

    // The document, as any client gets it: a call to `rpc.discover`.
    let caller = LocalCaller::new(server.router().clone());
    let discovered: serde_json::Value = caller.call("rpc.discover", EncodedParams::none()).await?;

    // The same document, typed, printed in the specification's key order.
    let document = server.router().openrpc_document(&server.config().openrpc);
    assert_eq!(serde_json::to_value(&document)?, discovered);
    println!("{}", serde_json::to_string_pretty(&document)?);

    if std::env::args().nth(1).as_deref() == Some("serve") {
        let handle = server.bind("127.0.0.1:0").await?;
        let addr = handle.local_addr();
        eprintln!("serving on http://{addr}; browse the document with");
        eprintln!("  curl -H 'Accept: application/json' http://{addr}/");
        eprintln!("Ctrl-C to stop");
        handle
            .shutdown_on_signal(std::time::Duration::from_secs(5))
            .await?;
    }
    Ok(())
}

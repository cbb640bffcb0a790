//! A JSON-RPC server on its own stdin and stdout, for the stdio tests:
//! `stdio_server newline` or `stdio_server content-length`. It serves the
//! specification's methods, `relay` (which calls the client's `ask` with
//! its params and returns the answer) and `transport`, until stdin ends.

use rpc_runtime::stream::{serve_stdio, Framing, StreamConfig};
use rpc_runtime::{client::Caller, params::EncodedParams, InternalError};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let framing = match std::env::args()
        .nth(1)
        .as_deref()
        .map(str::parse::<Framing>)
    {
        Some(Ok(framing)) => framing,
        _ => {
            eprintln!("usage: stdio_server newline|content-length");
            std::process::exit(2);
        }
    };
    let mut router = tests::spec_router();
    let relayed = router
        .register_async("relay", |params, ctx| {
            let question = params.decode::<(String,)>(&["question"]);
            let peer = ctx.ws_peer().cloned();
            async move {
                let (question,) = question.map_err(|e| InternalError::new(e.message))?;
                let peer = peer.ok_or_else(|| InternalError::new("no peer"))?;
                let params = EncodedParams::from_value(&[question]).map_err(InternalError::new)?;
                peer.call::<String>("ask", params)
                    .await
                    .map_err(InternalError::new)
            }
        })
        .is_ok();
    let named = router
        .register_sync("transport", |_, ctx| {
            Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(ctx.transport())
        })
        .is_ok();
    if !(relayed && named) {
        eprintln!("stdio_server: a method could not be registered");
        std::process::exit(1);
    }
    let reason = serve_stdio(router, StreamConfig::new(framing)).await;
    eprintln!("stdio_server: {reason}");
}

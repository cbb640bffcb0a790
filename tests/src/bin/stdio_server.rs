//! A JSON-RPC server on its own stdin and stdout, for the stdio tests:
//! `stdio_server newline|content-length [--max-message-size BYTES]`. It
//! serves the specification's methods, `relay` (which calls the client's
//! `ask` with its params and returns the answer), `transport`, `repeat`
//! (a string of `n` `x`s, for large answers) and `sleep` (`ms`
//! milliseconds, then returns them), until stdin ends.

use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::stream::{serve_stdio, Framing, StreamConfig};
use rpc_runtime::{client::Caller, params::EncodedParams, InternalError};

fn usage() -> ! {
    eprintln!("usage: stdio_server newline|content-length [--max-message-size BYTES]");
    std::process::exit(2);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let Some(Ok(framing)) = args.next().as_deref().map(str::parse::<Framing>) else {
        usage()
    };
    let mut config = StreamConfig::new(framing);
    while let Some(flag) = args.next() {
        match (
            flag.as_str(),
            args.next().map(|value| value.parse::<usize>()),
        ) {
            ("--max-message-size", Some(Ok(bytes))) => {
                config = config.with_max_message_size(bytes);
            }
            _ => usage(),
        }
    }
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
            Ok::<_, ErrorObjectOwned>(ctx.transport())
        })
        .is_ok();
    let repeated = router
        .register_sync("repeat", |params, _| {
            let (n,): (usize,) = params.decode(&["n"])?;
            Ok::<_, ErrorObjectOwned>("x".repeat(n))
        })
        .is_ok();
    let slept = router
        .register_async("sleep", |params, _| {
            let ms = params.decode::<(u64,)>(&["ms"]);
            async move {
                let (ms,) = ms?;
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                Ok::<_, ErrorObjectOwned>(ms)
            }
        })
        .is_ok();
    if !(relayed && named && repeated && slept) {
        eprintln!("stdio_server: a method could not be registered");
        std::process::exit(1);
    }
    let reason = serve_stdio(router, config).await;
    eprintln!("stdio_server: {reason}");
}

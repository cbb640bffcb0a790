//! `Router::handle` on arbitrary bytes: never a panic, and every reply is a
//! JSON-RPC response (or a batch of them).
#![no_main]

use futures_util::FutureExt as _;
use libfuzzer_sys::fuzz_target;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, Router};
use std::sync::OnceLock;

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut r = Router::new();
        r.register_sync("add", |p, _| {
            let (a, b): (i64, Option<i64>) = p.decode(&["a", "b"])?;
            Ok::<_, ErrorObjectOwned>(a.wrapping_add(b.unwrap_or(0)))
        })
        .expect("fresh name");
        r.register_sync("echo", |p, _| p.parse::<serde_json::Value>()).expect("fresh name");
        r
    })
}

fuzz_target!(|data: &[u8]| {
    // Transports answer invalid UTF-8 with a parse error before the router.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let reply = router().handle(text, &Context::new()).now_or_never().expect("sync handlers finish at once");
    if let Some(reply) = reply {
        let value: serde_json::Value = serde_json::from_str(&reply).expect("replies are JSON");
        let responses = match &value {
            serde_json::Value::Array(items) => items.iter().collect::<Vec<_>>(),
            single => vec![single],
        };
        for r in responses {
            assert_eq!(r["jsonrpc"], "2.0", "{reply}");
            assert!(r.get("result").is_some() != r.get("error").is_some(), "{reply}");
            assert!(r.get("id").is_some(), "{reply}");
        }
    }
});

//! `Router::handle` on arbitrary bytes: never a panic, every reply is a
//! JSON-RPC response (or a batch of them), and the single-pass path answers
//! exactly as the general one, and as both do through a layer that passes
//! every call on.
#![no_main]

use futures_util::FutureExt as _;
use libfuzzer_sys::fuzz_target;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::middleware::{Call, CallService, Next};
use rpc_runtime::{Context, MethodOutput, Router};
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
        r.register_async("later", |p, _| {
            let args = p.decode::<(i64, Option<i64>)>(&["a", "b"]);
            async move {
                let (a, b) = args?;
                Ok::<_, ErrorObjectOwned>(a.wrapping_sub(b.unwrap_or(0)))
            }
        })
        .expect("fresh name");
        r
    })
}

/// The same `add` and `later`, registered by argument types: plain requests to it take
/// the single-pass path, and must be answered exactly as by `router()`.
fn single_pass_router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| {
        let mut r = Router::new();
        r.register_sync_args("add", &["a", "b"], |(a, b): (i64, Option<i64>), _| {
            Ok::<_, ErrorObjectOwned>(a.wrapping_add(b.unwrap_or(0)))
        })
        .expect("fresh name");
        r.register_sync("echo", |p, _| p.parse::<serde_json::Value>()).expect("fresh name");
        r.register_async_args("later", &["a", "b"], |(a, b): (i64, Option<i64>), _| async move {
            Ok::<_, ErrorObjectOwned>(a.wrapping_sub(b.unwrap_or(0)))
        })
        .expect("fresh name");
        r
    })
}

/// A layer that only passes each call on.
struct PassOn(Next);

impl CallService for PassOn {
    fn call<'a>(&'a self, call: Call<'a>) -> impl std::future::Future<Output = MethodOutput> + Send + 'a {
        self.0.call(call)
    }
}

/// `single_pass_router()` behind a layer: every call takes the general path
/// through the middleware seam.
fn layered_router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(|| single_pass_router().clone().layer(tower_layer::layer_fn(PassOn)))
}

fuzz_target!(|data: &[u8]| {
    // Transports answer invalid UTF-8 with a parse error before the router.
    let Ok(text) = std::str::from_utf8(data) else { return };
    let reply = router().handle(text, &Context::new()).now_or_never().expect("handlers finish at once");
    let single_pass = single_pass_router().handle(text, &Context::new()).now_or_never().expect("handlers finish at once");
    assert_eq!(reply, single_pass, "the two paths disagree on {text:?}");
    let layered = layered_router().handle(text, &Context::new()).now_or_never().expect("handlers finish at once");
    assert_eq!(reply, layered, "the layered path disagrees on {text:?}");
    if let Some(reply) = reply {
        // Ids are echoed exactly as written, so a reply may hold a number no
        // f64 can hold (`1e99999`); check it with the toolkit's own response
        // parser, which keeps ids raw.
        let responses = rpc_runtime::protocol::parse_responses(&reply)
            .unwrap_or_else(|e| panic!("invalid reply {reply}: {e}"));
        assert!(!responses.is_empty(), "{reply}");
        for r in responses {
            assert_eq!(r.version, rpc_runtime::protocol::Version::V2, "{reply}");
        }
    }
});

//! `Router::before_call`: checks that run before every call, on every path
//! (single pass and general, sync and async, batches), travel with methods
//! through `merge` and aliases, and never hide protocol errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::FutureExt as _;
use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::{Context, MethodError, Router};

fn refuse(code: i32) -> MethodError {
    ErrorObject::new(code, "refused").into()
}

/// `open` (exempt), `sync`, `async`, `raw` (decodes its own params) and
/// `raw_async`, each counting its runs; the check refuses all but `open`.
fn guarded(runs: &Arc<AtomicUsize>) -> Router {
    let mut r = Router::new();
    let count = |runs: &Arc<AtomicUsize>| {
        let runs = Arc::clone(runs);
        move || runs.fetch_add(1, Ordering::SeqCst)
    };
    let c = count(runs);
    r.register_sync_args("open", &[], move |(): (), _| {
        c();
        Ok::<_, ErrorObjectOwned>("open")
    })
    .unwrap();
    let c = count(runs);
    r.register_sync_args("sync", &["n"], move |(n,): (i64,), _| {
        c();
        Ok::<_, ErrorObjectOwned>(n)
    })
    .unwrap();
    let c = count(runs);
    r.register_async_args("async", &["n"], move |(n,): (i64,), _| {
        c();
        async move { Ok::<_, ErrorObjectOwned>(n) }
    })
    .unwrap();
    let c = count(runs);
    r.register_sync("raw", move |p, _| {
        c();
        let (n,): (i64,) = p.decode(&["n"])?;
        Ok::<_, ErrorObjectOwned>(n)
    })
    .unwrap();
    let c = count(runs);
    r.register_async("raw_async", move |p, _| {
        c();
        let n = p.decode::<(i64,)>(&["n"]);
        async move { Ok::<_, ErrorObjectOwned>(n?.0) }
    })
    .unwrap();
    r.before_call(|method, _ctx| {
        if method == "open" {
            Ok(())
        } else {
            Err(refuse(4001))
        }
    })
}

fn answer(router: &Router, text: &str) -> Option<String> {
    router
        .handle(text, &Context::new())
        .now_or_never()
        .expect("handlers finish at once")
}

const REFUSED: &str = r#"{"code":4001,"message":"refused"}"#;

#[test]
fn every_path_is_checked_before_the_method_runs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let router = guarded(&runs);
    for method in ["sync", "async", "raw", "raw_async"] {
        // Plain (single pass where the method allows it) and unusual (the
        // general path: an extra member).
        for extra in ["", r#","x":0"#] {
            let text =
                format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":[1],"id":7{extra}}}"#);
            assert_eq!(
                answer(&router, &text),
                Some(format!(r#"{{"jsonrpc":"2.0","error":{REFUSED},"id":7}}"#)),
                "{text}"
            );
            // A notification is refused silently.
            let text = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":[1]{extra}}}"#);
            assert_eq!(answer(&router, &text), None, "{text}");
        }
    }
    // In a batch, each member on its own.
    let batch = r#"[{"jsonrpc":"2.0","method":"open","id":1},{"jsonrpc":"2.0","method":"async","params":[2],"id":2}]"#;
    assert_eq!(
        answer(&router, batch).unwrap(),
        format!(
            r#"[{{"jsonrpc":"2.0","result":"open","id":1}},{{"jsonrpc":"2.0","error":{REFUSED},"id":2}}]"#
        )
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1, "only `open` ran");
}

#[test]
fn protocol_errors_come_first_and_the_check_is_not_asked() {
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&asked);
    let mut router = Router::new().before_call(move |_, _| {
        seen.fetch_add(1, Ordering::SeqCst);
        Err(refuse(4001))
    });
    router
        .register_sync_args("m", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(1))
        .unwrap();
    let cases = [
        (r#"{"jsonrpc":"2.0","method":"nope","id":1}"#, -32601),
        (r#"{"jsonrpc":"2.0","method":1,"id":1}"#, -32600),
        (r#"{"jsonrpc":"2.0","method":"m","id":1"#, -32700),
    ];
    for (text, code) in cases {
        let reply: serde_json::Value =
            serde_json::from_str(&answer(&router, text).unwrap()).unwrap();
        assert_eq!(reply["error"]["code"], code, "{text}");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 0);
}

#[test]
fn a_check_reads_the_context_and_a_panicking_one_is_an_internal_error() {
    struct LoggedIn;
    let mut router = Router::new().before_call(|method, ctx| {
        assert_ne!(method, "explode", "a bug in the check");
        if ctx.get::<LoggedIn>().is_some() {
            Ok(())
        } else {
            Err(refuse(4003))
        }
    });
    router
        .register_sync_args("whoami", &[], |(): (), _| Ok::<_, ErrorObjectOwned>("you"))
        .unwrap();
    router
        .register_sync_args("explode", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(0))
        .unwrap();
    let ctx = Context::new();
    let call = |name: &str| {
        let text = format!(r#"{{"jsonrpc":"2.0","method":"{name}","id":1}}"#);
        router.handle(&text, &ctx).now_or_never().unwrap().unwrap()
    };
    assert!(call("whoami").contains("4003"));
    ctx.insert(LoggedIn);
    assert_eq!(call("whoami"), r#"{"jsonrpc":"2.0","result":"you","id":1}"#);
    assert!(call("explode").contains("-32603"));
}

#[test]
fn checks_travel_with_methods_through_merge_prefixes_and_aliases() {
    let mut inner = Router::new().before_call(|_, _| Err(refuse(4001)));
    inner
        .register_sync_args("a", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(1))
        .unwrap();
    let inner = inner.with_prefix("in.").unwrap();
    let mut outer = Router::new();
    outer
        .register_sync_args("b", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(2))
        .unwrap();
    outer.merge(inner).unwrap();
    outer.register_alias("a_alias", "in.a").unwrap();
    let code = |router: &Router, name: &str| {
        let text = format!(r#"{{"jsonrpc":"2.0","method":"{name}","id":1}}"#);
        let reply: serde_json::Value =
            serde_json::from_str(&answer(router, &text).unwrap()).unwrap();
        reply["error"]["code"].as_i64()
    };
    assert_eq!(code(&outer, "in.a"), Some(4001), "the inner check is kept");
    assert_eq!(
        code(&outer, "a_alias"),
        Some(4001),
        "an alias is checked alike"
    );
    assert_eq!(code(&outer, "b"), None, "the outer methods are not");
    // A check set on the outer router covers everything, merged or not.
    let outer = outer.before_call(|method, _| {
        if method == "b" {
            Err(refuse(4002))
        } else {
            Ok(())
        }
    });
    assert_eq!(code(&outer, "b"), Some(4002));
    assert_eq!(code(&outer, "in.a"), Some(4001));
}

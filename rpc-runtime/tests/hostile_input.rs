//! Hostile input through `Router::handle`: each gets a JSON-RPC error (or,
//! where it is valid, a normal answer), never a crash or a stack overflow,
//! and the router serves the next request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::FutureExt as _;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, Router};
use serde_json::{json, Value};

fn router() -> Router {
    let mut r = Router::new();
    r.register_sync("len", |p, _| {
        let (s,): (String,) = p.decode(&["s"])?;
        Ok::<_, ErrorObjectOwned>(s.len())
    })
    .unwrap();
    r.register_sync("echo", |p, _| p.parse::<Value>()).unwrap();
    r.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r
}

fn handle(r: &Router, text: &str) -> Option<Value> {
    let reply = r
        .handle(text, &Context::new())
        .now_or_never()
        .expect("sync handlers finish at once");
    reply.map(|s| serde_json::from_str(&s).expect("replies are JSON"))
}

/// After each hostile message the router must still answer a normal call.
fn still_serving(r: &Router) {
    let v = handle(
        r,
        r#"{"jsonrpc":"2.0","method":"add","params":[2,3],"id":"next"}"#,
    )
    .unwrap();
    assert_eq!(v["result"], 5);
}

#[test]
fn deep_nesting_at_the_top_is_a_parse_error() {
    let r = router();
    for text in ["[".repeat(100_000), "{\"a\":".repeat(100_000)] {
        let v = handle(&r, &text).unwrap();
        assert_eq!(v["error"]["code"], -32700);
        still_serving(&r);
    }
}

#[test]
fn a_deep_but_balanced_array_is_a_batch_with_one_invalid_member() {
    // Valid JSON: a batch whose only member is an array, skipped without
    // recursion and answered with its own -32600.
    let r = router();
    let v = handle(
        &r,
        &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    assert_eq!(
        v,
        json!([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request",
        "data": "a batch member must be an object"}, "id": null}])
    );
    still_serving(&r);
}

#[test]
fn deep_nesting_inside_params_is_invalid_params() {
    let r = router();
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let text = format!(r#"{{"jsonrpc":"2.0","method":"echo","params":[{deep}],"id":1}}"#);
    let v = handle(&r, &text).unwrap();
    assert_eq!(v["error"]["code"], -32602);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("recursion limit"),
        "{v}"
    );
    still_serving(&r);
}

#[test]
fn ten_mib_of_open_brackets_is_a_parse_error() {
    let r = router();
    let v = handle(&r, &"[".repeat(10 * 1024 * 1024)).unwrap();
    assert_eq!(v["error"]["code"], -32700);
    still_serving(&r);
}

#[test]
fn huge_numbers_are_kept_as_ids_and_rejected_as_i64_params() {
    let r = router();
    let big = "9".repeat(5000);
    let text = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{big},1],"id":{big}}}"#);
    let raw = r
        .handle(&text, &Context::new())
        .now_or_never()
        .unwrap()
        .unwrap();
    assert!(
        raw.ends_with(&format!(r#""id":{big}}}"#)),
        "the id is echoed exactly"
    );
    assert!(raw.contains(r#""code":-32602"#), "{}", &raw[..200]);
    assert!(
        raw.contains(r#"parameter \"a\""#),
        "the message names the parameter: {}",
        &raw[..200]
    );
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":[1e400,1],"id":1}"#,
    )
    .unwrap();
    assert_eq!(v["error"]["code"], -32602);
    still_serving(&r);
}

#[test]
fn a_ten_megabyte_string_param_is_decoded() {
    let r = router();
    let s = "x".repeat(10_000_000);
    let text = format!(r#"{{"jsonrpc":"2.0","method":"len","params":["{s}"],"id":1}}"#);
    assert_eq!(handle(&r, &text).unwrap()["result"], 10_000_000);
    still_serving(&r);
}

#[test]
fn duplicate_keys_are_rejected_at_both_levels() {
    let r = router();
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","method":"echo","params":[1,2],"id":1}"#,
    )
    .unwrap();
    assert_eq!(v["error"]["code"], -32600);
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"a":2,"b":3},"id":1}"#,
    )
    .unwrap();
    assert_eq!(v["error"]["code"], -32602);
    assert_eq!(v["error"]["message"], r#"duplicate parameter "a""#);
    still_serving(&r);
}

#[test]
fn prototype_style_keys_are_plain_data() {
    let r = router();
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":{"__proto__":{"a":1},"a":1,"b":2},"id":1}"#,
    )
    .unwrap();
    assert_eq!(
        v["error"]["message"],
        r#"unknown parameter "__proto__", expected one of: a, b"#
    );
    let v = handle(&r, r#"{"jsonrpc":"2.0","method":"echo","params":{"__proto__":{"polluted":true},"constructor":1},"id":1}"#)
        .unwrap();
    assert_eq!(
        v["result"],
        json!({"__proto__": {"polluted": true}, "constructor": 1})
    );
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"__proto__","id":1,"__proto__":{"method":"add"}}"#,
    )
    .unwrap();
    assert_eq!(v["error"]["code"], -32601);
    still_serving(&r);
}

#[test]
fn control_characters_and_lone_surrogates() {
    let r = router();
    // A raw control character inside a string is not JSON.
    let v = handle(
        &r,
        "{\"jsonrpc\":\"2.0\",\"method\":\"len\",\"params\":[\"a\u{1}b\"],\"id\":1}",
    )
    .unwrap();
    assert_eq!(v["error"]["code"], -32700);
    // An escaped lone surrogate cannot become a Rust string.
    let v = handle(
        &r,
        r#"{"jsonrpc":"2.0","method":"len","params":["\ud800"],"id":1}"#,
    )
    .unwrap();
    assert!(
        v["error"]["code"] == -32700 || v["error"]["code"] == -32602,
        "{v}"
    );
    still_serving(&r);
}

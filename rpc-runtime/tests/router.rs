//! The core on strings alone: every validation, batching, error-mapping and
//! registration rule of the router, checked through `Router::handle`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::{Context, InternalError, RegisterError, Router, RouterConfig};
use serde_json::{json, Value};

fn router() -> Router {
    let mut r = Router::new();
    r.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap();
    r.register_sync("boom", |_, _| -> Result<(), ErrorObjectOwned> {
        panic!("kaboom")
    })
    .unwrap();
    r.register_async("async_boom", |_, _| async {
        if true {
            panic!("async kaboom");
        }
        Ok::<(), ErrorObjectOwned>(())
    })
    .unwrap();
    r.register_sync("secret", |_, _| -> Result<(), InternalError> {
        Err(InternalError::new("db password is hunter2"))
    })
    .unwrap();
    r.register_sync("app_error", |_, _| -> Result<(), ErrorObjectOwned> {
        Err(ErrorObject::new(4001, "vault is locked")
            .with_data(&json!({"door": 7}))
            .unwrap())
    })
    .unwrap();
    r
}

async fn call(r: &Router, text: &str) -> Option<Value> {
    r.handle(text, &Context::new())
        .await
        .map(|s| serde_json::from_str(&s).expect("responses are JSON"))
}

#[tokio::test]
async fn ids_are_echoed_exactly_as_written() {
    let r = router();
    for id in [
        "-1",
        "1.5",
        "18446744073709551616",
        "\"1\"",
        "1",
        "null",
        "\"\\u0031\"",
        "0",
        "11.6e99999",
    ] {
        let text = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#);
        let raw = r.handle(&text, &Context::new()).await.unwrap();
        assert!(
            raw.ends_with(&format!(r#","id":{id}}}"#)),
            "id {id} not echoed byte for byte: {raw}"
        );
    }
}

#[tokio::test]
async fn structured_or_boolean_ids_are_invalid_requests_with_null_id() {
    let r = router();
    for id in ["{}", "[]", "true"] {
        let text = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#);
        let v = call(&r, &text).await.unwrap();
        assert_eq!(v["error"]["code"], -32600, "{id}");
        assert_eq!(v["id"], Value::Null, "{id}");
    }
}

#[tokio::test]
async fn envelope_validation() {
    let r = router();
    let cases = [
        (
            r#"{"jsonrpc":"2.0","method":"add","params":"bar","id":1}"#,
            -32600,
            json!(1),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":5,"id":1}"#,
            -32600,
            json!(1),
        ),
        (
            r#"{"jsonrpc":"1.0","method":"add","params":[1,2],"id":1}"#,
            -32600,
            json!(1),
        ),
        (
            r#"{"method":"add","params":[1,2],"id":1}"#,
            -32600,
            json!(1),
        ),
        (r#"{"jsonrpc":"2.0","method":7,"id":1}"#, -32600, json!(1)),
        (r#"{"jsonrpc":"2.0","id":1}"#, -32600, json!(1)),
        (r#"{"jsonrpc":"2.0","method":"add""#, -32700, Value::Null),
        ("5", -32600, Value::Null),
        ("\"text\"", -32600, Value::Null),
        ("null", -32600, Value::Null),
        ("[]", -32600, Value::Null),
    ];
    for (text, code, id) in cases {
        let v = call(&r, text).await.unwrap();
        assert_eq!(v["error"]["code"], code, "{text}: {v}");
        assert_eq!(v["id"], id, "{text}: {v}");
        assert_eq!(v["jsonrpc"], "2.0");
    }
}

#[tokio::test]
async fn invalid_requests_without_id_are_still_answered() {
    // The spec's own example: an invalid Request object gets -32600, id null.
    let v = call(&router(), r#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#)
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], -32600);
    assert_eq!(v["id"], Value::Null);
}

#[tokio::test]
async fn notifications_get_no_reply_even_on_error() {
    let r = router();
    for text in [
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#,
        r#"{"jsonrpc":"2.0","method":"missing"}"#,
        r#"{"jsonrpc":"2.0","method":"add","params":["x"]}"#,
        r#"{"jsonrpc":"2.0","method":"boom"}"#,
        r#"{"jsonrpc":"2.0","method":"async_boom"}"#,
    ] {
        assert_eq!(r.handle(text, &Context::new()).await, None, "{text}");
    }
}

#[tokio::test]
async fn invalid_params_name_the_parameter() {
    let r = router();
    let v = call(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,"x"],"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(v["error"]["code"], -32602);
    assert_eq!(
        v["error"]["message"],
        r#"invalid type for parameter "b": expected i64, found string "x""#
    );
    let v = call(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"c":2},"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        v["error"]["message"],
        r#"unknown parameter "c", expected one of: a, b"#
    );
    let v = call(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2,3],"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        v["error"]["message"],
        "too many parameters: expected at most 2 (a, b), found 3"
    );
    let v = call(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(v["error"]["message"], r#"missing required parameter "b""#);
}

#[tokio::test]
async fn a_panicking_handler_fails_only_its_call() {
    let r = router();
    for method in ["boom", "async_boom"] {
        let v = call(
            &r,
            &format!(r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#),
        )
        .await
        .unwrap();
        assert_eq!(v["error"]["code"], -32603, "{method}");
        assert!(
            v["error"].get("data").is_none(),
            "panic detail must not leak by default"
        );
    }
    let v = call(&r, r#"[{"jsonrpc":"2.0","method":"boom","id":1},{"jsonrpc":"2.0","method":"add","params":[2,3],"id":2}]"#)
        .await
        .unwrap();
    assert_eq!(v[0]["error"]["code"], -32603);
    assert_eq!(v[1]["result"], 5);
    let v = call(
        &r,
        r#"{"jsonrpc":"2.0","method":"add","params":[2,3],"id":3}"#,
    )
    .await
    .unwrap();
    assert_eq!(v["result"], 5, "the router keeps serving after a panic");
}

#[tokio::test]
async fn internal_errors_hide_their_detail_unless_opted_in() {
    let text = r#"{"jsonrpc":"2.0","method":"secret","id":1}"#;
    let v = call(&router(), text).await.unwrap();
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error"})
    );
    let open = router().with_config(RouterConfig::default().with_expose_internal_errors(true));
    let v = call(&open, text).await.unwrap();
    assert_eq!(v["error"]["data"], "db password is hunter2");
}

#[tokio::test]
async fn application_errors_keep_code_message_and_data() {
    let v = call(
        &router(),
        r#"{"jsonrpc":"2.0","method":"app_error","id":"x"}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        v["error"],
        json!({"code": 4001, "message": "vault is locked", "data": {"door": 7}})
    );
    assert_eq!(v["id"], "x");
}

#[tokio::test]
async fn jsonrpc1_compatibility_is_opt_in() {
    let text = r#"{"method":"add","params":[1,2],"id":9}"#;
    let strict = call(&router(), text).await.unwrap();
    assert_eq!(strict["error"]["code"], -32600);

    let compat = router().with_config(RouterConfig::default().with_jsonrpc1_compat(true));
    let v = call(&compat, text).await.unwrap();
    assert_eq!(
        v,
        json!({"result": 3, "error": null, "id": 9}),
        "1.0 shape: both members, no jsonrpc"
    );
    let v = call(&compat, r#"{"method":"missing","params":[],"id":9}"#)
        .await
        .unwrap();
    assert_eq!(v["result"], Value::Null);
    assert_eq!(v["error"]["code"], -32601);
    assert!(v.get("jsonrpc").is_none());
    // A null id is a 1.0 notification.
    assert_eq!(
        compat
            .handle(
                r#"{"method":"add","params":[1,2],"id":null}"#,
                &Context::new()
            )
            .await,
        None
    );
    // 1.0 params must be an array.
    let v = call(&compat, r#"{"method":"add","params":{"a":1,"b":2},"id":9}"#)
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], -32600);
    // 2.0 requests still get 2.0 responses.
    let v = call(
        &compat,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":9}"#,
    )
    .await
    .unwrap();
    assert_eq!(v, json!({"jsonrpc": "2.0", "result": 3, "id": 9}));
}

#[tokio::test]
async fn batches_answer_in_request_order_with_per_member_errors() {
    let v = call(
        &router(),
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,1],"id":"a"},
            1,
            {"jsonrpc":"2.0","method":"add","params":[1,2]},
            {"jsonrpc":"2.0","method":"nope","id":"b"},
            {"jsonrpc":"2.0","method":"add","params":[2,2],"id":"c"}]"#,
    )
    .await
    .unwrap();
    let ids: Vec<&Value> = v.as_array().unwrap().iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!("a"), &Value::Null, &json!("b"), &json!("c")]);
    assert_eq!(v[1]["error"]["code"], -32600);
    assert_eq!(v[2]["error"]["code"], -32601);
    assert_eq!(v[3]["result"], 4);
}

#[tokio::test]
async fn all_notification_batches_produce_nothing() {
    let text =
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,1]},{"jsonrpc":"2.0","method":"nope"}]"#;
    assert_eq!(router().handle(text, &Context::new()).await, None);
}

#[tokio::test]
async fn batch_length_is_limited_with_a_message_that_says_the_limit() {
    let r = router().with_config(RouterConfig::default().with_max_batch_len(3));
    let member = r#"{"jsonrpc":"2.0","method":"add","params":[1,1],"id":1}"#;
    let ok = format!("[{}]", [member; 3].join(","));
    assert_eq!(call(&r, &ok).await.unwrap().as_array().unwrap().len(), 3);
    let v = call(&r, &format!("[{}]", [member; 4].join(",")))
        .await
        .unwrap();
    assert_eq!(
        v["error"]["code"], -32600,
        "one error object, not an array: {v}"
    );
    assert_eq!(v["error"]["data"], "batch longer than the limit of 3 calls");
}

/// Two members that can only finish if they run at the same time: the first
/// waits for a signal the second sends.
#[tokio::test]
async fn batch_members_run_concurrently() {
    let mut r = Router::new();
    let (tx, rx) = tokio::sync::watch::channel(false);
    r.register_async("wait", move |_, _| {
        let mut rx = rx.clone();
        async move {
            rx.wait_for(|set| *set)
                .await
                .map_err(|_| InternalError::new("sender gone"))?;
            Ok::<_, InternalError>("waited")
        }
    })
    .unwrap();
    let tx = Arc::new(tx);
    r.register_async("signal", move |_, _| {
        let tx = tx.clone();
        async move {
            tx.send_replace(true);
            Ok::<_, InternalError>("signalled")
        }
    })
    .unwrap();
    let text =
        r#"[{"jsonrpc":"2.0","method":"wait","id":1},{"jsonrpc":"2.0","method":"signal","id":2}]"#;
    let reply = tokio::time::timeout(Duration::from_secs(5), r.handle(text, &Context::new()))
        .await
        .expect("members ran one after another: the batch deadlocked");
    let v: Value = serde_json::from_str(&reply.unwrap()).unwrap();
    assert_eq!(
        v,
        json!([{"jsonrpc":"2.0","result":"waited","id":1},{"jsonrpc":"2.0","result":"signalled","id":2}])
    );
}

#[tokio::test]
async fn batch_concurrency_is_bounded() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (running2, peak2) = (running.clone(), peak.clone());
    let mut r = Router::new().with_config(RouterConfig::default().with_batch_concurrency(3));
    r.register_async("work", move |_, _| {
        let (running, peak) = (running2.clone(), peak2.clone());
        async move {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            running.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, InternalError>(())
        }
    })
    .unwrap();
    let member = r#"{"jsonrpc":"2.0","method":"work","id":1}"#;
    let reply = call(&r, &format!("[{}]", [member; 12].join(",")))
        .await
        .unwrap();
    assert_eq!(reply.as_array().unwrap().len(), 12);
    assert_eq!(peak.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn slow_calls_time_out_with_a_server_error() {
    let mut r = Router::new()
        .with_config(RouterConfig::default().with_call_timeout(Some(Duration::from_millis(50))));
    r.register_async("sleep", |_, _| async {
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok::<_, InternalError>(())
    })
    .unwrap();
    let v = call(&r, r#"{"jsonrpc":"2.0","method":"sleep","id":1}"#)
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], -32000);
    assert_eq!(
        v["error"]["message"],
        "Request timed out: the call ran longer than 50 ms"
    );
}

#[test]
fn registration_rules() {
    let mut r = router();
    let err = r
        .register_sync("add", |_, _| Ok::<_, ErrorObjectOwned>(0))
        .unwrap_err();
    assert_eq!(err, RegisterError::Duplicate("add".into()));
    let err = r
        .register_sync("rpc.discover", |_, _| Ok::<_, ErrorObjectOwned>(0))
        .unwrap_err();
    assert_eq!(err, RegisterError::Reserved("rpc.discover".into()));
    assert_eq!(
        r.register_sync("", |_, _| Ok::<_, ErrorObjectOwned>(0))
            .unwrap_err(),
        RegisterError::Empty
    );
    assert!(matches!(
        r.register_alias("plus", "nothing"),
        Err(RegisterError::UnknownTarget { .. })
    ));
    r.register_alias("plus", "add").unwrap();
    assert_eq!(
        r.method_names(),
        ["add", "app_error", "async_boom", "boom", "plus", "secret"]
    );
}

#[tokio::test]
async fn prefixing_and_merging() {
    let mut math = Router::new();
    math.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })
    .unwrap()
    .with_params(&["a", "b"]);
    math.register_alias("plus", "add").unwrap();
    let math = math.with_prefix("math.").unwrap();
    assert_eq!(math.method_names(), ["math.add", "math.plus"]);
    assert_eq!(math.methods()[1].alias_of.as_deref(), Some("math.add"));
    assert_eq!(math.methods()[0].params, ["a", "b"]);

    let mut all = router();
    all.merge(math.clone()).unwrap();
    let v = call(
        &all,
        r#"{"jsonrpc":"2.0","method":"math.plus","params":{"a":2,"b":5},"id":1}"#,
    )
    .await
    .unwrap();
    assert_eq!(v["result"], 7);
    let before = all.method_names().len();
    assert!(
        matches!(all.merge(math), Err(RegisterError::Duplicate(name)) if name.starts_with("math."))
    );
    assert_eq!(
        all.method_names().len(),
        before,
        "a failed merge adds nothing"
    );

    let mut reserved = Router::new();
    reserved
        .register_sync("discover", |_, _| Ok::<_, ErrorObjectOwned>(0))
        .unwrap();
    assert_eq!(
        reserved.with_prefix("rpc.").unwrap_err(),
        RegisterError::Reserved("rpc.discover".into())
    );
}

#[tokio::test]
async fn a_response_sent_to_a_server_is_answered_not_executed() {
    let v = call(&router(), r#"{"jsonrpc":"2.0","result":1,"id":5}"#)
        .await
        .unwrap();
    assert_eq!(v["error"]["code"], -32600);
    assert_eq!(v["id"], 5);
}

#[test]
fn registering_by_argument_types_needs_one_name_per_argument() {
    let mut r = Router::new();
    let err = r
        .register_sync_args("add", &["a"], |(a, b): (i64, i64), _| {
            Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(a + b)
        })
        .unwrap_err();
    assert_eq!(
        err,
        RegisterError::ArgumentNames {
            method: "add".into(),
            arity: 2,
            names: 1
        }
    );
    assert_eq!(
        err.to_string(),
        "method \"add\" takes 2 arguments but 1 names were given"
    );
    assert!(!r.has_method("add"));
    let err = r
        .register_async_args("none", &["x"], |(): (), _| async {
            Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(())
        })
        .unwrap_err();
    assert!(matches!(
        err,
        RegisterError::ArgumentNames {
            arity: 0,
            names: 1,
            ..
        }
    ));
    r.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| {
        Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(a + b)
    })
    .unwrap();
    assert_eq!(r.methods()[0].params, ["a", "b"]);
}

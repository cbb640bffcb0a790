//! Property tests: random valid and invalid messages through `Router::handle`.
//!
//! Invariants: no panic; exactly one response per request with an id, none
//! for notifications; the id echoed exactly; every response a valid JSON-RPC
//! response object.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::FutureExt as _;
use proptest::prelude::*;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, Router};
use serde_json::Value;

fn router() -> Router {
    let mut r = Router::new();
    r.register_sync("add", |p, _| {
        let (a, b): (i64, Option<i64>) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a.wrapping_add(b.unwrap_or(0)))
    })
    .unwrap();
    r.register_sync("boom", |_, _| -> Result<(), ErrorObjectOwned> {
        panic!("boom")
    })
    .unwrap();
    r.register_sync("echo", |p, _| p.parse::<Value>()).unwrap();
    r
}

fn handle(router: &Router, text: &str) -> Option<String> {
    router
        .handle(text, &Context::new())
        .now_or_never()
        .expect("sync handlers finish at once")
}

/// One generated member: its JSON text, and the id text a response must echo
/// (`None` when no response is due).
#[derive(Debug, Clone)]
struct Member {
    text: String,
    expect: Expect,
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// A response echoing exactly this id text.
    Reply(String),
    /// No response (a valid notification).
    Nothing,
}

fn id_text() -> impl Strategy<Value = (Option<String>, bool)> {
    // (id member text or absent, whether it is a valid id)
    prop_oneof![
        Just((None, true)),
        any::<i64>().prop_map(|n| (Some(n.to_string()), true)),
        Just((Some("18446744073709551616".into()), true)),
        Just((Some("1.5".into()), true)),
        Just((Some("null".into()), true)),
        "[a-z0-9\\\\\"é]{0,8}".prop_map(|s| (Some(serde_json::to_string(&s).unwrap()), true)),
        Just((Some("\"\\u0031\"".into()), true)),
        Just((Some("{}".into()), false)),
        Just((Some("[1]".into()), false)),
        Just((Some("true".into()), false)),
    ]
}

fn params_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        (any::<i32>(), any::<i32>()).prop_map(|(a, b)| Some(format!("[{a},{b}]"))),
        (any::<i32>(), any::<i32>()).prop_map(|(a, b)| Some(format!(r#"{{"b":{b},"a":{a}}}"#))),
        Just(Some("[1,2,3]".into())),
        Just(Some(r#"{"zz":1}"#.into())),
        Just(Some(r#"["x"]"#.into())),
        Just(Some("\"bar\"".into())),
        Just(Some("null".into())),
        Just(Some("7".into())),
        "[a-z]{0,6}".prop_map(|s| Some(format!("[\"{s}\"]"))),
    ]
}

fn member() -> impl Strategy<Value = Member> {
    let version = prop_oneof![
        4 => Just(Some("\"2.0\"")),
        1 => Just(None),
        1 => Just(Some("\"1.0\"")),
        1 => Just(Some("2")),
    ];
    let method = prop_oneof![
        Just(Some("\"add\"")),
        Just(Some("\"echo\"")),
        Just(Some("\"boom\"")),
        Just(Some("\"missing\"")),
        Just(Some("1")),
        Just(None),
    ];
    (version, method, params_text(), id_text(), any::<bool>()).prop_map(
        |(version, method, params, (id, id_ok), extra)| {
            let mut fields = Vec::new();
            if let Some(v) = version {
                fields.push(format!(r#""jsonrpc":{v}"#));
            }
            if let Some(m) = method {
                fields.push(format!(r#""method":{m}"#));
            }
            if let Some(p) = &params {
                fields.push(format!(r#""params":{p}"#));
            }
            if let Some(i) = &id {
                fields.push(format!(r#""id":{i}"#));
            }
            if extra {
                fields.push(r#""extra":{"nested":[1,2]}"#.into());
            }
            let params_ok = params
                .as_deref()
                .is_none_or(|p| p.starts_with('[') || p.starts_with('{'));
            let valid = version == Some("\"2.0\"")
                && method.is_some_and(|m| m.starts_with('"'))
                && params_ok
                && id_ok;
            let expect = match (&id, valid) {
                (None, true) => Expect::Nothing,
                (Some(i), true) => Expect::Reply(i.clone()),
                (Some(i), false) if id_ok => Expect::Reply(i.clone()),
                _ => Expect::Reply("null".into()),
            };
            Member {
                text: format!("{{{}}}", fields.join(",")),
                expect,
            }
        },
    )
}

/// Checks one response object's shape and returns its id's JSON text.
fn check_response(resp: &Value) -> String {
    let obj = resp.as_object().expect("a response is an object");
    assert_eq!(obj.get("jsonrpc"), Some(&Value::from("2.0")), "{resp}");
    assert!(
        obj.contains_key("result") != obj.contains_key("error"),
        "exactly one of result/error: {resp}"
    );
    if let Some(err) = obj.get("error") {
        assert!(err["code"].is_i64(), "{resp}");
        assert!(err["message"].is_string(), "{resp}");
    }
    serde_json::to_string(obj.get("id").expect("a response has an id")).unwrap()
}

/// The id text as it appears in the raw response (byte-exact echo).
fn echoes(raw: &str, id: &str) -> bool {
    raw.contains(&format!(r#""id":{id}}}"#))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn single_messages_keep_the_invariants(m in member()) {
        let router = router();
        let reply = handle(&router, &m.text);
        match &m.expect {
            Expect::Nothing => prop_assert!(reply.is_none(), "{} -> {:?}", m.text, reply),
            Expect::Reply(id) => {
                let raw = reply.unwrap_or_else(|| panic!("{} got no reply", m.text));
                let v: Value = serde_json::from_str(&raw).unwrap();
                check_response(&v);
                prop_assert!(echoes(&raw, id), "id {} not echoed exactly in {}", id, raw);
            }
        }
    }

    #[test]
    fn batches_answer_each_member_once_in_order(members in prop::collection::vec(member(), 1..20)) {
        let router = router();
        let text = format!("[{}]", members.iter().map(|m| m.text.as_str()).collect::<Vec<_>>().join(","));
        let reply = handle(&router, &text);
        let expected: Vec<&String> = members.iter().filter_map(|m| match &m.expect {
            Expect::Reply(id) => Some(id),
            Expect::Nothing => None,
        }).collect();
        if expected.is_empty() {
            prop_assert!(reply.is_none(), "all notifications, yet {:?}", reply);
        } else {
            let raw = reply.expect("a batch with calls gets a reply");
            let v: Value = serde_json::from_str(&raw).unwrap();
            let responses = v.as_array().expect("a batch reply is an array");
            prop_assert_eq!(responses.len(), expected.len());
            for (resp, id) in responses.iter().zip(&expected) {
                let got = check_response(resp);
                let want: Value = serde_json::from_str(id).unwrap();
                prop_assert_eq!(serde_json::from_str::<Value>(&got).unwrap(), want);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_is_answered_or_silent(text in "\\PC{0,64}") {
        let router = router();
        if let Some(raw) = handle(&router, &text) {
            let v: Value = serde_json::from_str(&raw).unwrap();
            match &v {
                Value::Array(items) => items.iter().for_each(|r| { check_response(r); }),
                other => { check_response(other); }
            }
        }
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(value in arb_json()) {
        let router = router();
        let text = value.to_string();
        if let Some(raw) = handle(&router, &text) {
            let v: Value = serde_json::from_str(&raw).unwrap();
            match &v {
                Value::Array(items) => items.iter().for_each(|r| { check_response(r); }),
                other => { check_response(other); }
            }
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("2.0"),
            Just("add"),
            Just("method"),
            Just("id"),
            Just("x")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("jsonrpc"),
                    Just("method"),
                    Just("params"),
                    Just("id"),
                    Just("result"),
                    Just("error")
                ]
                .prop_map(String::from),
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

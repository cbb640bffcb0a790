//! The single-pass path (methods registered by argument types) against the
//! general path (the same methods decoding their own params), and both
//! through a layer that only passes calls on (which turns the single pass
//! off): every text must get byte-for-byte the same answer from all four,
//! for synchronous and asynchronous methods, and a refusing check must
//! answer alike on both paths.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::FutureExt as _;
use proptest::prelude::*;
use rpc_runtime::middleware::{Call, CallService, Next};
use rpc_runtime::params::Variadic;
use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::{Context, MethodOutput, Router};

/// `add(a, b?)`, `none()`, `name(s)` and `boom()`, by argument types.
fn single_pass_router() -> Router {
    let mut r = Router::new();
    r.register_sync_args("add", &["a", "b"], |(a, b): (i64, Option<i64>), _| {
        Ok::<_, ErrorObjectOwned>(a.wrapping_add(b.unwrap_or(0)))
    })
    .unwrap();
    r.register_sync_args("none", &[], |(): (), _| Ok::<_, ErrorObjectOwned>("none"))
        .unwrap();
    r.register_sync_args("name", &["s"], |(s,): (String,), _| {
        Ok::<_, ErrorObjectOwned>(s)
    })
    .unwrap();
    r.register_sync_args(
        "sum",
        &["scale", "values"],
        |Variadic((scale, values)): Variadic<(i64, Vec<i64>)>, _| {
            Ok::<_, ErrorObjectOwned>(scale.wrapping_mul(values.iter().fold(0, |a, v| a ^ v)))
        },
    )
    .unwrap();
    r.register_sync_args("boom", &[], |(): (), _| -> Result<(), ErrorObjectOwned> {
        panic!("boom")
    })
    .unwrap();
    r.register_async_args(
        "later",
        &["a", "b"],
        |(a, b): (i64, Option<i64>), _| async move {
            Ok::<_, ErrorObjectOwned>(a.wrapping_sub(b.unwrap_or(0)))
        },
    )
    .unwrap();
    r
}

/// A check that refuses `none` before it runs.
fn refuse_none(method: &str, _ctx: &Context) -> Result<(), rpc_runtime::MethodError> {
    if method == "none" {
        Err(rpc_runtime::protocol::ErrorObject::new(4001, "refused").into())
    } else {
        Ok(())
    }
}

/// The same methods, each decoding its raw params itself.
fn general_router() -> Router {
    let mut r = Router::new();
    r.register_sync("add", |p, _| {
        let (a, b): (i64, Option<i64>) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a.wrapping_add(b.unwrap_or(0)))
    })
    .unwrap();
    r.register_sync("none", |p, _| {
        p.decode::<()>(&[])?;
        Ok::<_, ErrorObjectOwned>("none")
    })
    .unwrap();
    r.register_sync("name", |p, _| {
        let (s,): (String,) = p.decode(&["s"])?;
        Ok::<_, ErrorObjectOwned>(s)
    })
    .unwrap();
    r.register_sync("sum", |p, _| {
        let Variadic((scale, values)) =
            p.decode::<Variadic<(i64, Vec<i64>)>>(&["scale", "values"])?;
        Ok::<_, ErrorObjectOwned>(scale.wrapping_mul(values.iter().fold(0, |a, v| a ^ v)))
    })
    .unwrap();
    r.register_sync("boom", |p, _| -> Result<(), ErrorObjectOwned> {
        p.decode::<()>(&[])?;
        panic!("boom")
    })
    .unwrap();
    r.register_async("later", |p, _| {
        let args = p.decode::<(i64, Option<i64>)>(&["a", "b"]);
        async move {
            let (a, b) = args?;
            Ok::<_, ErrorObjectOwned>(a.wrapping_sub(b.unwrap_or(0)))
        }
    })
    .unwrap();
    r
}

/// A layer that only passes each call on.
struct PassOn(Next);

impl CallService for PassOn {
    fn call<'a>(
        &'a self,
        call: Call<'a>,
    ) -> impl std::future::Future<Output = MethodOutput> + Send + 'a {
        self.0.call(call)
    }
}

/// Every text gets one answer from the single-pass and the general router,
/// with no layer and with one that passes calls on, and from both with a
/// refusing check where `none` is concerned.
fn assert_all_agree(text: &str) -> Result<(), TestCaseError> {
    let fast = answer(&single_pass_router(), text);
    prop_assert_eq!(&fast, &answer(&general_router(), text), "general: {}", text);
    let layered = |router: Router| router.layer(tower_layer::layer_fn(PassOn));
    prop_assert_eq!(
        &fast,
        &answer(&layered(single_pass_router()), text),
        "layered single pass: {}",
        text
    );
    prop_assert_eq!(
        &fast,
        &answer(&layered(general_router()), text),
        "layered general: {}",
        text
    );
    let checked_fast = answer(&single_pass_router().before_call(refuse_none), text);
    let checked_general = answer(&general_router().before_call(refuse_none), text);
    prop_assert_eq!(checked_fast, checked_general, "checked: {}", text);
    Ok(())
}

fn answer(router: &Router, text: &str) -> Option<String> {
    router
        .handle(text, &Context::new())
        .now_or_never()
        .expect("sync handlers finish at once")
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"2.0\"".to_owned()),
        Just("\"2\\u002e0\"".to_owned()),
        Just("\"1.0\"".to_owned()),
        Just("\"add\"".to_owned()),
        Just("\"a\\u0064d\"".to_owned()),
        Just("\"none\"".to_owned()),
        Just("\"name\"".to_owned()),
        Just("\"boom\"".to_owned()),
        Just("\"later\"".to_owned()),
        Just("\"sum\"".to_owned()),
        Just("{\"scale\":2,\"values\":[1,2]}".to_owned()),
        Just("{\"values\":[1,2]}".to_owned()),
        Just("[2,1,2,3]".to_owned()),
        Just("\"nope\"".to_owned()),
        Just("[1,2]".to_owned()),
        Just("[1]".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[1,2,3]".to_owned()),
        Just("[1,\"x\"]".to_owned()),
        Just("[1, null]".to_owned()),
        Just("[\"a\\\"b\"]".to_owned()),
        Just("{\"a\":1,\"b\":2}".to_owned()),
        Just("{\"b\":2,\"a\":1}".to_owned()),
        Just("{\"a\":1,\"a\":2}".to_owned()),
        Just("{\"a\":1,\"c\":2}".to_owned()),
        Just("{\"s\":\"x\"}".to_owned()),
        Just("[1e400, 2]".to_owned()),
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("\"x\"".to_owned()),
        Just("1".to_owned()),
        Just("-0".to_owned()),
        Just("1.5".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("1e99999".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z\\\\\"é]{0,5}".prop_map(|s| serde_json::to_string(&s).unwrap()),
    ]
}

fn key() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("jsonrpc"),
        4 => Just("method"),
        4 => Just("params"),
        4 => Just("id"),
        1 => Just("result"),
        1 => Just("error"),
        1 => Just("extra"),
        1 => Just("me\\u0074hod"),
    ]
}

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("\n\t ")]
}

/// An object of members drawn from the vocabulary above, in any order,
/// sometimes repeated; sometimes cut short or followed by junk.
fn message() -> impl Strategy<Value = String> {
    let member = (key(), value(), space(), space());
    (
        prop::collection::vec(member, 0..7),
        space(),
        prop_oneof![8 => Just(""), 1 => Just(" x"), 1 => Just("}")],
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(members, lead, tail, cut, truncate)| {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v, s1, s2)| format!("{s1}\"{k}\"{s2}:{s2}{v}"))
                .collect();
            let text = format!("{lead}{{{}}}{tail}", body.join(","));
            if truncate {
                let at = cut.index(text.len());
                text.get(..at).map(str::to_owned).unwrap_or(text)
            } else {
                text
            }
        })
}

/// A plain request to a real method, as clients send them.
fn plain_request() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("add"),
            Just("none"),
            Just("name"),
            Just("boom"),
            Just("later"),
            Just("sum")
        ],
        prop_oneof![
            Just(None),
            Just(Some("[1,2]")),
            Just(Some("[5]")),
            Just(Some("{\"b\":2,\"a\":1}")),
            Just(Some("[]")),
            Just(Some("{\"s\":\"hi\"}")),
            Just(Some("[\"hi\"]")),
            Just(Some("[2,1,2,3]")),
            Just(Some("{\"scale\":3,\"values\":[5]}")),
        ],
        prop_oneof![
            Just(None),
            Just(Some("7")),
            Just(Some("\"x\"")),
            Just(Some("null"))
        ],
        any::<bool>(),
    )
        .prop_map(|(method, params, id, id_first)| {
            let mut members = vec![format!("\"method\":\"{method}\"")];
            if let Some(p) = params {
                members.push(format!("\"params\":{p}"));
            }
            if let Some(id) = id {
                let id = format!("\"id\":{id}");
                if id_first {
                    members.insert(0, id);
                } else {
                    members.push(id);
                }
            }
            members.insert(0, "\"jsonrpc\":\"2.0\"".to_owned());
            format!("{{{}}}", members.join(","))
        })
}

/// A plain request with random members inserted: duplicates, extras,
/// escaped names, wrong values.
fn near_plain_request() -> impl Strategy<Value = String> {
    (
        plain_request(),
        prop::collection::vec((key(), value(), any::<prop::sample::Index>()), 1..3),
    )
        .prop_map(|(plain, inserts)| {
            let mut text = plain;
            for (k, v, at) in inserts {
                // Members start after `{` or a `,` outside strings; plain
                // requests have no commas inside their strings.
                let starts: Vec<usize> = text
                    .char_indices()
                    .filter(|&(_, c)| c == '{' || c == ',')
                    .map(|(i, _)| i + 1)
                    .take(1 + text.matches(',').count())
                    .collect();
                let at = starts[at.index(starts.len())];
                text.insert_str(at, &format!("\"{k}\":{v},"));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn both_paths_answer_every_text_alike(text in message()) {
        assert_all_agree(&text)?;
    }

    #[test]
    fn both_paths_answer_near_plain_requests_alike(text in near_plain_request()) {
        assert_all_agree(&text)?;
    }

    #[test]
    fn both_paths_answer_plain_requests_alike(text in plain_request()) {
        assert_all_agree(&text)?;
    }
}

#[test]
fn the_usual_requests_are_answered() {
    let fast = single_pass_router();
    let cases = [
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
            Some(r#"{"jsonrpc":"2.0","result":3,"id":1}"#),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"a","method":"add","params":{"a":1}}"#,
            Some(r#"{"jsonrpc":"2.0","result":1,"id":"a"}"#),
        ),
        (r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#, None),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,"x"],"id":2}"#,
            Some(
                r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"invalid type for parameter \"b\": expected i64, found string \"x\""},"id":2}"#,
            ),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"later","params":{"b":2,"a":5},"id":4}"#,
            Some(r#"{"jsonrpc":"2.0","result":3,"id":4}"#),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"boom","id":3}"#,
            Some(r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":3}"#),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(answer(&fast, text).as_deref(), want, "{text}");
    }
    let refused = r#"{"jsonrpc":"2.0","method":"none","id":5}"#;
    let want = r#"{"jsonrpc":"2.0","error":{"code":4001,"message":"refused"},"id":5}"#;
    for router in [single_pass_router(), general_router()] {
        assert_eq!(
            answer(&router.before_call(refuse_none), refused).as_deref(),
            Some(want)
        );
    }
}

/// An argument type whose decoder panics on 13.
struct Touchy(i64);

impl<'de> serde::Deserialize<'de> for Touchy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        assert_ne!(n, 13, "unlucky");
        Ok(Touchy(n))
    }
}

#[test]
fn a_decoder_that_panics_is_an_internal_error_with_the_request_id() {
    let mut r = Router::new();
    r.register_sync_args("touchy", &["n"], |(Touchy(n),): (Touchy,), _| {
        Ok::<_, ErrorObjectOwned>(n)
    })
    .unwrap();
    r.register_async_args(
        "touchy_later",
        &["n"],
        |(Touchy(n),): (Touchy,), _| async move { Ok::<_, ErrorObjectOwned>(n) },
    )
    .unwrap();
    for method in ["touchy", "touchy_later"] {
        let unlucky = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":[13],"id":9}}"#);
        assert_eq!(
            answer(&r, &unlucky).as_deref(),
            Some(r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":9}"#),
            "{method}"
        );
        let fine = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":[12],"id":10}}"#);
        assert_eq!(
            answer(&r, &fine).as_deref(),
            Some(r#"{"jsonrpc":"2.0","result":12,"id":10}"#),
            "{method}"
        );
    }
}

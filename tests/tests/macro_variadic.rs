//! `#[param(variadic)]`: the last argument takes every remaining positional
//! param, as the specification's own `sum` example needs; by name it is an
//! array, and left out it is empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpc_runtime::{rpc, Context, Router};
use serde_json::{json, Value};
use tests::Recording;

#[rpc]
trait Arithmetic {
    /// The sum of any number of values.
    #[method]
    fn sum(&self, #[param(variadic)] values: Vec<i64>) -> i64;

    /// Each value times `scale`.
    #[method]
    async fn scale(&self, factor: i64, #[param(variadic)] values: Vec<i64>) -> Vec<i64>;

    /// Named on the client side: the variadic argument travels as an array.
    #[method(client_params = "named")]
    fn joined(&self, separator: String, #[param(variadic)] words: Vec<String>) -> String;
}

struct Calc;

impl Arithmetic for Calc {
    fn sum(&self, values: Vec<i64>) -> i64 {
        values.iter().sum()
    }

    async fn scale(&self, factor: i64, values: Vec<i64>) -> Vec<i64> {
        values.into_iter().map(|v| v * factor).collect()
    }

    fn joined(&self, separator: String, words: Vec<String>) -> String {
        words.join(&separator)
    }
}

async fn answer(router: &Router, request: &str) -> Value {
    let reply = router.handle(request, &Context::new()).await.unwrap();
    serde_json::from_str(&reply).unwrap()
}

#[tokio::test]
async fn the_specification_sum_example_is_served() {
    let router = Calc.into_router();
    let reply = answer(
        &router,
        r#"{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}"#,
    )
    .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "result": 7, "id": "1"}));
}

#[tokio::test]
async fn positional_named_and_absent_forms() {
    let router = Calc.into_router();
    let cases = [
        (r#"[]"#, "sum", json!(0)),
        (r#"{"values": [5, 6]}"#, "sum", json!(11)),
        (r#"{}"#, "sum", json!(0)),
        (r#"[3, 1, 2]"#, "scale", json!([3, 6])),
        (r#"[3]"#, "scale", json!([])),
        (r#"{"factor": 2, "values": [1]}"#, "scale", json!([2])),
        (r#"{"factor": 2}"#, "scale", json!([])),
    ];
    for (params, method, want) in cases {
        let request =
            format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#);
        let reply = answer(&router, &request).await;
        assert_eq!(reply["result"], want, "{request} -> {reply}");
    }
}

#[tokio::test]
async fn bad_params_name_the_variadic_parameter() {
    let router = Calc.into_router();
    let cases = [
        (
            r#"[1, "x"]"#,
            "sum",
            r#"invalid type for parameter "values": expected i64, found string "x""#,
        ),
        (
            r#"{"values": 5}"#,
            "sum",
            r#"invalid type for parameter "values": expected a sequence, found integer `5`"#,
        ),
        (r#"[]"#, "scale", r#"missing required parameter "factor""#),
        (
            r#"{"factor": 2, "extra": 1}"#,
            "scale",
            r#"unknown parameter "extra", expected one of: factor, values"#,
        ),
    ];
    for (params, method, want) in cases {
        let request =
            format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#);
        let reply = answer(&router, &request).await;
        assert_eq!(reply["error"]["code"], -32602, "{request} -> {reply}");
        assert_eq!(reply["error"]["message"], want, "{request} -> {reply}");
    }
}

#[tokio::test]
async fn the_client_sends_the_elements_as_params_of_their_own() {
    let recording = Recording::new(Calc.into_router());
    let client = ArithmeticClient::new(recording.clone());
    assert_eq!(client.sum(vec![1, 2, 4]).await.unwrap(), 7);
    assert_eq!(client.sum(Vec::new()).await.unwrap(), 0);
    assert_eq!(client.scale(10, vec![1, 2]).await.unwrap(), [10, 20]);
    let words = vec!["a".to_owned(), "b".to_owned()];
    assert_eq!(client.joined("-".into(), words).await.unwrap(), "a-b");
    // Flattened when positional, an array when named.
    let sent: Vec<Option<String>> = recording.sent().into_iter().map(|(_, p)| p).collect();
    let sent: Vec<&str> = sent.iter().flatten().map(String::as_str).collect();
    assert_eq!(
        sent,
        [
            "[1,2,4]",
            "[]",
            "[10,1,2]",
            r#"{"separator":"-","words":["a","b"]}"#
        ]
    );
}

#[test]
fn the_document_marks_the_variadic_parameter_optional() {
    let router = Calc.into_router();
    let info = router.methods();
    let scale = info.iter().find(|m| m.name == "scale").unwrap();
    assert_eq!(scale.params, ["factor", "values"]);
    let doc = serde_json::to_value(router.openrpc_document(&Default::default())).unwrap();
    let method = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "scale")
        .unwrap();
    assert_eq!(method["params"][0]["required"], true);
    assert_eq!(method["params"][1]["required"], false);
    let description = method["params"][1]["description"].as_str().unwrap();
    assert!(description.starts_with("Variadic"), "{description}");
}

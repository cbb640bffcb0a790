//! Shared support for the end-to-end tests: the methods the JSON-RPC 2.0
//! specification's examples assume, the specification's own examples as
//! test vectors with the comparison rules their file states, and a caller
//! that records what generated clients send.
// Test support: a panic is how a failed check reports itself.
#![allow(clippy::missing_panics_doc, clippy::expect_used, clippy::unwrap_used)]

mod recording;

pub use recording::{Recording, Sent};

use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::Router;
use serde::Deserialize;
use serde_json::Value;

/// A router with exactly the methods the specification's examples assume:
/// `subtract` (positional `[minuend, subtrahend]` or named), `sum`
/// (variadic), `update`, `notify_hello`, `notify_sum`, and `get_data`
/// returning `["hello", 5]`. There is no `foobar` and no `foo.get`.
pub fn spec_router() -> Router {
    let mut router = Router::new();
    fn register<T>(registered: Result<T, rpc_runtime::RegisterError>) {
        registered.expect("the spec's method names are valid and distinct");
    }
    register(router.register_sync("subtract", |params, _| {
        let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
        Ok::<_, ErrorObjectOwned>(minuend - subtrahend)
    }));
    register(router.register_sync("sum", |params, _| {
        Ok::<_, ErrorObjectOwned>(params.parse::<Vec<i64>>()?.iter().sum::<i64>())
    }));
    register(router.register_sync("update", |params, _| params.parse::<Vec<i64>>().map(drop)));
    register(router.register_sync("notify_hello", |params, _| {
        params.parse::<Vec<i64>>().map(drop)
    }));
    register(router.register_sync("notify_sum", |params, _| {
        params.parse::<Vec<i64>>().map(drop)
    }));
    register(router.register_sync("get_data", |params, _| {
        params.decode::<()>(&[])?;
        Ok::<_, ErrorObjectOwned>(("hello", 5))
    }));
    router
}

/// One example of the specification.
#[derive(Debug, Deserialize)]
pub struct Vector {
    /// The example's name in the specification.
    pub name: String,
    /// The exact text to send.
    pub request: String,
    /// The expected response; `None` means no response at all.
    pub response: Option<Value>,
}

/// The specification's examples, from the copy kept in `tests/spec/`.
#[must_use]
pub fn spec_vectors() -> Vec<Vector> {
    #[derive(Deserialize)]
    struct File {
        vectors: Vec<Vector>,
    }
    let text = include_str!("../spec/jsonrpc2-examples.json");
    serde_json::from_str::<File>(text)
        .expect("the vector file is valid JSON")
        .vectors
}

/// Checks a response against a vector: nothing when none is due; otherwise
/// success responses compare whole, error responses by code and id, and
/// batches as multisets. Panics with the vector's name on a mismatch.
pub fn check_vector(vector: &Vector, actual: Option<&str>) {
    let name = &vector.name;
    let Some(expected) = &vector.response else {
        assert!(
            actual.is_none_or(str::is_empty),
            "{name}: expected no response, got {actual:?}"
        );
        return;
    };
    let actual = actual.unwrap_or_else(|| panic!("{name}: expected a response, got none"));
    let actual: Value = serde_json::from_str(actual)
        .unwrap_or_else(|e| panic!("{name}: response is not JSON ({e}): {actual}"));
    match (expected, &actual) {
        (Value::Array(want), Value::Array(got)) => {
            let mut want: Vec<String> = want.iter().map(|r| comparable(name, r)).collect();
            let mut got: Vec<String> = got.iter().map(|r| comparable(name, r)).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{name}: batch responses differ");
        }
        (Value::Object(_), Value::Object(_)) => {
            assert_eq!(
                comparable(name, &actual),
                comparable(name, expected),
                "{name}"
            );
        }
        _ => panic!("{name}: expected {expected}, got {actual}"),
    }
}

/// The parts of a response the vectors' rules compare, as one string; also
/// checks the response's shape.
fn comparable(name: &str, response: &Value) -> String {
    assert_eq!(response["jsonrpc"], "2.0", "{name}: {response}");
    let has_result = response.get("result").is_some();
    let has_error = response.get("error").is_some();
    assert!(
        has_result != has_error,
        "{name}: exactly one of result and error: {response}"
    );
    let id = response
        .get("id")
        .unwrap_or_else(|| panic!("{name}: no id in {response}"));
    if has_error {
        let code = &response["error"]["code"];
        assert!(
            code.is_i64(),
            "{name}: error code must be an integer: {response}"
        );
        assert!(
            response["error"]["message"].is_string(),
            "{name}: error message must be a string: {response}"
        );
        format!("error {code} id {id}")
    } else {
        format!("result {} id {id}", response["result"])
    }
}

/// The README's code examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

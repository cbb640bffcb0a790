//! The issue's `Calculator` trait end to end: generated server and client
//! talking through the in-process caller (real JSON text both ways).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use rpc_runtime::client::{Caller, ClientError, LocalCaller};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::{rpc, Context, RpcError};

/// Errors of the calculator.
#[derive(Debug, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum CalcError {
    /// The result does not fit in an `i64`.
    #[error("overflow computing {0} - {1}")]
    #[rpc(code = 1001)]
    Overflow(i64, i64),
    /// Negative numbers are refused today.
    #[error("negative subtrahend {subtrahend}")]
    #[rpc(code = 1002, message = "negative subtrahend")]
    Negative {
        /// The offending value.
        subtrahend: i64,
    },
}

/// Arithmetic over JSON-RPC.
#[rpc(namespace = "math")]
pub trait Calculator {
    /// Adds two numbers.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Subtracts `subtrahend` from `minuend`.
    #[method(name = "subtract", aliases = ["sub"])]
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError>;
    /// Multiplies `x` by `factor`, or by one.
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64;
    /// Writes a line to the server's log.
    #[notification]
    async fn log(&self, line: String);
    /// The server's version.
    fn version(&self) -> String;
    /// The caller's user name, from the connection's context.
    async fn whoami(&self, ctx: &Context) -> Option<String>;
    /// Sums `0..n` on the blocking pool; returns the sum and the thread.
    #[method(blocking)]
    fn heavy_sum(&self, n: u64) -> (u64, String);
    /// The thread a plain sync method runs on.
    fn sync_thread(&self) -> String;
}

#[derive(Default)]
struct Calc {
    log: Mutex<Vec<String>>,
}

struct User(String);

fn thread_tag(id: ThreadId) -> String {
    format!("{id:?}")
}

impl Calculator for Arc<Calc> {
    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, CalcError> {
        if subtrahend < 0 {
            return Err(CalcError::Negative { subtrahend });
        }
        minuend
            .checked_sub(subtrahend)
            .ok_or(CalcError::Overflow(minuend, subtrahend))
    }
    async fn scale(&self, x: f64, factor: Option<f64>) -> f64 {
        x * factor.unwrap_or(1.0)
    }
    async fn log(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }
    fn version(&self) -> String {
        "1.2.3".to_owned()
    }
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.get::<User>().map(|user| user.0.clone())
    }
    fn heavy_sum(&self, n: u64) -> (u64, String) {
        ((0..n).sum(), thread_tag(thread::current().id()))
    }
    fn sync_thread(&self) -> String {
        thread_tag(thread::current().id())
    }
}

fn setup() -> (Arc<Calc>, CalculatorClient<LocalCaller>) {
    let calc = Arc::new(Calc::default());
    let client = CalculatorClient::new(LocalCaller::new(Arc::clone(&calc).into_router()));
    (calc, client)
}

#[tokio::test]
async fn positional_calls_return_typed_results() {
    let (_, client) = setup();
    assert_eq!(client.add(40, 2).await.unwrap(), 42);
    assert_eq!(client.subtract(10, 4).await.unwrap(), 6);
    assert_eq!(client.scale(2.5, Some(4.0)).await.unwrap(), 10.0);
    assert_eq!(client.version().await.unwrap(), "1.2.3");
}

#[tokio::test]
async fn every_method_accepts_named_params_too() {
    let (_, client) = setup();
    let caller = client.caller();
    let params =
        EncodedParams::from_value(&serde_json::json!({"subtrahend": 2, "minuend": 7})).unwrap();
    let diff: i64 = caller.call("math.subtract", params).await.unwrap();
    assert_eq!(diff, 5);
}

#[tokio::test]
async fn optional_trailing_argument_may_be_omitted() {
    let (_, client) = setup();
    assert_eq!(client.scale(3.0, None).await.unwrap(), 3.0);
    let caller = client.caller();
    let omitted: f64 = caller
        .call("math.scale", EncodedParams::from_value(&[3.5]).unwrap())
        .await
        .unwrap();
    assert_eq!(omitted, 3.5);
    let named: f64 = caller
        .call(
            "math.scale",
            EncodedParams::from_value(&serde_json::json!({"x": 2.0})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(named, 2.0);
}

#[tokio::test]
async fn alias_and_namespace_name_the_same_handler() {
    let (calc, client) = setup();
    let via_alias: i64 = client
        .caller()
        .call("math.sub", EncodedParams::from_value(&[9, 3]).unwrap())
        .await
        .unwrap();
    assert_eq!(via_alias, 6);
    let unprefixed = client
        .caller()
        .call::<i64>("subtract", EncodedParams::from_value(&[9, 3]).unwrap())
        .await
        .unwrap_err();
    assert_eq!(unprefixed.rpc_error().map(|e| e.code), Some(-32601));

    let router = calc.into_router();
    assert_eq!(
        router.method_names(),
        [
            "math.add",
            "math.heavy_sum",
            "math.log",
            "math.scale",
            "math.sub",
            "math.subtract",
            "math.sync_thread",
            "math.version",
            "math.whoami"
        ]
    );
    let infos = router.methods();
    let subtract = infos.iter().find(|m| m.name == "math.subtract").unwrap();
    assert_eq!(subtract.params, ["minuend", "subtrahend"]);
    let sub = infos.iter().find(|m| m.name == "math.sub").unwrap();
    assert_eq!(sub.alias_of.as_deref(), Some("math.subtract"));
    let log = infos.iter().find(|m| m.name == "math.log").unwrap();
    assert!(log.notification);
    let whoami = infos.iter().find(|m| m.name == "math.whoami").unwrap();
    assert!(whoami.params.is_empty(), "the context is not a JSON param");
}

#[tokio::test]
async fn application_errors_come_back_typed() {
    let (_, client) = setup();
    match client.subtract(1, -5).await {
        Err(ClientError::Application(error)) => {
            assert_eq!(error, CalcError::Negative { subtrahend: -5 });
        }
        other => panic!("expected the typed error, got {other:?}"),
    }
    match client.subtract(i64::MIN, 1).await {
        Err(ClientError::Application(error)) => {
            assert_eq!(error, CalcError::Overflow(i64::MIN, 1));
        }
        other => panic!("expected the typed error, got {other:?}"),
    }
    // The wire form: code, message from the attribute or Display, data = the value.
    let raw = client
        .caller()
        .call::<i64>(
            "math.subtract",
            EncodedParams::from_value(&[1, -5]).unwrap(),
        )
        .await
        .unwrap_err();
    let object = raw.rpc_error().unwrap();
    assert_eq!(object.code, 1002);
    assert_eq!(object.message, "negative subtrahend");
    assert_eq!(
        object.data_as::<serde_json::Value>().unwrap(),
        Some(serde_json::json!({"Negative": {"subtrahend": -5}}))
    );
}

#[tokio::test]
async fn protocol_errors_stay_protocol_errors() {
    let (_, client) = setup();
    let bad = client
        .caller()
        .call::<i64>(
            "math.subtract",
            EncodedParams::from_value(&serde_json::json!([1, "x"])).unwrap(),
        )
        .await
        .unwrap_err()
        .with_app_error::<CalcError>();
    match bad {
        ClientError::Rpc(object) => {
            assert_eq!(object.code, -32602);
            assert!(object.message.contains("subtrahend"), "{}", object.message);
        }
        other => panic!("expected -32602, got {other:?}"),
    }
}

#[tokio::test]
async fn notification_runs_the_handler_and_gets_no_reply() {
    let (calc, client) = setup();
    client.log("first".to_owned()).await.unwrap();
    client.log("second".to_owned()).await.unwrap();
    assert_eq!(*calc.log.lock().unwrap(), ["first", "second"]);
    // LocalCaller::notify fails if the router answers, so Ok proves no reply.
}

#[tokio::test]
async fn context_comes_from_the_connection_not_the_params() {
    let calc = Arc::new(Calc::default());
    let ctx = Context::new();
    ctx.insert(User("alice".to_owned()));
    let client = CalculatorClient::new(LocalCaller::with_context(calc.into_router(), ctx));
    assert_eq!(client.whoami().await.unwrap().as_deref(), Some("alice"));

    let (_, anonymous) = setup();
    assert_eq!(anonymous.whoami().await.unwrap(), None);
}

#[tokio::test]
async fn blocking_methods_run_off_the_async_worker() {
    let (_, client) = setup();
    let here = thread_tag(thread::current().id());
    let (sum, there) = client.heavy_sum(1_000).await.unwrap();
    assert_eq!(sum, 499_500);
    assert_ne!(there, here, "a blocking method runs on the blocking pool");
    // A plain sync method runs in place, on the calling task's thread.
    assert_eq!(client.sync_thread().await.unwrap(), here);
}

#[test]
fn derived_rpc_error_declares_its_codes() {
    let declared = CalcError::declared_errors();
    let pairs: Vec<(i32, &str)> = declared.iter().map(|e| (e.code, &*e.message)).collect();
    assert_eq!(pairs, [(1001, "Overflow"), (1002, "negative subtrahend")]);
    let object = CalcError::Overflow(1, 2).to_error_object();
    assert_eq!(object.message, "overflow computing 1 - 2");
    assert_eq!(
        CalcError::from_error_object(&object),
        Some(CalcError::Overflow(1, 2))
    );
    // A code the enum does not declare is not mistaken for it.
    let foreign = rpc_runtime::protocol::ErrorObject::new(1003, "other");
    assert_eq!(CalcError::from_error_object(&foreign), None);
}

//! Typed batches from the generated client: `client.batch()` takes each
//! trait method with its own argument types, wire name, params style and
//! application error, and `answers.get(handle)` gives each call's typed
//! result. Over `LocalCaller` and over a real HTTP server; the wire-name
//! constants in `{trait}_methods` match what the router registers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpc_client::HttpClient;
use rpc_runtime::client::{
    write_batch_request, BatchRequest, BatchResponse, Caller, ClientError, LocalCaller,
};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::protocol::Id;
use rpc_runtime::{rpc, RpcError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Errors of the bank.
#[derive(Debug, PartialEq, thiserror::Error, Serialize, Deserialize, RpcError)]
pub enum BankError {
    /// Not enough money.
    #[error("insufficient funds for {0}")]
    #[rpc(code = 3001)]
    Insufficient(u64),
}

/// Something to store; its params cannot be encoded when `fail` is set.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Item {
    fail: bool,
}

impl Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.fail {
            return Err(serde::ser::Error::custom("this item refuses to be encoded"));
        }
        #[derive(Serialize)]
        struct Plain {
            fail: bool,
        }
        Plain { fail: self.fail }.serialize(serializer)
    }
}

/// A bank holding 100 (calls do not change it, so the answers do not
/// depend on the order the server runs a batch's calls in).
#[rpc(namespace = "bank")]
pub trait Bank {
    /// What is left after withdrawing `amount`.
    fn withdraw(&self, amount: u64) -> Result<u64, BankError>;
    /// The balance.
    fn balance(&self) -> u64;
    /// Records a line; no reply.
    #[notification]
    fn audit(&self, line: String);
    /// Describes a transfer; sent with named params.
    #[method(client_params = "named")]
    fn transfer(
        &self,
        from: String,
        #[param(rename = "to")] destination: String,
        amount: u64,
    ) -> String;
    /// The last `limit` movements, under another name.
    #[method(name = "history")]
    async fn statement(&self, limit: Option<u32>) -> Vec<u64>;
    /// The sum of every amount given.
    fn deposit_all(&self, #[param(variadic)] amounts: Vec<u64>) -> u64;
    /// Whether the item was stored.
    fn store(&self, item: Item) -> bool;
}

#[derive(Default)]
struct Shared {
    audit: Mutex<Vec<String>>,
}

impl Bank for Arc<Shared> {
    fn withdraw(&self, amount: u64) -> Result<u64, BankError> {
        100u64
            .checked_sub(amount)
            .ok_or(BankError::Insufficient(amount))
    }
    fn balance(&self) -> u64 {
        100
    }
    fn audit(&self, line: String) {
        self.audit.lock().unwrap().push(line);
    }
    fn transfer(&self, from: String, destination: String, amount: u64) -> String {
        format!("{amount} from {from} to {destination}")
    }
    async fn statement(&self, limit: Option<u32>) -> Vec<u64> {
        (0..u64::from(limit.unwrap_or(3))).collect()
    }
    fn deposit_all(&self, amounts: Vec<u64>) -> u64 {
        amounts.iter().sum()
    }
    fn store(&self, item: Item) -> bool {
        !item.fail
    }
}

/// Passes everything on to `inner`, keeping the text of each batch sent.
struct Recorder<C> {
    inner: C,
    batches: Mutex<Vec<Value>>,
}

impl<C> Recorder<C> {
    fn new(inner: C) -> Self {
        Self {
            inner,
            batches: Mutex::default(),
        }
    }
}

impl<C: Caller> Caller for Recorder<C> {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.inner.call(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        self.inner.notify(method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        let (text, _) = write_batch_request(&batch, || Id::number(0));
        self.batches
            .lock()
            .unwrap()
            .push(serde_json::from_str(&text).unwrap());
        self.inner.batch(batch).await
    }
}

/// One batch mixing every kind of entry; the same assertions whatever
/// carries it. Returns the batch as sent.
async fn exercise<C: Caller>(client: &BankClient<Recorder<C>>, shared: &Shared) -> Value {
    let mut batch = client.batch();
    let left = batch.withdraw(10);
    let refused = batch.withdraw(1_000);
    let balance = batch.balance();
    batch.audit("batched".to_owned());
    let transfer = batch.transfer("alice".to_owned(), "bob".to_owned(), 5);
    let statement = batch.statement(Some(2));
    let deposited = batch.deposit_all(vec![1, 2, 4]);
    let answers = batch.send().await.unwrap();

    assert_eq!(answers.get(left).unwrap(), 90);
    match answers.get(refused) {
        Err(ClientError::Application(error)) => assert_eq!(error, BankError::Insufficient(1_000)),
        other => panic!("expected the typed application error, got {other:?}"),
    }
    let balance: Result<u64, ClientError> = balance.take(&answers);
    assert_eq!(balance.unwrap(), 100);
    assert_eq!(answers.get(transfer).unwrap(), "5 from alice to bob");
    assert_eq!(answers.get(statement).unwrap(), [0, 1]);
    assert_eq!(answers.get(deposited).unwrap(), 7);
    // A handle is `Copy`: it can be read again.
    assert_eq!(answers.get(left).unwrap(), 90);
    // Six calls answered; the notification got no answer.
    assert_eq!(answers.raw().len(), 6);

    let deadline = Instant::now() + Duration::from_secs(5);
    while shared.audit.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(*shared.audit.lock().unwrap(), ["batched"]);

    client.caller().batches.lock().unwrap().pop().unwrap()
}

/// The batch as sent: wire names, params styles, the notification's lack
/// of an id.
fn assert_wire(sent: &Value) {
    let entries: Vec<(Value, Value, bool)> = sent
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].clone(),
                e["params"].clone(),
                e.get("id").is_some(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (json!("bank.withdraw"), json!([10]), true),
            (json!("bank.withdraw"), json!([1000]), true),
            (json!("bank.balance"), Value::Null, true),
            (json!("bank.audit"), json!(["batched"]), false),
            (
                json!("bank.transfer"),
                json!({"from": "alice", "to": "bob", "amount": 5}),
                true
            ),
            (json!("bank.history"), json!([2]), true),
            (json!("bank.deposit_all"), json!([1, 2, 4]), true),
        ]
    );
}

/// An entry whose params do not encode fails `send` with
/// `ClientError::Encode`, and nothing is sent.
async fn encode_error<C: Caller>(client: &BankClient<Recorder<C>>) {
    let sent_before = client.caller().batches.lock().unwrap().len();
    let mut batch = client.batch();
    let _balance = batch.balance();
    let _stored = batch.store(Item { fail: true });
    let _also = batch.store(Item { fail: false });
    match batch.send().await {
        Err(ClientError::Encode(error)) => {
            assert!(error.to_string().contains("item"), "{error}");
            assert!(
                std::error::Error::source(&error)
                    .unwrap()
                    .to_string()
                    .contains("refuses"),
                "{error}"
            );
        }
        other => panic!("expected an encode error, got {other:?}"),
    }
    assert_eq!(client.caller().batches.lock().unwrap().len(), sent_before);

    // The same item encodes fine when it can.
    let mut batch = client.batch();
    let stored = batch.store(Item { fail: false });
    assert!(batch.send().await.unwrap().get(stored).unwrap());
}

#[tokio::test]
async fn a_typed_batch_over_a_local_caller() {
    let shared = Arc::new(Shared::default());
    let client = BankClient::new(Recorder::new(LocalCaller::new(
        Arc::clone(&shared).into_router(),
    )));
    let sent = exercise(&client, &shared).await;
    assert_wire(&sent);
    encode_error(&client).await;
}

#[tokio::test]
async fn a_typed_batch_over_http() {
    let shared = Arc::new(Shared::default());
    let server = rpc_runtime::server::Server::builder()
        .build(Arc::clone(&shared).into_router())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("http://{}/", server.local_addr());
    let client = BankClient::new(Recorder::new(HttpClient::new(&url).unwrap()));
    let sent = exercise(&client, &shared).await;
    assert_wire(&sent);
    encode_error(&client).await;
}

#[tokio::test]
async fn an_empty_batch_sends_nothing_and_answers_nothing() {
    let client = BankClient::new(LocalCaller::new(Arc::new(Shared::default()).into_router()));
    let answers = client.batch().send().await.unwrap();
    assert!(answers.raw().is_empty());
}

#[test]
fn the_constants_are_the_registered_names() {
    let router = Arc::new(Shared::default()).into_router();
    let mut constants = vec![
        bank_methods::WITHDRAW,
        bank_methods::BALANCE,
        bank_methods::AUDIT,
        bank_methods::TRANSFER,
        bank_methods::STATEMENT,
        bank_methods::DEPOSIT_ALL,
        bank_methods::STORE,
    ];
    constants.sort_unstable();
    assert_eq!(router.method_names(), constants);
    assert_eq!(bank_methods::STATEMENT, "bank.history");
    assert_eq!(bank_methods::DEPOSIT_ALL, "bank.deposit_all");
}

#[tokio::test]
async fn the_constants_name_raw_batch_entries() {
    let client = BankClient::new(LocalCaller::new(Arc::new(Shared::default()).into_router()));
    let mut batch = BatchRequest::new();
    let balance = batch.call::<u64>(bank_methods::BALANCE, EncodedParams::none());
    let left = batch.call::<u64>(
        bank_methods::WITHDRAW,
        EncodedParams::from_value(&[1]).unwrap(),
    );
    let answers = client.caller().batch(batch).await.unwrap();
    assert_eq!(answers.get(balance).unwrap(), 100);
    assert_eq!(answers.get(left).unwrap(), 99);
}

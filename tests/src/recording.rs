//! A caller that records what a generated client sends.

use std::sync::{Arc, Mutex};

use rpc_runtime::client::{BatchRequest, BatchResponse, Caller, ClientError, LocalCaller};
use rpc_runtime::params::EncodedParams;
use rpc_runtime::Router;
use serde::de::DeserializeOwned;

/// A call sent: the method name and the params JSON (`None`: no params).
pub type Sent = (String, Option<String>);

/// Passes calls on to a [`LocalCaller`], keeping each call's method name and
/// params JSON in order.
#[derive(Clone)]
pub struct Recording {
    inner: LocalCaller,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl Recording {
    /// Records calls, then answers them with `router`.
    #[must_use]
    pub fn new(router: Router) -> Self {
        Self {
            inner: LocalCaller::new(router),
            sent: Arc::default(),
        }
    }

    /// The last call sent.
    #[must_use]
    pub fn last(&self) -> Sent {
        self.sent().pop().expect("a call was sent")
    }

    /// Every call sent, in order.
    #[must_use]
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    fn record(&self, method: &str, params: &EncodedParams) {
        let json = params.as_json().map(str::to_owned);
        self.sent.lock().unwrap().push((method.to_owned(), json));
    }
}

impl Caller for Recording {
    async fn call<R: DeserializeOwned>(
        &self,
        method: &str,
        params: EncodedParams,
    ) -> Result<R, ClientError> {
        self.record(method, &params);
        self.inner.call(method, params).await
    }

    async fn notify(&self, method: &str, params: EncodedParams) -> Result<(), ClientError> {
        self.record(method, &params);
        self.inner.notify(method, params).await
    }

    async fn batch(&self, batch: BatchRequest) -> Result<BatchResponse, ClientError> {
        self.inner.batch(batch).await
    }
}

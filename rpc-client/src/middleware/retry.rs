//! [`RetryLayer`]: sends idempotent calls again after transient failures.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use rpc_runtime::client::ClientError;
use tower_layer::Layer;

use super::{ClientRequest, ClientResponse, ClientService, RequestKind, RetryPolicy};

/// Retries the calls marked idempotent when they fail in a way that may
/// pass: see [`is_retryable`]. Waits between attempts as the
/// [`RetryPolicy`] says, and gives up after
/// [`max_retries`](RetryPolicy::max_retries) retries with the last error.
///
/// Only calls are retried, never notifications (nothing tells whether one
/// arrived); a batch is retried only when every entry is a call of an
/// idempotent method. Each attempt sends the request again, with its own
/// params, through the layers inside this one: put a
/// [`TimeoutLayer`](super::TimeoutLayer) inside to limit each attempt.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::middleware::{RetryLayer, RetryPolicy, TimeoutLayer};
/// use rpc_client::HttpClient;
///
/// let retry = RetryLayer::new(
///     RetryPolicy::default()
///         .max_retries(3)
///         .initial_backoff(Duration::from_millis(50))
///         .max_backoff(Duration::from_secs(1)),
/// )
/// .idempotent(["get_balance", "get_block"])
/// .idempotent_if(|method| method.starts_with("view_"));
/// let client = HttpClient::builder("http://127.0.0.1:8080")
///     .layer(retry)
///     .layer(TimeoutLayer::new(Duration::from_secs(2))) // per attempt
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Clone)]
#[must_use = "a layer does nothing until it is given to a client builder"]
pub struct RetryLayer {
    policy: RetryPolicy,
    idempotent: Arc<Idempotent>,
}

/// Which methods may be sent twice.
/// A test of a method name.
type Predicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

#[derive(Clone, Default)]
struct Idempotent {
    methods: HashSet<String>,
    predicates: Vec<Predicate>,
}

impl Idempotent {
    fn contains(&self, method: &str) -> bool {
        self.methods.contains(method) || self.predicates.iter().any(|p| p(method))
    }
}

impl fmt::Debug for RetryLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryLayer")
            .field("policy", &self.policy)
            .field("idempotent", &self.idempotent.methods)
            .field("predicates", &self.idempotent.predicates.len())
            .finish()
    }
}

impl RetryLayer {
    /// Retries with `policy`; no method is idempotent until marked so with
    /// [`idempotent`](Self::idempotent) or
    /// [`idempotent_if`](Self::idempotent_if).
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            idempotent: Arc::default(),
        }
    }

    /// Marks these methods idempotent (safe to send twice).
    pub fn idempotent<I, M>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = M>,
        M: Into<String>,
    {
        self.idempotent_mut()
            .methods
            .extend(methods.into_iter().map(Into::into));
        self
    }

    /// Marks idempotent every method for which `predicate` is true.
    pub fn idempotent_if(
        mut self,
        predicate: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.idempotent_mut().predicates.push(Arc::new(predicate));
        self
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    fn idempotent_mut(&mut self) -> &mut Idempotent {
        Arc::make_mut(&mut self.idempotent)
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<S>;

    fn layer(&self, inner: S) -> Retry<S> {
        Retry {
            inner,
            policy: self.policy,
            idempotent: Arc::clone(&self.idempotent),
        }
    }
}

/// The service of a [`RetryLayer`].
#[derive(Clone)]
pub struct Retry<S> {
    inner: S,
    policy: RetryPolicy,
    idempotent: Arc<Idempotent>,
}

impl<S: fmt::Debug> fmt::Debug for Retry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<S> Retry<S> {
    /// Whether `request` may be sent more than once.
    fn may_retry(&self, request: &ClientRequest) -> bool {
        match request.kind() {
            RequestKind::Call => request
                .method()
                .is_some_and(|m| self.idempotent.contains(m)),
            RequestKind::Batch => request.as_batch().is_some_and(|batch| {
                batch.call_count() == batch.len()
                    && batch.methods().all(|m| self.idempotent.contains(m))
            }),
            _ => false,
        }
    }
}

impl<S: ClientService> ClientService for Retry<S> {
    async fn call(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        if self.policy.max_retries == 0 || !self.may_retry(&request) {
            return self.inner.call(request).await;
        }
        let mut retry = 0;
        loop {
            if retry == self.policy.max_retries {
                return self.inner.call(request).await;
            }
            match self.inner.call(request.clone()).await {
                Err(error) if is_retryable(&error) => {
                    let wait = self.policy.backoff(retry);
                    tracing::debug!(
                        target: super::CALLS_TARGET,
                        method = %request.method_label(),
                        retry = retry + 1,
                        ?wait,
                        %error,
                        "retrying"
                    );
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

/// Whether a failed attempt may pass if sent again: a transport failure
/// (including a dropped WebSocket connection, [`ClientError::Closed`]), a
/// timeout, or HTTP status 429 or 5xx. Not a JSON-RPC error object (the
/// server did answer), nor an unparsable, invalid or undecodable response.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::middleware::is_retryable;
/// use rpc_client::ClientError;
///
/// assert!(is_retryable(&ClientError::Timeout(Duration::from_secs(1))));
/// assert!(is_retryable(&ClientError::HttpStatus { status: 503, body: String::new() }));
/// assert!(is_retryable(&ClientError::HttpStatus { status: 429, body: String::new() }));
/// assert!(!is_retryable(&ClientError::HttpStatus { status: 404, body: String::new() }));
/// let not_a_number = serde_json::from_str::<u64>("\"x\"").unwrap_err();
/// assert!(!is_retryable(&ClientError::Decode(not_a_number)));
/// ```
#[must_use]
pub fn is_retryable(error: &ClientError) -> bool {
    match error {
        ClientError::Transport(_) | ClientError::Timeout(_) | ClientError::Closed(_) => true,
        ClientError::HttpStatus { status, .. } => *status == 429 || (500..600).contains(status),
        _ => false,
    }
}

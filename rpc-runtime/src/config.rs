use std::time::Duration;

/// How a [`Router`](crate::Router) treats the messages it handles.
///
/// ```
/// use rpc_runtime::RouterConfig;
/// let config = RouterConfig::default().with_max_batch_len(50).with_jsonrpc1_compat(true);
/// assert_eq!(config.max_batch_len, 50);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
#[must_use]
pub struct RouterConfig {
    /// The longest batch accepted; a longer one is one `-32600` that says the
    /// limit. Default 1,000.
    pub max_batch_len: usize,
    /// How many members of one batch run at the same time. Default 64.
    pub batch_concurrency: usize,
    /// Accept JSON-RPC 1.0 requests (no `jsonrpc` member) and answer them in
    /// 1.0's shape. Default off: such a request is `-32600`.
    pub jsonrpc1_compat: bool,
    /// Put an internal error's detail in the response's `data`. Default off,
    /// so internals do not leak to callers.
    pub expose_internal_errors: bool,
    /// The longest a single call may run before it is answered with
    /// `-32000` (needs a Tokio runtime). Default none.
    pub call_timeout: Option<Duration>,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            max_batch_len: 1000,
            batch_concurrency: 64,
            jsonrpc1_compat: false,
            expose_internal_errors: false,
            call_timeout: None,
        }
    }
}

impl RouterConfig {
    /// Sets [`max_batch_len`](Self::max_batch_len).
    pub fn with_max_batch_len(mut self, len: usize) -> Self {
        self.max_batch_len = len;
        self
    }

    /// Sets [`batch_concurrency`](Self::batch_concurrency) (at least 1).
    pub fn with_batch_concurrency(mut self, n: usize) -> Self {
        self.batch_concurrency = n.max(1);
        self
    }

    /// Sets [`jsonrpc1_compat`](Self::jsonrpc1_compat).
    pub fn with_jsonrpc1_compat(mut self, on: bool) -> Self {
        self.jsonrpc1_compat = on;
        self
    }

    /// Sets [`expose_internal_errors`](Self::expose_internal_errors).
    pub fn with_expose_internal_errors(mut self, on: bool) -> Self {
        self.expose_internal_errors = on;
        self
    }

    /// Sets [`call_timeout`](Self::call_timeout).
    pub fn with_call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.call_timeout = timeout;
        self
    }
}

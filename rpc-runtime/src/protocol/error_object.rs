use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The error codes reserved by the JSON-RPC 2.0 specification, and the ones
/// this toolkit uses from the implementation-defined server range.
pub mod codes {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: i32 = -32700;
    /// The JSON sent is not a valid Request object.
    pub const INVALID_REQUEST: i32 = -32600;
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Invalid method parameter(s).
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// Lowest code of the range reserved for implementation-defined server errors.
    pub const SERVER_ERROR_MIN: i32 = -32099;
    /// Highest code of the range reserved for implementation-defined server errors.
    pub const SERVER_ERROR_MAX: i32 = -32000;
    /// A call ran longer than the server's per-call timeout.
    pub const CALL_TIMEOUT: i32 = -32000;
    /// The server refused the call because a limit was reached.
    pub const SERVER_BUSY: i32 = -32001;
    /// A message exceeded the server's size limit.
    pub const TOO_LARGE: i32 = -32002;
    /// A rate limit refused the call (`RateLimitLayer`); its `data` is
    /// `{"retry_after_ms": N}`.
    ///
    /// ```
    /// use rpc_runtime::protocol::codes;
    /// assert!((codes::SERVER_ERROR_MIN..=codes::SERVER_ERROR_MAX).contains(&codes::RATE_LIMITED));
    /// ```
    pub const RATE_LIMITED: i32 = -32005;
    /// A subscription was asked for over a transport that cannot push
    /// (HTTP, in-process): subscriptions need a WebSocket or another
    /// persistent connection.
    ///
    /// ```
    /// use rpc_runtime::protocol::codes;
    /// // The subscription codes follow the rate limit's, in the server range.
    /// let all = [codes::SUBSCRIPTIONS_UNSUPPORTED, codes::TOO_MANY_SUBSCRIPTIONS,
    ///            codes::SUBSCRIBER_TOO_SLOW, codes::SUBSCRIPTION_ENDED];
    /// assert_eq!(all, [-32006, -32007, -32008, -32009]);
    /// assert!(all.iter().all(|&c| (codes::SERVER_ERROR_MIN..=codes::SERVER_ERROR_MAX).contains(&c)));
    /// ```
    pub const SUBSCRIPTIONS_UNSUPPORTED: i32 = -32006;
    /// The connection already has as many subscriptions as it may; `data`
    /// is `{"limit": N}`.
    pub const TOO_MANY_SUBSCRIPTIONS: i32 = -32007;
    /// A subscription whose policy is [`SlowPolicy::End`](crate::subscription::SlowPolicy::End)
    /// was ended because its subscriber did not keep up; sent as the
    /// subscription's last notification.
    pub const SUBSCRIBER_TOO_SLOW: i32 = -32008;
    /// The server ended the subscription (its producer finished, or the
    /// server is shutting down); sent as the subscription's last
    /// notification.
    pub const SUBSCRIPTION_ENDED: i32 = -32009;

    /// Whether `code` lies in the range the specification reserves
    /// (-32768 to -32000).
    ///
    /// ```
    /// assert!(rpc_runtime::protocol::codes::is_reserved(-32601));
    /// assert!(!rpc_runtime::protocol::codes::is_reserved(42));
    /// ```
    #[must_use]
    pub const fn is_reserved(code: i32) -> bool {
        code >= -32768 && code <= -32000
    }
}

/// A JSON-RPC error object: `{"code": .., "message": .., "data": ..}`.
///
/// `data` is kept as raw JSON, so it round-trips exactly and is only decoded
/// when somebody asks for it with [`ErrorObject::data_as`].
///
/// Its fields stay public and exhaustive: the specification (section 5.1)
/// fixes the members of an error object to these three.
///
/// ```
/// use rpc_runtime::protocol::{codes, ErrorObject};
/// let err = ErrorObject::new(4001, "vault is locked").with_data(&["door 7"]).unwrap();
/// assert_eq!(err.code, 4001);
/// assert_eq!(err.data_as::<Vec<String>>().unwrap(), Some(vec!["door 7".to_string()]));
/// assert_eq!(ErrorObject::method_not_found().code, codes::METHOD_NOT_FOUND);
/// ```
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorObject<'a> {
    /// The error code.
    pub code: i32,
    /// A short description of the error.
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    /// Additional information, as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Cow<'a, RawValue>>,
}

/// An [`ErrorObject`] that owns its text.
pub type ErrorObjectOwned = ErrorObject<'static>;

impl<'a> ErrorObject<'a> {
    /// An error object with a code and a message and no data.
    #[must_use]
    pub fn new(code: i32, message: impl Into<Cow<'a, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`, serialized to JSON.
    ///
    /// # Errors
    /// When `data` cannot be serialized (a map with non-string keys, say).
    pub fn with_data<T: Serialize + ?Sized>(mut self, data: &T) -> Result<Self, serde_json::Error> {
        self.data = Some(Cow::Owned(serde_json::value::to_raw_value(data)?));
        Ok(self)
    }

    /// Decodes `data` into `T`; `Ok(None)` when there is no data.
    ///
    /// # Errors
    /// When `data` is present but is not a valid `T`.
    pub fn data_as<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.data
            .as_ref()
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
    }

    /// `-32700 Parse error`.
    #[must_use]
    pub fn parse_error() -> Self {
        Self::new(codes::PARSE_ERROR, "Parse error")
    }

    /// `-32600 Invalid Request`.
    #[must_use]
    pub fn invalid_request() -> Self {
        Self::new(codes::INVALID_REQUEST, "Invalid Request")
    }

    /// `-32601 Method not found`.
    #[must_use]
    pub fn method_not_found() -> Self {
        Self::new(codes::METHOD_NOT_FOUND, "Method not found")
    }

    /// `-32602` with a message that says which parameter is wrong and how.
    #[must_use]
    pub fn invalid_params(message: impl Into<Cow<'a, str>>) -> Self {
        Self::new(codes::INVALID_PARAMS, message)
    }

    /// `-32603 Internal error`.
    #[must_use]
    pub fn internal_error() -> Self {
        Self::new(codes::INTERNAL_ERROR, "Internal error")
    }

    /// Copies whatever is borrowed, so the object outlives its input.
    #[must_use]
    pub fn into_owned(self) -> ErrorObjectOwned {
        ErrorObject {
            code: self.code,
            message: Cow::Owned(self.message.into_owned()),
            data: self.data.map(|d| Cow::Owned(d.into_owned())),
        }
    }
}

impl PartialEq for ErrorObject<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
            && self.message == other.message
            && self.data.as_ref().map(|d| d.get()) == other.data.as_ref().map(|d| d.get())
    }
}

impl Eq for ErrorObject<'_> {}

impl fmt::Display for ErrorObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)?;
        if let Some(data) = &self.data {
            write!(f, ", data: {}", data.get())?;
        }
        Ok(())
    }
}

impl std::error::Error for ErrorObject<'_> {}

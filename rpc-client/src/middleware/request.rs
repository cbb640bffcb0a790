//! What a layer sees going out: [`ClientRequest`] and its [`RequestKind`].

use std::fmt;

use http::Extensions;
use rpc_runtime::client::BatchRequest;
use rpc_runtime::params::EncodedParams;

/// What a [`ClientRequest`] is: a call (it gets an answer), a notification
/// (it gets none) or a batch of either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestKind {
    /// A call: a request with an id, answered with a result or an error.
    Call,
    /// A notification: a request without an id, never answered.
    Notification,
    /// A batch of calls and notifications sent as one message.
    Batch,
}

impl RequestKind {
    /// The kind as a short lowercase word (`call`, `notification`, `batch`),
    /// as logged by [`LoggingLayer`](super::LoggingLayer).
    ///
    /// ```
    /// use rpc_client::middleware::RequestKind;
    /// assert_eq!(RequestKind::Notification.as_str(), "notification");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestKind::Call => "call",
            RequestKind::Notification => "notification",
            RequestKind::Batch => "batch",
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One outgoing call, notification or batch, as it passes through the
/// client's layers on its way to the transport.
///
/// It owns its method name and encoded params, and is [`Clone`], so a
/// layer may send it again (as [`RetryLayer`](super::RetryLayer) does).
/// [`extensions`](Self::extensions) carry data from one layer to the next.
///
/// ```
/// use rpc_client::middleware::{ClientRequest, RequestKind};
/// use rpc_client::EncodedParams;
///
/// let request = ClientRequest::call("get_balance", EncodedParams::from_value(&["alice"]).unwrap());
/// assert_eq!(request.kind(), RequestKind::Call);
/// assert_eq!(request.method(), Some("get_balance"));
/// assert_eq!(request.params().and_then(|p| p.as_json()), Some(r#"["alice"]"#));
/// ```
#[derive(Clone, Debug)]
pub struct ClientRequest {
    message: Message,
    extensions: Extensions,
}

/// The message itself.
#[derive(Clone, Debug)]
pub(crate) enum Message {
    Call {
        method: String,
        params: EncodedParams,
    },
    Notification {
        method: String,
        params: EncodedParams,
    },
    Batch(BatchRequest),
}

impl ClientRequest {
    /// A call of `method` with `params`.
    #[must_use]
    pub fn call(method: impl Into<String>, params: EncodedParams) -> Self {
        Self::new(Message::Call {
            method: method.into(),
            params,
        })
    }

    /// A notification of `method` with `params`.
    ///
    /// ```
    /// use rpc_client::middleware::{ClientRequest, RequestKind};
    /// let request = ClientRequest::notification("log", rpc_client::EncodedParams::none());
    /// assert_eq!(request.kind(), RequestKind::Notification);
    /// ```
    #[must_use]
    pub fn notification(method: impl Into<String>, params: EncodedParams) -> Self {
        Self::new(Message::Notification {
            method: method.into(),
            params,
        })
    }

    /// A batch.
    ///
    /// ```
    /// use rpc_client::middleware::ClientRequest;
    /// use rpc_client::{BatchRequest, EncodedParams};
    /// let mut batch = BatchRequest::new();
    /// let _ = batch.call::<i64>("a", EncodedParams::none());
    /// batch.notify("b", EncodedParams::none());
    /// let request = ClientRequest::batch(batch);
    /// assert_eq!(request.method(), None);
    /// assert_eq!(request.methods().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    #[must_use]
    pub fn batch(batch: BatchRequest) -> Self {
        Self::new(Message::Batch(batch))
    }

    fn new(message: Message) -> Self {
        Self {
            message,
            extensions: Extensions::new(),
        }
    }

    /// Whether this is a call, a notification or a batch.
    #[must_use]
    pub fn kind(&self) -> RequestKind {
        match self.message {
            Message::Call { .. } => RequestKind::Call,
            Message::Notification { .. } => RequestKind::Notification,
            Message::Batch(_) => RequestKind::Batch,
        }
    }

    /// The method called or notified; `None` for a batch (see
    /// [`methods`](Self::methods)).
    #[must_use]
    pub fn method(&self) -> Option<&str> {
        match &self.message {
            Message::Call { method, .. } | Message::Notification { method, .. } => Some(method),
            Message::Batch(_) => None,
        }
    }

    /// Every method name in the request, in order: one for a call or a
    /// notification, each entry's for a batch.
    pub fn methods(&self) -> impl Iterator<Item = &str> + '_ {
        let (one, many) = match &self.message {
            Message::Call { method, .. } | Message::Notification { method, .. } => {
                (Some(method.as_str()), None)
            }
            Message::Batch(batch) => (None, Some(batch.methods())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The method name, or for a batch the entries' names joined with
    /// commas (`"a,b"`): what the built-in layers log.
    #[must_use]
    pub fn method_label(&self) -> String {
        match self.method() {
            Some(method) => method.to_owned(),
            None => self.methods().collect::<Vec<_>>().join(","),
        }
    }

    /// The encoded params of a call or notification; `None` for a batch.
    #[must_use]
    pub fn params(&self) -> Option<&EncodedParams> {
        match &self.message {
            Message::Call { params, .. } | Message::Notification { params, .. } => Some(params),
            Message::Batch(_) => None,
        }
    }

    /// The batch, if this is one.
    #[must_use]
    pub fn as_batch(&self) -> Option<&BatchRequest> {
        match &self.message {
            Message::Batch(batch) => Some(batch),
            _ => None,
        }
    }

    /// Data attached by layers for the layers and transport inside them.
    #[must_use]
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Attaches data for the layers and transport inside this one.
    ///
    /// ```
    /// use rpc_client::middleware::ClientRequest;
    /// #[derive(Clone)]
    /// struct TraceId(u64);
    /// let mut request = ClientRequest::call("ping", rpc_client::EncodedParams::none());
    /// request.extensions_mut().insert(TraceId(7));
    /// assert_eq!(request.extensions().get::<TraceId>().map(|t| t.0), Some(7));
    /// ```
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// The message and the extensions, for a transport.
    pub(crate) fn into_parts(self) -> (Message, Extensions) {
        (self.message, self.extensions)
    }
}

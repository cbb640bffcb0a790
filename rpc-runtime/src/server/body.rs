//! The body of every response the server sends.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Frame, SizeHint};

/// A response body: one buffer, sent in one frame (or nothing at all).
///
/// It is what [`RpcService`](super::RpcService) answers with; it implements
/// [`http_body::Body`](hyper::body::Body) with `Data = Bytes`, so axum and
/// other tower stacks take it as it is.
///
/// ```
/// use hyper::body::Body as _;
/// use rpc_runtime::server::RpcBody;
/// let body = RpcBody::from("{}");
/// assert_eq!(body.size_hint().exact(), Some(2));
/// assert!(RpcBody::empty().is_end_stream());
/// ```
#[derive(Debug, Default)]
pub struct RpcBody(Full<Bytes>);

impl RpcBody {
    /// A body with nothing in it.
    #[must_use]
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body holding `bytes`.
    #[must_use]
    pub fn new(bytes: Bytes) -> Self {
        Self(Full::new(bytes))
    }
}

impl From<Bytes> for RpcBody {
    fn from(bytes: Bytes) -> Self {
        Self::new(bytes)
    }
}

impl From<String> for RpcBody {
    fn from(text: String) -> Self {
        Self::new(Bytes::from(text))
    }
}

impl From<&'static str> for RpcBody {
    fn from(text: &'static str) -> Self {
        Self::new(Bytes::from_static(text.as_bytes()))
    }
}

impl Body for RpcBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}

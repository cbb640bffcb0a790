//! One HTTP POST: send text, read the status and body text, within the
//! timeouts and the size limit; and how a failed exchange becomes a
//! [`ClientError`].

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use rpc_runtime::client::{BoxError, ClientError};
use rpc_runtime::protocol::{parse_response, ResponsePayload};

use super::{wire, Shared};

/// What came back: the status and the body as text.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

impl Shared {
    /// POSTs `body` to the endpoint; `what` names the method(s) for logs.
    pub(crate) async fn post(
        &self,
        extra_headers: Option<&HeaderMap>,
        what: &str,
        body: String,
    ) -> Result<Reply, ClientError> {
        let mut headers = self.headers.clone();
        if let Some(extra) = extra_headers {
            merge(&mut headers, extra);
        }
        wire::request(&self.endpoint, what, &headers, &body);
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = self.endpoint.clone();
        *request.headers_mut() = headers;

        let started = Instant::now();
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| self.transport_error(e))?;
            let (head, body) = response.into_parts();
            let bytes = Limited::new(body, self.max_response_size)
                .collect()
                .await
                .map_err(|e| self.body_error(e))?
                .to_bytes();
            let bytes = super::decode::decode(&head.headers, bytes, self.max_response_size)?;
            Ok::<_, ClientError>((head, bytes))
        };
        let outcome = match tokio::time::timeout(self.request_timeout, exchange).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ClientError::Timeout(self.request_timeout)),
        };
        let elapsed = started.elapsed();
        let (head, bytes) = outcome.inspect_err(|e| wire::failure(&self.endpoint, elapsed, e))?;
        let text = String::from_utf8(bytes.to_vec());
        let lossy = text.as_deref().map_or_else(
            |_| String::from_utf8_lossy(&bytes),
            std::borrow::Cow::Borrowed,
        );
        wire::response(&self.endpoint, head.status, &head.headers, elapsed, &lossy);
        match text {
            Ok(body) => Ok(Reply {
                status: head.status,
                body,
            }),
            Err(_) if !head.status.is_success() => Err(ClientError::HttpStatus {
                status: head.status.as_u16(),
                body: lossy.into_owned(),
            }),
            // Not UTF-8 cannot be JSON: the parser's error type says so.
            Err(e) => Err(ClientError::Unparsable(
                <serde_json::Error as serde::de::Error>::custom(format!(
                    "response body is not UTF-8: {e}"
                )),
            )),
        }
    }

    fn transport_error(&self, error: hyper_util::client::legacy::Error) -> ClientError {
        if error.is_connect() && has_timed_out(&error) {
            if let Some(timeout) = self.connect_timeout {
                return ClientError::Timeout(timeout);
            }
        }
        let action = if error.is_connect() {
            "cannot connect to"
        } else {
            "request failed to"
        };
        let summary = format!("{action} {}: {}", self.endpoint, root_cause(&error));
        ClientError::Transport(Box::new(TransportError {
            summary,
            source: error,
        }))
    }

    fn body_error(&self, error: BoxError) -> ClientError {
        if error.is::<http_body_util::LengthLimitError>() {
            return ClientError::Transport(
                format!(
                    "response body exceeds the limit of {} bytes",
                    self.max_response_size
                )
                .into(),
            );
        }
        ClientError::Transport(error)
    }
}

/// A transport failure that says what failed in its message (hyper's own
/// says only "client error (Connect)") and keeps hyper's error as source.
#[derive(Debug)]
struct TransportError {
    summary: String,
    source: hyper_util::client::legacy::Error,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// The innermost error of a chain: the one that says what really happened
/// ("Connection refused", "invalid peer certificate: UnknownIssuer").
fn root_cause<'a>(error: &'a (dyn StdError + 'static)) -> &'a (dyn StdError + 'static) {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current
}

/// Per-request headers replace the client's headers of the same name.
fn merge(headers: &mut HeaderMap, extra: &HeaderMap) {
    for name in extra.keys() {
        headers.remove(name);
    }
    for (name, value) in extra {
        headers.append(name.clone(), value.clone());
    }
}

/// Whether the connector gave up on its connect timeout: an
/// `io::ErrorKind::TimedOut` somewhere in the chain.
fn has_timed_out(error: &(dyn StdError + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return true;
            }
        }
        current = e.source();
    }
    false
}

/// The error for a non-2xx status: the server's JSON-RPC error object when
/// the body is a valid error response (a server may send `-32700` with a
/// 400, or an error with a 413 or 500), the status and body otherwise.
pub(crate) fn status_error(status: StatusCode, body: String) -> ClientError {
    if let Ok(response) = parse_response(&body) {
        if let ResponsePayload::Error(error) = response.payload {
            return ClientError::Rpc(error.into_owned());
        }
    }
    ClientError::HttpStatus {
        status: status.as_u16(),
        body,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use http::HeaderValue;

    use super::*;

    #[test]
    fn per_request_headers_replace_every_value_of_their_name() {
        let mut headers = HeaderMap::new();
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("2"));
        headers.insert("x-b", HeaderValue::from_static("kept"));
        let mut extra = HeaderMap::new();
        extra.append("x-a", HeaderValue::from_static("3"));
        extra.append("x-a", HeaderValue::from_static("4"));
        merge(&mut headers, &extra);
        let a: Vec<_> = headers.get_all("x-a").iter().collect();
        assert_eq!(a, ["3", "4"]);
        assert_eq!(headers["x-b"], "kept");
    }

    #[test]
    fn a_timed_out_io_error_is_found_down_the_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] io::Error);
        let timed_out = Outer(io::Error::new(io::ErrorKind::TimedOut, "slow"));
        assert!(has_timed_out(&timed_out));
        let refused = Outer(io::Error::new(io::ErrorKind::ConnectionRefused, "no"));
        assert!(!has_timed_out(&refused));
    }

    #[test]
    fn an_error_status_reads_a_json_rpc_error_body() {
        let rpc = status_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            r#"{"jsonrpc":"2.0","error":{"code":-32002,"message":"too large"},"id":null}"#.into(),
        );
        assert_eq!(rpc.rpc_error().unwrap().code, -32002);
        let success_body = status_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"jsonrpc":"2.0","result":1,"id":1}"#.into(),
        );
        assert!(matches!(
            success_body,
            ClientError::HttpStatus { status: 500, .. }
        ));
        let text = status_error(StatusCode::BAD_GATEWAY, "<h1>oops</h1>".into());
        assert!(
            matches!(text, ClientError::HttpStatus { status: 502, body } if body == "<h1>oops</h1>")
        );
    }
}

//! How the built-in layers name the outcome of a call.

use rpc_runtime::client::ClientError;

/// `"ok"`, or a short name for the kind of error: `transport`, `timeout`,
/// `http_status`, `unparsable`, `invalid_response`, `rpc_error`, `decode`,
/// `encode`, `closed` (and `error` for a kind added later).
///
/// ```
/// use rpc_client::middleware::outcome_label;
/// use rpc_client::ClientError;
/// use std::time::Duration;
/// assert_eq!(outcome_label::<()>(&Ok(())), "ok");
/// assert_eq!(outcome_label::<()>(&Err(ClientError::Timeout(Duration::from_secs(1)))), "timeout");
/// ```
#[must_use]
pub fn outcome_label<T>(outcome: &Result<T, ClientError>) -> &'static str {
    match outcome {
        Ok(_) => "ok",
        Err(error) => error_kind(error),
    }
}

fn error_kind(error: &ClientError) -> &'static str {
    match error {
        ClientError::Transport(_) => "transport",
        ClientError::Timeout(_) => "timeout",
        ClientError::HttpStatus { .. } => "http_status",
        ClientError::Unparsable(_) => "unparsable",
        ClientError::InvalidResponse(_) => "invalid_response",
        ClientError::Rpc(_) => "rpc_error",
        ClientError::Application(never) => match *never {},
        ClientError::Decode(_) => "decode",
        ClientError::Encode(_) => "encode",
        ClientError::Closed(_) => "closed",
        _ => "error",
    }
}

/// The JSON-RPC error code, when the server sent an error object.
pub(crate) fn rpc_error_code<T>(outcome: &Result<T, ClientError>) -> Option<i32> {
    match outcome {
        Err(ClientError::Rpc(object)) => Some(object.code),
        _ => None,
    }
}

/// The HTTP status, when the server answered with a non-success one.
pub(crate) fn http_status<T>(outcome: &Result<T, ClientError>) -> Option<u16> {
    match outcome {
        Err(ClientError::HttpStatus { status, .. }) => Some(*status),
        _ => None,
    }
}

//! Exit codes of `rpc` and the one error type every command returns.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success (a subscription ended by Ctrl-C/SIGTERM included) |
//! | 1 | the server answered with a JSON-RPC error object (printed as JSON on stderr); for `batch`, any member did |
//! | 2 | invalid arguments: a usage error, an argument that cannot be read, or params that do not fit the method's OpenRPC schema (nothing was sent) |
//! | 3 | transport failure: cannot connect, I/O, TLS, a non-2xx HTTP status, the connection closed (or stdout cannot be written; a closed pipe, as with `\| head`, exits 0) |
//! | 4 | timeout: no answer within `--timeout` |
//! | 5 | invalid response: not JSON, or not a JSON-RPC response (wrong id, neither `result` nor `error`) |
//!
//! These numbers are stable: scripts may test them.

use std::time::Duration;

use rpc_cli::arg::ArgError;
use rpc_cli::schema::SchemaError;
use rpc_client::ClientError;
use serde_json::Value;

/// The server answered with a JSON-RPC error.
pub(crate) const RPC_ERROR: u8 = 1;
/// Invalid arguments (clap's usage errors use this code too).
pub(crate) const INVALID_ARGS: u8 = 2;
/// The transport failed.
pub(crate) const TRANSPORT: u8 = 3;
/// No answer in time.
pub(crate) const TIMEOUT: u8 = 4;
/// The answer is not a JSON-RPC response.
pub(crate) const INVALID_RESPONSE: u8 = 5;

/// The text of `rpc --help`'s exit-code section (kept next to the codes).
pub(crate) const HELP: &str = "\
Exit codes:
  0  success
  1  the server answered with a JSON-RPC error (the error object is printed as JSON on stderr)
  2  invalid arguments (usage, unreadable argument, params that do not fit the method's schema: nothing sent)
  3  transport failure (connect, I/O, TLS, non-2xx HTTP status, connection closed)
  4  timeout (no answer within --timeout)
  5  invalid response (not JSON, or not a JSON-RPC response)";

/// Why a command failed; each variant maps to one exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Failure {
    /// A usage mistake clap cannot see (a scheme that cannot do what was asked).
    #[error("{0}")]
    Usage(String),
    /// An argument that cannot be read.
    #[error(transparent)]
    Arg(#[from] ArgError),
    /// Params that do not fit the method's schema.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The transport failed.
    #[error("transport failure: {0}")]
    Transport(String),
    /// No answer in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The answer is not a JSON-RPC response.
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// The server's error object.
    #[error("the server answered with an error")]
    Rpc(Value),
    /// stdout cannot be written. A closed pipe (`rpc … | head`) is no
    /// failure: the reader has what it wanted, exit 0 and no message.
    #[error("cannot write stdout: {0}")]
    Stdout(#[source] std::io::Error),
    /// Some batch members were errors (the responses are already printed).
    #[error("{0} of the batch's responses are errors")]
    BatchErrors(usize),
}

impl Failure {
    /// The process exit code for this failure.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Arg(_) | Failure::Schema(_) => INVALID_ARGS,
            Failure::Transport(_) => TRANSPORT,
            Failure::Timeout(_) => TIMEOUT,
            Failure::InvalidResponse(_) => INVALID_RESPONSE,
            Failure::Rpc(_) | Failure::BatchErrors(_) => RPC_ERROR,
            Failure::Stdout(error) if error.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Failure::Stdout(_) => TRANSPORT,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Timeout(after) => Failure::Timeout(after),
            ClientError::Rpc(object) => {
                Failure::Rpc(serde_json::to_value(&object).unwrap_or(Value::Null))
            }
            ClientError::Unparsable(why) | ClientError::Decode(why) => {
                Failure::InvalidResponse(why.to_string())
            }
            ClientError::InvalidResponse(why) => Failure::InvalidResponse(why.to_string()),
            ClientError::Unsupported(what) => Failure::Usage(format!("unsupported: {what}")),
            ClientError::Encode(error) => Failure::Usage(error.to_string()),
            // Its own text already says "transport error".
            ClientError::Transport(source) => Failure::Transport(source.to_string()),
            other => Failure::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_stable() {
        let all = [
            Failure::Rpc(Value::Null).code(),
            Failure::Usage(String::new()).code(),
            Failure::Transport(String::new()).code(),
            Failure::Timeout(Duration::from_secs(1)).code(),
            Failure::InvalidResponse(String::new()).code(),
        ];
        assert_eq!(all, [1, 2, 3, 4, 5]);
        assert!(HELP.contains("  4  timeout"));
    }
}

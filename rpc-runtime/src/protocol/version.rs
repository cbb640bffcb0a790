/// The protocol version a request was sent with.
///
/// The router speaks JSON-RPC 2.0. JSON-RPC 1.0 requests (no `jsonrpc`
/// member) are accepted only when a server opts in with
/// [`RouterConfig::jsonrpc1_compat`](crate::RouterConfig::jsonrpc1_compat);
/// their responses then follow 1.0's shape.
///
/// ```
/// use rpc_runtime::protocol::Version;
/// assert_ne!(Version::V1, Version::V2);
/// ```
///
/// Non-exhaustive: another version (1.1, a future 2.x) may be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// JSON-RPC 1.0: no `jsonrpc` member; responses carry both `result` and `error`.
    V1,
    /// JSON-RPC 2.0.
    V2,
}

use rpc_runtime::ws::CloseReason;

/// Where a [`WsClient`](super::WsClient)'s connection stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Connected: calls go out at once.
    Connected,
    /// The connection dropped and the reconnect policy is trying again;
    /// new calls wait for it (within their request timeout).
    Reconnecting {
        /// The attempt under way, counting from 0.
        attempt: u32,
        /// Why the last connection ended.
        reason: CloseReason,
    },
    /// The connection dropped and will not come back (no reconnect policy,
    /// or it gave up): calls fail with `ClientError::Closed`.
    Disconnected(CloseReason),
    /// [`WsClient::close`](super::WsClient::close) closed it.
    Closed,
}

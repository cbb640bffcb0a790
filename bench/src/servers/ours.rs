//! Our toolkit: the API as a core `Router`, and the transport serving it.
//!
//! The project's own HTTP + WebSocket server (`rpc_runtime::server`) is not
//! on main yet. Until it is, [`serve`] is a minimal stand-in that moves text
//! between sockets and `Router::handle`; swapping in the real server touches
//! only [`serve`] and [`TRANSPORT`].

use std::net::SocketAddr;

use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::Router;

use super::BoxError;

/// What serves our router in this benchmark; printed with the results so a
/// reader knows which transport the "ours" figures measure.
pub(crate) const TRANSPORT: &str =
    "rpc_runtime::server::Server with default settings (HTTP + WebSocket on one port)";

/// The benchmark API: `add(a, b)` and `echo(s)`, positional or named.
pub(crate) fn router() -> Result<Router, BoxError> {
    let mut router = Router::new();
    router.register_sync("add", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })?;
    router.register_sync("echo", |p, _| {
        let (s,): (String,) = p.decode(&["s"])?;
        Ok::<_, ErrorObjectOwned>(s)
    })?;
    Ok(router)
}

/// Serves `router` with the toolkit's own server (HTTP and WebSocket on one
/// port, default limits); the server lives as long as the process.
pub(crate) async fn serve(router: Router, addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    let handle = rpc_runtime::server::Server::builder()
        .build(router)
        .bind(addr)
        .await?;
    // Dropping the handle leaves the server running.
    Ok(handle.local_addr())
}

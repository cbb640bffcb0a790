//! Our toolkit: the API as a core `Router`, served by the toolkit's own
//! HTTP + WebSocket server.

use std::net::SocketAddr;

use rpc_runtime::protocol::ErrorObjectOwned;
use rpc_runtime::Router;

use super::BoxError;

/// What serves our router in this benchmark; printed with the results so a
/// reader knows which transport the "ours" figures measure.
pub(crate) const TRANSPORT: &str =
    "rpc_runtime::server::Server with default settings (HTTP + WebSocket on one port)";

/// The benchmark API: `add(a, b)` and `echo(s)`, positional or named, and
/// the subscription suite's (see [`super::ours_topic`]).
///
/// Registered by argument types, as `#[rpc]` registers a synchronous
/// method, so the figures are those a user of the macro gets.
pub(crate) fn router() -> Result<Router, BoxError> {
    let mut router = Router::new();
    router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _| {
        Ok::<_, ErrorObjectOwned>(a + b)
    })?;
    router.register_sync_args("echo", &["s"], |(s,): (String,), _| {
        Ok::<_, ErrorObjectOwned>(s)
    })?;
    // `add` again, decoding its own params: the general path, for the
    // in-process table.
    router.register_sync("add_decoding", |p, _| {
        let (a, b): (i64, i64) = p.decode(&["a", "b"])?;
        Ok::<_, ErrorObjectOwned>(a + b)
    })?;
    super::ours_topic::register(&mut router)?;
    Ok(router)
}

/// `router` with the access log and the metrics layer, as a production
/// server would run: the access log's events go to a tracing subscriber at
/// INFO that formats them and writes them nowhere, the metrics to a
/// Prometheus recorder. Installs both globally (once per process).
pub(crate) fn observed(router: Router) -> Router {
    use rpc_runtime::middleware::{AccessLogLayer, MetricsLayer};
    // Plain text, as an access log written to a file or a collector is:
    // colour codes were more than half of formatting each event.
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // Already set (in-process rows run more than once): keep the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
    let _ = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder();
    router
        .layer(AccessLogLayer::new())
        .layer(MetricsLayer::new())
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

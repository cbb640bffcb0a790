//! Serving a router on this process's stdin and stdout.

use std::future::Future;
use std::sync::Arc;

use super::StreamConfig;
use crate::ws::{CloseReason, Connection};
use crate::{Context, Router};

/// Serves `router` on this process's stdin and stdout (how editors run
/// language servers), framed as `config` says, until stdin ends or the
/// peer's side fails; returns why it ended. When stdin ends, the messages
/// read are answered first, then stdout is flushed and shut down.
///
/// The connection's [`Context`] has transport `"stdio"`, its
/// [`Peer`](crate::ws::Peer) (the process at the other end, to call back)
/// and its subscriptions. Stdout carries the protocol: log to stderr.
///
/// ```no_run
/// use rpc_runtime::stream::{serve_stdio, Framing, StreamConfig};
/// use rpc_runtime::Router;
/// # #[tokio::main]
/// # async fn main() {
/// let reason = serve_stdio(Router::new(), StreamConfig::new(Framing::ContentLength)).await;
/// eprintln!("stdio closed: {reason}");
/// # }
/// ```
pub async fn serve_stdio(router: impl Into<Arc<Router>>, config: StreamConfig) -> CloseReason {
    serve_stdio_until(router, config, std::future::pending()).await
}

/// Like [`serve_stdio`], and when `shutdown` resolves it closes
/// gracefully: new calls get `-32001`, calls in flight finish,
/// subscriptions get their last notice, then stdout is shut down.
///
/// Tokio reads stdin on a blocking thread that cannot be interrupted, so a
/// runtime shut down while stdin is open may wait for one more line; exit
/// the process (or use `Runtime::shutdown_timeout`) after this returns.
///
/// ```no_run
/// use std::time::Duration;
/// use rpc_runtime::stream::{serve_stdio_until, StreamConfig};
/// # #[tokio::main]
/// # async fn main() {
/// let stop = tokio::time::sleep(Duration::from_secs(60));
/// let _ = serve_stdio_until(rpc_runtime::Router::new(), StreamConfig::default(), stop).await;
/// # }
/// ```
pub async fn serve_stdio_until<F>(
    router: impl Into<Arc<Router>>,
    config: StreamConfig,
    shutdown: F,
) -> CloseReason
where
    F: Future<Output = ()>,
{
    let connection = Connection::stream_server(&config, "stdio");
    let ctx = connection.context(Context::builder());
    connection
        .run_framed_until(
            tokio::io::stdin(),
            tokio::io::stdout(),
            config.framing,
            router.into(),
            ctx,
            shutdown,
        )
        .await
}

//! Ctrl-C and SIGTERM, the ways to stop `rpc subscribe`.

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub(crate) async fn stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C still stops; if even that cannot be
    // installed, run until the stream ends.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

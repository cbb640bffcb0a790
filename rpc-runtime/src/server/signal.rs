//! Waiting for the signals that ask a server to stop.

/// Resolves on Ctrl-C (SIGINT), or on Unix also on SIGTERM, which is what
/// `docker stop`, Kubernetes and systemd send.
pub(super) async fn stop_requested() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

//! A DEALER connection: many calls in flight at once on the connection
//! driver (`Connection::run_zmq`), whose [`Peer`] matches each reply to its
//! call by id. This side only connects: a connection that ends fails every
//! call waiting on it, and the next call opens a new one.

use std::sync::Arc;

use rpc_runtime::client::ClientError;
use rpc_runtime::stream::StreamConfig;
use rpc_runtime::ws::{Connection, Peer};
use rpc_runtime::zmq::{SocketType, ZmtpConnection};
use rpc_runtime::{Context, Router};

use super::link::{Settings, LOG_TARGET};

/// The DEALER side of a client: its live connection, if any.
pub(super) struct Dealer {
    /// Held while a connection is opened, so concurrent callers open one.
    link: tokio::sync::Mutex<Option<Peer>>,
}

impl Dealer {
    pub(super) fn new(settings: &Settings, connection: ZmtpConnection) -> Self {
        Self {
            link: tokio::sync::Mutex::new(Some(start(settings, connection))),
        }
    }

    /// The live connection's [`Peer`], opening a connection if there is
    /// none (or the last one ended).
    pub(super) async fn peer(&self, settings: &Settings) -> Result<Peer, ClientError> {
        let mut slot = self.link.lock().await;
        if let Some(peer) = slot.as_ref().filter(|peer| !peer.is_closed()) {
            return Ok(peer.clone());
        }
        let peer = start(settings, settings.open(SocketType::Dealer).await?);
        *slot = Some(peer.clone());
        Ok(peer)
    }

    /// Closes the connection; calls waiting fail, the next call reconnects.
    pub(super) async fn close(&self) {
        let peer = self.link.lock().await.take();
        if let Some(peer) = peer {
            peer.close();
            let _ = peer.closed().await;
        }
    }
}

impl Drop for Dealer {
    /// The last clone of the client ends its connection.
    fn drop(&mut self) {
        if let Some(peer) = self.link.get_mut() {
            peer.close();
        }
    }
}

/// Runs the driver over `connection`, with the client's request timeout
/// and ids.
fn start(settings: &Settings, connection: ZmtpConnection) -> Peer {
    // The reader took the size limit when it was connected; the driver's
    // copy of it is for the record.
    let config = StreamConfig::default()
        .with_request_timeout(settings.request_timeout)
        .with_max_message_size(settings.max_message_size);
    let ids = settings.ids.clone();
    let driver = Connection::zmq_client(&config).with_ids(Arc::new(move || ids.next_id()));
    let peer = driver.peer();
    let ctx = driver.context(Context::builder());
    tracing::debug!(target: LOG_TARGET, peer = ?connection.peer.peer_type, "connected");
    tokio::spawn(driver.run_zmq(connection, Arc::new(Router::new()), ctx));
    peer
}

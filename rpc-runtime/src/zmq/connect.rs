//! Opening a ZMTP connection to an endpoint: the clients' way in.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

use super::wire::{handshake, FrameReader, Handshake, ZmtpError};
use super::{SocketType, ZmqEndpoint};

/// The reading half of a connection, whatever its transport.
///
/// ```
/// use rpc_runtime::zmq::wire::{encode_message, FrameReader, Received};
/// use rpc_runtime::zmq::BoxRead;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), rpc_runtime::zmq::wire::ZmtpError> {
/// let mut bytes = Vec::new();
/// encode_message(&mut bytes, &[b"{}"]);
/// // A TCP half, a Unix socket half or, here, bytes in memory: one type.
/// let read: BoxRead = Box::new(std::io::Cursor::new(bytes));
/// let mut reader = FrameReader::new(read, 1024);
/// assert_eq!(reader.next().await?, Some(Received::Message(vec![b"{}".to_vec()])));
/// # Ok(()) }
/// ```
pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
/// The writing half of a connection, whatever its transport.
///
/// ```
/// use rpc_runtime::zmq::wire::encode_message;
/// use rpc_runtime::zmq::BoxWrite;
/// use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let (ours, mut theirs) = tokio::io::duplex(64);
/// let mut write: BoxWrite = Box::new(ours);
/// let mut out = Vec::new();
/// encode_message(&mut out, &[b"hi"]);
/// write.write_all(&out).await?;
/// drop(write);
/// let mut sent = Vec::new();
/// theirs.read_to_end(&mut sent).await?;
/// assert_eq!(sent, [0, 2, b'h', b'i']);
/// # Ok(()) }
/// ```
pub type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// A connection that has passed the ZMTP handshake, from [`connect`].
///
/// ```
/// use std::time::Duration;
/// use rpc_runtime::zmq::{connect, wire, SocketType, ZmqConfig, ZmqServer};
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// use tokio::io::AsyncWriteExt as _;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut router = Router::new();
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong"))?;
/// let handle = ZmqServer::new(router, ZmqConfig::default()).bind_router("tcp://127.0.0.1:0").await?;
///
/// let mut connection = connect(handle.local_endpoint(), SocketType::Dealer, 1 << 20).await?;
/// assert_eq!(connection.peer.peer_type, SocketType::Router);
/// assert_eq!(connection.peer_addr, handle.local_addr());
/// let mut out = Vec::new();
/// wire::encode_message(&mut out, &[br#"{"jsonrpc":"2.0","method":"ping","id":7}"#]);
/// connection.writer.write_all(&out).await?;
/// let reply = connection.reader.next().await?;
/// let pong = br#"{"jsonrpc":"2.0","result":"pong","id":7}"#.to_vec();
/// assert_eq!(reply, Some(wire::Received::Message(vec![pong])));
/// handle.shutdown(Duration::from_secs(1)).await;
/// # Ok(()) }
/// ```
#[non_exhaustive]
pub struct ZmtpConnection {
    /// Reads the peer's messages.
    pub reader: FrameReader<BoxRead>,
    /// Where this side's messages go (encoded with
    /// [`encode_message`](super::wire::encode_message)).
    pub writer: BoxWrite,
    /// What the peer announced.
    pub peer: Handshake,
    /// The peer's TCP address (none over `ipc://`).
    pub peer_addr: Option<SocketAddr>,
}

impl std::fmt::Debug for ZmtpConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZmtpConnection")
            .field("peer", &self.peer)
            .field("peer_addr", &self.peer_addr)
            .finish_non_exhaustive()
    }
}

/// Connects to `endpoint` as a socket of type `ours` and runs the
/// handshake; incoming messages over `max_message_size` bytes are read
/// past ([`Received::TooLarge`](super::wire::Received::TooLarge)). Bound
/// it with a timeout: a server that accepts and says nothing keeps it
/// waiting.
///
/// ```
/// use rpc_runtime::zmq::{connect, SocketType, ZmqEndpoint};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// // Nothing listens on port 9.
/// let endpoint: ZmqEndpoint = "tcp://127.0.0.1:9".parse().unwrap();
/// assert!(connect(&endpoint, SocketType::Dealer, 1 << 20).await.is_err());
/// # }
/// ```
///
/// # Errors
/// When the endpoint cannot be reached, or the handshake fails.
pub async fn connect(
    endpoint: &ZmqEndpoint,
    ours: SocketType,
    max_message_size: usize,
) -> Result<ZmtpConnection, ZmtpError> {
    let (read, mut write, peer_addr): (BoxRead, BoxWrite, _) = match endpoint {
        ZmqEndpoint::Tcp { host, port } => {
            let socket = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
            // Calls go out one message at a time: send each at once.
            let _ = socket.set_nodelay(true);
            let peer_addr = socket.peer_addr().ok();
            let (read, write) = socket.into_split();
            (Box::new(read), Box::new(write), peer_addr)
        }
        #[cfg(unix)]
        ZmqEndpoint::Ipc(path) => {
            let socket = tokio::net::UnixStream::connect(path).await?;
            let (read, write) = socket.into_split();
            (Box::new(read), Box::new(write), None)
        }
        #[cfg(not(unix))]
        ZmqEndpoint::Ipc(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "ipc:// endpoints need Unix domain sockets",
            )
            .into())
        }
    };
    let mut reader = FrameReader::new(read, max_message_size);
    let peer = handshake(&mut reader, &mut write, ours, None).await?;
    Ok(ZmtpConnection {
        reader,
        writer: write,
        peer,
        peer_addr,
    })
}

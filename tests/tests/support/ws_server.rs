//! A real WebSocket JSON-RPC server for tests: a `TcpListener` on
//! 127.0.0.1, the tungstenite handshake (capturing the upgrade request's
//! head for the context) and `rpc_runtime::ws::Connection` with a router.
// The handshake callback's signature is tungstenite's; its error type is large.
#![allow(dead_code, unreachable_pub, clippy::result_large_err)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rpc_runtime::ws::{__tungstenite, CloseReason, Connection, Peer, WsConfig};
use rpc_runtime::{Context, RequestHead, Router};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A running test server.
pub struct WsServer {
    pub addr: SocketAddr,
    pub url: String,
    closes: mpsc::UnboundedReceiver<CloseReason>,
    peers: Arc<Mutex<Vec<Peer>>>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl WsServer {
    /// Serves `router` on a fresh port.
    pub async fn start(router: Router, config: WsConfig) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), router, config).await
    }

    /// Serves `router` over TLS (`wss://localhost:port/rpc`) with a fresh
    /// self-signed certificate for `localhost`; returns it (PEM) too.
    pub async fn start_tls(router: Router, config: WsConfig) -> (Self, String) {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert_pem = certified.cert.pem();
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let mut server = Self::start_with(
            "127.0.0.1:0".parse().unwrap(),
            router,
            config,
            Some(acceptor),
        )
        .await;
        server.url = format!("wss://localhost:{}/rpc", server.addr.port());
        (server, cert_pem)
    }

    /// Serves `router` on `addr` (to restart on a known port).
    pub async fn start_on(addr: SocketAddr, router: Router, config: WsConfig) -> Self {
        Self::start_with(addr, router, config, None).await
    }

    async fn start_with(
        addr: SocketAddr,
        router: Router,
        config: WsConfig,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Self {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (close_tx, closes) = mpsc::unbounded_channel();
        let peers = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let router = Arc::new(router);
        let task = tokio::spawn(accept_loop(
            listener,
            tls,
            router,
            config,
            close_tx,
            peers.clone(),
            shutdown_rx,
        ));
        Self {
            addr,
            url: format!("ws://{addr}/rpc"),
            closes,
            peers,
            shutdown,
            task,
        }
    }

    /// Why the next connection to end ended.
    pub async fn next_close(&mut self) -> CloseReason {
        tokio::time::timeout(std::time::Duration::from_secs(10), self.closes.recv())
            .await
            .expect("a connection closes in time")
            .expect("the server is running")
    }

    /// The handles to every connection accepted so far.
    pub fn peers(&self) -> Vec<Peer> {
        self.peers.lock().unwrap().clone()
    }

    /// Graceful shutdown: every connection finishes its calls, then closes
    /// with 1001.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Kills the server at once: the listener and every connection are
    /// dropped mid-flight, as a crash would.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Arc<Router>,
    config: WsConfig,
    closes: mpsc::UnboundedSender<CloseReason>,
    peers: Arc<Mutex<Vec<Peer>>>,
    shutdown: watch::Receiver<bool>,
) {
    // Dropped with this task, which aborts every connection.
    let mut connections = JoinSet::new();
    loop {
        let Ok((tcp, peer_addr)) = listener.accept().await else {
            continue;
        };
        let tls = tls.clone();
        let serve = Serve {
            router: router.clone(),
            config: config.clone(),
            closes: closes.clone(),
            peers: peers.clone(),
            shutdown: shutdown.clone(),
            peer_addr,
        };
        connections.spawn(async move {
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        serve.run(stream).await;
                    }
                }
                None => serve.run(tcp).await,
            }
        });
    }
}

/// What one accepted connection needs.
struct Serve {
    router: Arc<Router>,
    config: WsConfig,
    closes: mpsc::UnboundedSender<CloseReason>,
    peers: Arc<Mutex<Vec<Peer>>>,
    shutdown: watch::Receiver<bool>,
    peer_addr: SocketAddr,
}

impl Serve {
    async fn run<S>(self, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let mut head = None;
        let capture = |request: &Request, response: Response| {
            let mut captured = RequestHead::default();
            captured.method = request.method().clone();
            captured.uri = request.uri().clone();
            captured.version = request.version();
            captured.headers = request.headers().clone();
            head = Some(captured);
            Ok(response)
        };
        let Ok(socket) = tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            capture,
            Some(__tungstenite::tungstenite_config(&self.config)),
        )
        .await
        else {
            return;
        };
        let connection = Connection::server(self.config);
        self.peers.lock().unwrap().push(connection.peer());
        let mut ctx = Context::builder().peer_addr(self.peer_addr);
        if let Some(head) = head {
            ctx = ctx.request_head(head);
        }
        let ctx = connection.context(ctx);
        let mut shutdown = self.shutdown;
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        // The handshake was tungstenite's (to read the request head).
        let reason = __tungstenite::run_until(connection, socket, self.router, ctx, stop).await;
        let _ = self.closes.send(reason);
    }
}

//! Small servers on 127.0.0.1:0 for the `HttpClient` tests: a hyper server
//! that serves a `Router` (optionally over TLS, optionally reversing batch
//! answers), one that answers a canned reply, one that accepts and never
//! answers, and a listener whose accept queue is full.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rpc_runtime::{Context, Router};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// What one request looked like on the server side.
#[derive(Clone, Debug)]
pub struct Seen {
    pub version: Version,
    pub headers: HeaderMap,
    pub body: String,
    /// Whether the TLS client presented a certificate (false without TLS).
    pub client_cert: bool,
}

/// How the server answers.
#[derive(Clone)]
pub enum Answer {
    /// `router.handle(body)`: 200 with the reply, 204 when there is none.
    Router {
        router: Arc<Router>,
        /// Reverse the order of a batch's responses.
        reverse_batches: bool,
    },
    /// Always this status, content type and body.
    Canned {
        status: u16,
        content_type: &'static str,
        body: String,
    },
}

impl Answer {
    pub fn router(router: Router) -> Self {
        Answer::Router {
            router: Arc::new(router),
            reverse_batches: false,
        }
    }

    pub fn reversing(router: Router) -> Self {
        Answer::Router {
            router: Arc::new(router),
            reverse_batches: true,
        }
    }

    pub fn canned(status: u16, content_type: &'static str, body: &str) -> Self {
        Answer::Canned {
            status,
            content_type,
            body: body.to_owned(),
        }
    }
}

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn https_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// How many TCP connections the server has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The bodies received so far, parsed as JSON.
    pub fn seen_json(&self) -> Vec<serde_json::Value> {
        self.seen()
            .iter()
            .map(|s| serde_json::from_str(&s.body).unwrap())
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `answer` over plain HTTP (HTTP/1.1 and HTTP/2 prior knowledge).
pub async fn serve(answer: Answer) -> TestServer {
    serve_with(answer, None).await
}

/// Serves `answer`, over TLS when `tls` is given (ALPN h2 and http/1.1).
pub async fn serve_with(answer: Answer, tls: Option<Arc<rustls::ServerConfig>>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let task = tokio::spawn({
        let connections = Arc::clone(&connections);
        let seen = Arc::clone(&seen);
        async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                connections.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                let seen = Arc::clone(&seen);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        None => serve_connection(stream, answer, seen, false).await,
                        Some(config) => {
                            let Ok(tls_stream) = TlsAcceptor::from(config).accept(stream).await
                            else {
                                return;
                            };
                            let client_cert = tls_stream.get_ref().1.peer_certificates().is_some();
                            serve_connection(tls_stream, answer, seen, client_cert).await;
                        }
                    }
                });
            }
        }
    });
    TestServer {
        addr,
        connections,
        seen,
        task,
    }
}

async fn serve_connection<IO>(io: IO, answer: Answer, seen: Arc<Mutex<Vec<Seen>>>, cert: bool)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: Request<Incoming>| {
        let answer = answer.clone();
        let seen = Arc::clone(&seen);
        async move {
            let (parts, body) = request.into_parts();
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            seen.lock().unwrap().push(Seen {
                version: parts.version,
                headers: parts.headers,
                body: text.clone(),
                client_cert: cert,
            });
            Ok::<_, Infallible>(respond(&answer, &text).await)
        }
    });
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

async fn respond(answer: &Answer, text: &str) -> Response<Full<Bytes>> {
    match answer {
        Answer::Router {
            router,
            reverse_batches,
        } => match router.handle(text, &Context::new()).await {
            Some(mut reply) => {
                if *reverse_batches && reply.starts_with('[') {
                    let mut items: Vec<serde_json::Value> = serde_json::from_str(&reply).unwrap();
                    items.reverse();
                    reply = serde_json::to_string(&items).unwrap();
                }
                response(200, "application/json", reply)
            }
            None => response(204, "application/json", String::new()),
        },
        Answer::Canned {
            status,
            content_type,
            body,
        } => response(*status, content_type, body.clone()),
    }
}

fn response(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// A server that accepts connections, reads nothing and never answers.
pub struct SilentServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn silent_server() -> SilentServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    SilentServer { addr, task }
}

/// A listener that never accepts, with its accept queue filled by other
/// connections, so that the kernel drops further SYNs and a new connect
/// hangs: the one honest way to make a connect time out on loopback.
/// `None` if the queue could not be filled (another OS's behaviour).
pub struct FullListener {
    pub addr: SocketAddr,
    _listener: TcpListener,
    _fillers: Vec<TcpStream>,
}

pub async fn full_listener() -> Option<FullListener> {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..64 {
        match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => fillers.push(stream),
            Ok(Err(_)) => return None,
            Err(_) => {
                return Some(FullListener {
                    addr,
                    _listener: listener,
                    _fillers: fillers,
                })
            }
        }
    }
    None
}

/// A test CA with a server certificate for 127.0.0.1 and a client
/// certificate, all made at test time.
pub struct TestPki {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub server_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub server_key_der: Vec<u8>,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

pub fn test_pki() -> TestPki {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa,
        KeyPair,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "rpc toolkit test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &ca).unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client_params = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params.signed_by(&client_key, &ca).unwrap();

    TestPki {
        ca_pem: ca.pem(),
        ca_der: ca.der().to_vec(),
        server_chain: vec![server_cert.der().clone()],
        server_key_der: server_key.serialize_der(),
        client_cert_pem: client_cert.pem(),
        client_key_pem: client_key.serialize_pem(),
    }
}

/// A rustls server config for `pki`'s server certificate; when
/// `require_client_cert`, clients must present a certificate from the CA.
pub fn tls_server_config(pki: &TestPki, require_client_cert: bool) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(pki.ca_der.clone()))
            .unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(pki.server_key_der.clone().into());
    let mut config = builder
        .with_single_cert(pki.server_chain.clone(), key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A router for the happy paths: `subtract(minuend, subtrahend)`,
/// `hello()`, `log(line)` (appends to the returned list; meant as a
/// notification) and `fail()` (error -32001 with data).
pub fn test_router() -> (Router, Arc<Mutex<Vec<String>>>) {
    use rpc_runtime::protocol::ErrorObjectOwned;
    let logged = Arc::new(Mutex::new(Vec::new()));
    let mut router = Router::new();
    router
        .register_sync("subtract", |params, _| {
            let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
            Ok::<_, ErrorObjectOwned>(minuend - subtrahend)
        })
        .unwrap();
    router
        .register_sync("hello", |_, _| Ok::<_, ErrorObjectOwned>("hello"))
        .unwrap();
    let sink = Arc::clone(&logged);
    router
        .register_sync("log", move |params, _| {
            let (line,): (String,) = params.decode(&["line"])?;
            sink.lock().unwrap().push(line);
            Ok::<_, ErrorObjectOwned>(())
        })
        .unwrap();
    router
        .register_sync("fail", |_, _| {
            Err::<(), _>(
                ErrorObjectOwned::new(-32001, "it failed")
                    .with_data(&serde_json::json!({"why": "asked to"}))
                    .unwrap(),
            )
        })
        .unwrap();
    (router, logged)
}

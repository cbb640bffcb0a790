//! `HttpClient` through a real HTTP proxy, `tinyproxy` (installed from
//! apt on first use, see `support/packages.rs`) on 127.0.0.1: `http://`
//! forwarded in absolute form (tinyproxy adds its `Via` header),
//! `https://` through a `CONNECT` tunnel with TLS to the endpoint inside
//! it, proxy credentials, and the proxy chosen from `HTTP_PROXY` /
//! `https_proxy` with `NO_PROXY` exempting an endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/packages.rs"]
#[allow(dead_code)]
mod packages;
#[path = "support/http_client_servers.rs"]
mod servers;

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http::Version;
use rpc_client::{BuildError, ClientError, EncodedParams, HttpClient};
use servers::{serve, serve_with, test_pki, test_router, tls_server_config, Answer, TestServer};

/// A tinyproxy process on a free port; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Proxy {
    /// Starts tinyproxy; `auth` adds `BasicAuth user password`.
    fn start(auth: Option<(&str, &str)>) -> Self {
        packages::ensure();
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("rpc-tinyproxy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 50\nAllow 127.0.0.1\n"
        );
        if let Some((user, password)) = auth {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let conf = dir.join("tinyproxy.conf");
        std::fs::write(&conf, config).unwrap();
        let log = dir.join("tinyproxy.log");
        // `-d`: in the foreground, logging to stdout (here, the log file).
        let child = Command::new("tinyproxy")
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run tinyproxy ({e}); install it with `{}`",
                    packages::INSTALL
                )
            });
        let proxy = Self { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not listen: {}",
                proxy.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        proxy
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn hello(client: &HttpClient) -> Result<String, ClientError> {
    client.request("hello", EncodedParams::none()).await
}

/// The `Via` header of the last request the server saw.
fn last_via(server: &TestServer) -> Option<String> {
    let seen = server.seen();
    let last = seen.last().expect("the server saw a request");
    last.headers
        .get("via")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn http_is_forwarded_by_the_proxy_in_absolute_form() {
    let proxy = Proxy::start(None);
    let server = serve(Answer::router(test_router().0)).await;
    let client = HttpClient::builder(&server.url())
        .proxy(proxy.url())
        .build()
        .unwrap();
    assert_eq!(client.proxy().unwrap().port_u16(), Some(proxy.port));
    assert_eq!(hello(&client).await.unwrap(), "hello");
    let via = last_via(&server).expect("tinyproxy adds Via");
    assert!(via.contains("tinyproxy"), "{via}");
    let request_line = format!("POST http://{}/ HTTP/1.1", server.addr);
    assert!(
        proxy.log_text().contains(&request_line),
        "{}",
        proxy.log_text()
    );

    // The call depends on the proxy: without it, it fails at once.
    drop(proxy);
    let error = hello(&client).await.unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_tls_inside() {
    let proxy = Proxy::start(None);
    let pki = test_pki();
    let server = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;
    let client = HttpClient::builder(&server.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .proxy(proxy.url())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(hello(&client).await.unwrap(), "hello");
    }
    let log = proxy.log_text();
    let connect = format!("CONNECT {}", server.addr);
    assert!(log.contains(&connect), "{log}");
    // One tunnel, reused; the proxy saw no request inside it (no Via), and
    // ALPN inside the tunnel chose HTTP/2.
    assert_eq!(log.matches(&connect).count(), 1, "{log}");
    assert_eq!(server.connections(), 1);
    assert_eq!(last_via(&server), None);
    assert!(server.seen().iter().all(|s| s.version == Version::HTTP_2));
}

#[tokio::test]
async fn proxy_credentials_come_from_the_proxy_url() {
    let proxy = Proxy::start(Some(("rpc", "s3cret")));
    let plain = serve(Answer::router(test_router().0)).await;
    let pki = test_pki();
    let tls = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;

    // No credentials: refused. For http:// tinyproxy answers 407 and
    // closes without reading the body, so the client may see the 407 or
    // the reset that follows it.
    let anonymous = HttpClient::builder(&plain.url())
        .proxy(proxy.url())
        .build()
        .unwrap();
    let error = hello(&anonymous).await.unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::HttpStatus { status: 407, .. } | ClientError::Transport(_)
        ),
        "{error:?}"
    );
    assert!(plain.seen().is_empty());
    let anonymous = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .proxy(proxy.url())
        .build()
        .unwrap();
    let error = hello(&anonymous).await.unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");

    let with_auth = format!("http://rpc:s3cret@127.0.0.1:{}", proxy.port);
    let client = HttpClient::builder(&plain.url())
        .proxy(with_auth.clone())
        .build()
        .unwrap();
    assert_eq!(hello(&client).await.unwrap(), "hello");
    let client = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .proxy(with_auth)
        .build()
        .unwrap();
    assert_eq!(hello(&client).await.unwrap(), "hello");
    // The credentials go to the proxy, not on to the server.
    assert!(plain
        .seen()
        .iter()
        .all(|s| !s.headers.contains_key("proxy-authorization")));
}

#[test]
fn an_unusable_proxy_url_is_a_build_error() {
    for bad in [
        "socks5://127.0.0.1:1080",
        "https://127.0.0.1:3128",
        "http://",
    ] {
        let built = HttpClient::builder("http://127.0.0.1:1").proxy(bad).build();
        assert!(
            matches!(built, Err(BuildError::InvalidProxy { .. })),
            "{bad}: {built:?}"
        );
    }
}

const PROXY_VARS: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "REQUEST_METHOD",
];

/// The only test here that reads the environment (the others name their
/// proxy, or none), so setting it cannot race with them.
#[tokio::test]
async fn the_environment_chooses_the_proxy_and_no_proxy_exempts() {
    let proxy = Proxy::start(None);
    let server = serve(Answer::router(test_router().0)).await;
    let pki = test_pki();
    let tls = serve_with(
        Answer::router(test_router().0),
        Some(tls_server_config(&pki, false)),
    )
    .await;
    for var in PROXY_VARS {
        std::env::remove_var(var);
    }

    // HTTP_PROXY for an http:// endpoint.
    std::env::set_var("HTTP_PROXY", proxy.url());
    let client = HttpClient::new(&server.url()).unwrap();
    assert!(client.proxy().is_some());
    assert_eq!(hello(&client).await.unwrap(), "hello");
    assert!(last_via(&server).is_some_and(|via| via.contains("tinyproxy")));
    // ... but not for an https:// one.
    let direct = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert!(direct.proxy().is_none());

    // NO_PROXY exempts the endpoint's host.
    std::env::set_var("NO_PROXY", "localhost,127.0.0.1");
    let exempt = HttpClient::new(&server.url()).unwrap();
    assert!(exempt.proxy().is_none());
    assert_eq!(hello(&exempt).await.unwrap(), "hello");
    assert_eq!(last_via(&server), None);

    // Lower case works too: https_proxy for an https:// endpoint.
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("NO_PROXY");
    std::env::set_var("https_proxy", proxy.url());
    let tunnelled = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert!(tunnelled.proxy().is_some());
    assert_eq!(hello(&tunnelled).await.unwrap(), "hello");
    assert!(proxy.log_text().contains(&format!("CONNECT {}", tls.addr)));
    std::env::set_var("no_proxy", "127.0.0.1");
    let exempt = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .build()
        .unwrap();
    assert!(exempt.proxy().is_none());

    // `no_proxy()` on the builder wins over the environment.
    std::env::remove_var("no_proxy");
    let ignoring = HttpClient::builder(&tls.https_url())
        .add_root_certificate(pki.ca_pem.clone())
        .no_proxy()
        .build()
        .unwrap();
    assert!(ignoring.proxy().is_none());
    assert_eq!(hello(&ignoring).await.unwrap(), "hello");
    for var in PROXY_VARS {
        std::env::remove_var(var);
    }
}

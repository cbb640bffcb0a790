//! The API explorer page (`ServerBuilder::explorer`) on a real server: served
//! at its path and for a browser's `GET /` only when turned on, with its
//! headers; JSON-RPC, the OpenRPC `GET`, WebSocket upgrades and the health
//! endpoints unaffected; the page self-contained, and its script valid
//! JavaScript (`node --check`). The page's behaviour in a browser is the
//! Playwright test's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "http_server_support/mod.rs"]
mod support;

use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use rpc_runtime::server::{Server, ServerBuilder, ServerHandle};
use rpc_runtime::{rpc, Router};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::Message;

use support::{call_text, start, Reply, H1};

/// What a browser's navigation sends (Chromium's, Firefox's are alike).
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Arithmetic over JSON-RPC.
#[rpc(server_only)]
pub trait Arith {
    /// Subtracts `subtrahend` from `minuend`.
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> i64;
}

struct Calc;

impl Arith for Calc {
    async fn subtract(&self, minuend: i64, subtrahend: i64) -> i64 {
        minuend - subtrahend
    }
}

fn router() -> Router {
    Calc.into_router()
}

async fn serve(builder: ServerBuilder) -> ServerHandle {
    start(builder, router()).await
}

fn request(method: Method, path: &str, accept: Option<&str>) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost");
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.body(Full::new(Bytes::new())).unwrap()
}

async fn get(h1: &mut H1, path: &str, accept: Option<&str>) -> Reply {
    h1.send(request(Method::GET, path, accept)).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header: {reply:?}"))
        .to_str()
        .unwrap()
}

fn assert_page(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.content_type(), Some("text/html; charset=utf-8"));
    assert!(reply.text().starts_with("<!doctype html>"), "{reply:?}");
}

/// The page, from a server with the explorer on.
async fn page() -> String {
    let server = serve(Server::builder().explorer("/explorer")).await;
    let mut h1 = H1::connect(server.local_addr()).await;
    let reply = get(&mut h1, "/explorer", None).await;
    assert_page(&reply);
    reply.text().to_owned()
}

#[tokio::test]
async fn the_page_is_served_at_its_path_and_for_a_browsers_root() {
    let server = serve(Server::builder().explorer("explorer")).await;
    let mut h1 = H1::connect(server.local_addr()).await;
    let at_path = get(&mut h1, "/explorer", None).await;
    assert_page(&at_path);
    let at_root = get(&mut h1, "/", Some(BROWSER)).await;
    assert_page(&at_root);
    assert_eq!(at_path.body, at_root.body);
    assert_page(&get(&mut h1, "/?x=1", Some("text/html")).await);

    let head = h1.send(request(Method::HEAD, "/explorer", None)).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(
        header(&head, "content-length"),
        at_path.body.len().to_string()
    );

    // The OpenRPC GET keeps its answer: explicit JSON wins over HTML.
    for accept in ["application/json", "text/html, application/json;q=0.9"] {
        let reply = get(&mut h1, "/", Some(accept)).await;
        assert_eq!(reply.content_type(), Some("application/json"), "{accept}");
        assert_eq!(reply.json()["openrpc"], "1.3.2", "{accept}");
    }
    // Not a browser's navigation: refused as before (no method map).
    for accept in [None, Some("*/*"), Some("text/html;q=0")] {
        let reply = get(&mut h1, "/", accept).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{accept:?}");
    }
    // Other paths and methods are not the page.
    let other = get(&mut h1, "/explorer/x", None).await;
    assert_eq!(other.status, StatusCode::METHOD_NOT_ALLOWED);
    let delete = h1
        .send(request(Method::DELETE, "/explorer", Some(BROWSER)))
        .await;
    assert_eq!(delete.status, StatusCode::METHOD_NOT_ALLOWED);
    server.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test]
async fn without_the_explorer_nothing_changes() {
    let server = serve(Server::builder()).await;
    let mut h1 = H1::connect(server.local_addr()).await;
    for (path, accept) in [("/explorer", None), ("/", Some(BROWSER)), ("/", None)] {
        let reply = get(&mut h1, path, accept).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(reply.content_type(), Some("application/json"));
    }
    let doc = get(&mut h1, "/", Some("application/json")).await;
    assert_eq!(doc.json()["openrpc"], "1.3.2");

    // With the method map on, a browser's GET gets the map, as before.
    let server = serve(Server::builder().method_map(true)).await;
    let mut h1 = H1::connect(server.local_addr()).await;
    let map = get(&mut h1, "/", Some(BROWSER)).await;
    assert_eq!(map.status, StatusCode::OK);
    assert_eq!(map.json()["methods"][0]["name"], "subtract");
}

#[tokio::test]
async fn json_rpc_websocket_and_health_are_unaffected() {
    let server = serve(Server::builder().explorer("/explorer")).await;
    let addr = server.local_addr();
    let mut h1 = H1::connect(addr).await;
    let reply = h1.call(&call_text("subtract", "[42, 23]")).await;
    assert_eq!(reply.json()["result"], 19);
    // The standalone server answers JSON-RPC on every path, the page's too.
    let on_page_path = h1
        .send(
            Request::post("/explorer")
                .header("host", "localhost")
                .header("content-type", "application/json")
                .header("accept", BROWSER)
                .body(Full::new(Bytes::from(call_text("subtract", "[5, 3]"))))
                .unwrap(),
        )
        .await;
    assert_eq!(on_page_path.json()["result"], 2);

    let health = get(&mut h1, "/health", Some(BROWSER)).await;
    assert_eq!(health.text(), r#"{"status":"ok"}"#);
    let ready = get(&mut h1, "/ready", Some(BROWSER)).await;
    assert_eq!(ready.text(), r#"{"status":"ready"}"#);

    // A browser's WebSocket upgrade on `/` (and on the page's path) still
    // upgrades.
    for path in ["/", "/explorer"] {
        let mut upgrade = format!("ws://{addr}{path}").into_client_request().unwrap();
        upgrade
            .headers_mut()
            .insert("accept", BROWSER.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(upgrade)
            .await
            .unwrap_or_else(|e| panic!("upgrade on {path}: {e}"));
        ws.send(Message::text(call_text("subtract", "[42, 23]")))
            .await
            .unwrap();
        let answer = ws.next().await.unwrap().unwrap();
        let answer: serde_json::Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
        assert_eq!(answer["result"], 19, "{path}");
    }
}

#[tokio::test]
async fn the_page_has_its_headers_and_is_cacheable() {
    let server = serve(Server::builder().explorer("/explorer")).await;
    let mut h1 = H1::connect(server.local_addr()).await;
    let reply = get(&mut h1, "/explorer", None).await;
    assert_page(&reply);
    let csp = header(&reply, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "connect-src 'self'",
        "script-src 'unsafe-inline'",
        "style-src 'unsafe-inline'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("http"), "no other origin allowed: {csp}");
    assert!(!csp.contains('*'), "no wildcard: {csp}");
    assert_eq!(header(&reply, "x-content-type-options"), "nosniff");
    assert_eq!(header(&reply, "cache-control"), "no-cache");
    let etag = header(&reply, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let mut again = request(Method::GET, "/explorer", None);
    again
        .headers_mut()
        .insert("if-none-match", etag.parse().unwrap());
    let cached = h1.send(again).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    assert_eq!(header(&cached, "etag"), etag);

    let mut stale = request(Method::GET, "/explorer", None);
    stale
        .headers_mut()
        .insert("if-none-match", "\"other\"".parse().unwrap());
    assert_page(&h1.send(stale).await);

    // The same page from a second server: the ETag is the page's, not the
    // process's.
    let other = serve(Server::builder().explorer("/explorer")).await;
    let mut h1 = H1::connect(other.local_addr()).await;
    assert_eq!(header(&get(&mut h1, "/explorer", None).await, "etag"), etag);
}

#[tokio::test]
async fn the_page_is_self_contained() {
    let page = page().await;
    let lower = page.to_ascii_lowercase();
    // No URL to any host at all: everything the page uses is in it, and it
    // talks to its own origin through relative URLs.
    for needle in ["http://", "https://", "//cdn", "ws://", "wss://"] {
        assert!(!lower.contains(needle), "the page names {needle}");
    }
    for needle in [
        "<script src",
        " src=",
        "@import",
        "<iframe",
        "<object",
        "<embed",
        "@font-face",
    ] {
        assert!(!lower.contains(needle), "the page has {needle}");
    }
    let style = &lower[lower.find("<style>").unwrap()..lower.find("</style>").unwrap()];
    assert!(!style.contains("url("), "the style loads nothing");
    // Its one <link> is the empty icon, inline.
    for (at, _) in lower.match_indices("<link") {
        let tag = &lower[at..at + lower[at..].find('>').unwrap()];
        assert!(tag.contains("href=\"data:"), "an external link: {tag}");
    }
    // Server text is set as text, never parsed as markup.
    for needle in [
        "innerhtml",
        "outerhtml",
        "insertadjacenthtml",
        "document.write",
        "eval(",
    ] {
        assert!(!lower.contains(needle), "the page uses {needle}");
    }
}

#[tokio::test]
async fn the_page_has_the_hooks_a_browser_test_drives() {
    let page = page().await;
    for id in [
        "search",
        "methods",
        "endpoint",
        "headers",
        "transport-http",
        "transport-ws",
        "validate",
        "form",
        "call",
        "stop",
        "copy-curl",
        "copy-rpc",
        "request",
        "response",
        "result",
        "error",
        "timing",
        "items",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "#{id} missing");
    }
    for attribute in [
        "'data-method'",
        "'data-param'",
        "'data-include'",
        "'data-add'",
    ] {
        assert!(page.contains(attribute), "{attribute} missing");
    }
    assert!(page.contains("rpc.discover"));
    assert!(page.contains("x-subscription"));
}

#[test]
fn the_pages_script_is_valid_javascript() {
    let page = include_str!("../../rpc-runtime/src/server/explorer.html");
    let scripts: Vec<&str> = page
        .split("<script>")
        .skip(1)
        .map(|rest| &rest[..rest.find("</script>").expect("a closed <script>")])
        .collect();
    assert_eq!(scripts.len(), 1, "one inline script");
    assert!(
        !page.contains("<script "),
        "every script is the inline one, without attributes"
    );
    let dir = std::env::temp_dir().join(format!("explorer-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("explorer.js");
    std::fs::write(&file, scripts[0]).unwrap();
    let output = std::process::Command::new("node")
        .arg("--check")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `node --check` ({e}): install Node.js 20 (apt-get install nodejs)")
        });
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        output.status.success(),
        "node --check failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

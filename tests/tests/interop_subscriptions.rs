//! Subscriptions interop with independent implementations, on real sockets
//! on 127.0.0.1 (free ports), every exchange bounded so a hang fails:
//!
//! - jsonrpsee's WebSocket client subscribes to our server: typed items in
//!   order, `unsubscribe()`, a dropped subscription, a rejected subscribe,
//!   and a subscription our server ends.
//! - Our `WsClient` subscribes to a jsonrpsee server: typed items,
//!   `unsubscribe()` answering `true`, and each way jsonrpsee can end a
//!   subscription (an error object, an error string, silently, by closing
//!   the connection).
//! - A raw Python `websockets` client checks our wire format byte for byte
//!   (`tests/interop/websockets_subscribe.py`, run with the pinned venv of
//!   `tests/interop/requirements.txt`, as in `interop.rs`).
//!
//! Where a peer deviates from our wire format (or from what our client
//! expects), the test that meets it says so in a `DEVIATION` comment and
//! asserts what actually happens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The peer module also starts Python servers; only its scripts are used here.
#[allow(dead_code)]
#[path = "support/interop_peer.rs"]
mod peer;
#[path = "support/interop_python.rs"]
mod python;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use jsonrpsee::core::client::{ClientT as _, SubscriptionClientT as _};
use jsonrpsee::core::SubscriptionError as TheirSubscriptionError;
use jsonrpsee::rpc_params;
use jsonrpsee::server::{PendingSubscriptionSink, RpcModule};
use jsonrpsee::ws_client::WsClientBuilder;
use rpc_client::{EncodedParams, SubscriptionError, WsClient};
use rpc_runtime::protocol::{codes, ErrorObject};
use rpc_runtime::server::{Server, ServerHandle};
use rpc_runtime::subscription::PendingSubscription;
use rpc_runtime::Router;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// No exchange with a peer may take longer: a hang fails the test.
const LIMIT: Duration = Duration::from_secs(10);
/// How long "nothing more comes" is watched for.
const QUIET: Duration = Duration::from_millis(300);

async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

/// Waits (bounded) until `check` holds.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    bounded(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Asserts that `stream` yields nothing for [`QUIET`] (neither an item nor
/// its end).
async fn assert_quiet<S: futures_util::Stream + Unpin>(what: &str, stream: &mut S)
where
    S::Item: std::fmt::Debug,
{
    if let Ok(next) = tokio::time::timeout(QUIET, stream.next()).await {
        panic!("{what}: expected nothing within {QUIET:?}, got {next:?}");
    }
}

fn params(value: Value) -> EncodedParams {
    EncodedParams::from_value(&value).unwrap()
}

// ---------------------------------------------------------------------------
// Our server: the one jsonrpsee's client and the Python script talk to.

/// `subscribe_count(start, every_ms)`: counts from `start` every `every_ms`
/// (notification `count`, unsubscribe `unsubscribe_count`); `ended` counts
/// the producers that saw their subscription close.
/// `subscribe_upto(start, end)`: sends `start..=end`, then ends the
/// subscription (notification `upto`, unsubscribe `unsubscribe_upto`).
/// `open_subscriptions()`: the calling connection's live subscriptions.
fn our_api(ended: Arc<AtomicUsize>) -> Router {
    let mut router = Router::new();
    router
        .register_subscription(
            "subscribe_count",
            "count",
            "unsubscribe_count",
            &["start", "every_ms"],
            move |(start, every_ms): (i64, u64), pending: PendingSubscription<i64>, _| {
                let ended = ended.clone();
                async move {
                    if every_ms == 0 {
                        return pending.reject(ErrorObject::new(4000, "every_ms must be positive"));
                    }
                    let Ok(sink) = pending.accept() else { return };
                    let mut n = start;
                    loop {
                        tokio::select! {
                            () = sink.closed() => break,
                            () = tokio::time::sleep(Duration::from_millis(every_ms)) => {}
                        }
                        if sink.send(&n).await.is_err() {
                            break;
                        }
                        n += 1;
                    }
                    ended.fetch_add(1, Ordering::SeqCst);
                }
            },
        )
        .unwrap();
    router
        .register_subscription(
            "subscribe_upto",
            "upto",
            "unsubscribe_upto",
            &["start", "end"],
            |(start, end): (i64, i64), pending: PendingSubscription<i64>, _| async move {
                let Ok(sink) = pending.accept() else { return };
                for n in start..=end {
                    if sink.send(&n).await.is_err() {
                        return;
                    }
                }
                // Dropping the last sink ends the subscription: a last
                // notification with `params.error` (-32009).
            },
        )
        .unwrap();
    router
        .register_sync("open_subscriptions", |_, ctx| {
            Ok::<_, ErrorObject<'static>>(ctx.subscriptions().map_or(0, |s| s.len()))
        })
        .unwrap();
    router
}

async fn our_server() -> (ServerHandle, String, Arc<AtomicUsize>) {
    let ended = Arc::new(AtomicUsize::new(0));
    let handle = Server::builder()
        .build(our_api(ended.clone()))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/", handle.local_addr());
    (handle, url, ended)
}

// ---------------------------------------------------------------------------
// 1. jsonrpsee's WebSocket client subscribes to our server.

async fn jsonrpsee_client(url: &str) -> jsonrpsee::ws_client::WsClient {
    bounded(
        "jsonrpsee connects",
        WsClientBuilder::default().request_timeout(LIMIT).build(url),
    )
    .await
    .unwrap()
}

/// jsonrpsee's client matches notifications by subscription id alone: it
/// is never told the notification method (`count`, which is neither the
/// subscribe nor the unsubscribe name) and does not care.
#[tokio::test]
async fn jsonrpsee_client_gets_typed_items_in_order_and_unsubscribes() {
    let (handle, url, ended) = our_server().await;
    let client = jsonrpsee_client(&url).await;
    let open = || client.request::<usize, _>("open_subscriptions", rpc_params![]);

    let mut counts = bounded(
        "jsonrpsee subscribes",
        client.subscribe::<i64, _>("subscribe_count", rpc_params![1, 5], "unsubscribe_count"),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(bounded("an item", counts.next()).await.unwrap().unwrap());
    }
    assert_eq!(got, [1, 2, 3, 4, 5]);
    assert_eq!(bounded("open", open()).await.unwrap(), 1);

    // jsonrpsee's `unsubscribe()` sends `unsubscribe_count [id]` and waits
    // for its stream to close; it does not report the server's `true`.
    bounded("jsonrpsee unsubscribes", counts.unsubscribe())
        .await
        .unwrap();
    eventually("our producer to see closed()", || {
        ended.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(bounded("open", open()).await.unwrap(), 0);

    // Dropping the subscription unsubscribes too (sent by jsonrpsee's
    // background task).
    let mut again = bounded(
        "jsonrpsee subscribes again",
        client.subscribe::<i64, _>("subscribe_count", rpc_params![100, 5], "unsubscribe_count"),
    )
    .await
    .unwrap();
    assert_eq!(
        bounded("an item", again.next()).await.unwrap().unwrap(),
        100
    );
    assert_eq!(bounded("open", open()).await.unwrap(), 1);
    drop(again);
    eventually("a dropped subscription to unsubscribe", || {
        ended.load(Ordering::SeqCst) == 2
    })
    .await;
    assert_eq!(bounded("open", open()).await.unwrap(), 0);

    drop(client);
    handle.shutdown(LIMIT).await;
}

#[tokio::test]
async fn jsonrpsee_client_sees_rejections_and_server_ended_subscriptions() {
    let (handle, url, _) = our_server().await;
    let client = jsonrpsee_client(&url).await;

    // A rejected subscribe is jsonrpsee's `Error::Call` with our error.
    let rejected = bounded(
        "a rejected subscribe",
        client.subscribe::<i64, _>("subscribe_count", rpc_params![1, 0], "unsubscribe_count"),
    )
    .await
    .unwrap_err();
    match rejected {
        jsonrpsee::core::ClientError::Call(e) => {
            assert_eq!(e.code(), 4000);
            assert_eq!(e.message(), "every_ms must be positive");
        }
        other => panic!("{other:?}"),
    }

    // Our server ends `subscribe_upto` with a last `params.error`
    // notification: jsonrpsee's stream yields the items, then ends.
    let mut upto = bounded(
        "jsonrpsee subscribes",
        client.subscribe::<i64, _>("subscribe_upto", rpc_params![1, 3], "unsubscribe_upto"),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    while let Some(item) = bounded("the stream's next item or end", upto.next()).await {
        got.push(item.unwrap());
    }
    assert_eq!(got, [1, 2, 3]);
    // DEVIATION (jsonrpsee client): it drops the server's error object
    // (`params.error`, -32009 here) and reports the end as
    // `ConnectionClosed`, though the connection goes on.
    assert!(matches!(
        upto.close_reason(),
        Some(jsonrpsee::core::client::SubscriptionCloseReason::ConnectionClosed)
    ));
    assert!(client.is_connected());
    let open = bounded(
        "open",
        client.request::<usize, _>("open_subscriptions", rpc_params![]),
    )
    .await
    .unwrap();
    assert_eq!(open, 0);

    drop(client);
    handle.shutdown(LIMIT).await;
}

// ---------------------------------------------------------------------------
// 2. Our client subscribes to a jsonrpsee server.

/// How jsonrpsee's `subscribe_upto` ends its subscription.
#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Ending {
    /// `SubscriptionError::from_json`: `params.error` is an error object.
    Object,
    /// `SubscriptionError::from` (what `?` and `"…".into()` make):
    /// `params.error` is a string.
    String,
    /// `Ok(())`: no last notification at all.
    Silent,
}

/// `subscribe_count(start, every_ms)` as on our server (`ended` counts
/// producers that saw their subscription close), and
/// `subscribe_upto(start, end, ending)`: `start..=end`, then the end.
fn their_module(ended: Arc<AtomicUsize>) -> RpcModule<Arc<AtomicUsize>> {
    let mut module = RpcModule::new(ended);
    module
        .register_subscription(
            "subscribe_count",
            "count",
            "unsubscribe_count",
            |params, pending: PendingSubscriptionSink, ended, _| async move {
                let (start, every_ms) = match params.parse::<(i64, u64)>() {
                    Ok(args) => args,
                    Err(e) => {
                        pending.reject(e).await;
                        return Ok(());
                    }
                };
                let sink = pending.accept().await?;
                let mut n = start;
                loop {
                    tokio::select! {
                        () = sink.closed() => break,
                        () = tokio::time::sleep(Duration::from_millis(every_ms)) => {}
                    }
                    if sink
                        .send(serde_json::value::to_raw_value(&n)?)
                        .await
                        .is_err()
                    {
                        break;
                    }
                    n += 1;
                }
                ended.fetch_add(1, Ordering::SeqCst);
                Ok::<(), TheirSubscriptionError>(())
            },
        )
        .unwrap();
    module
        .register_subscription(
            "subscribe_upto",
            "upto",
            "unsubscribe_upto",
            |params, pending: PendingSubscriptionSink, _, _| async move {
                let (start, end, ending) = match params.parse::<(i64, i64, Ending)>() {
                    Ok(args) => args,
                    Err(e) => {
                        pending.reject(e).await;
                        return Ok(());
                    }
                };
                let sink = pending.accept().await?;
                for n in start..=end {
                    sink.send(serde_json::value::to_raw_value(&n)?).await?;
                }
                match ending {
                    Ending::Object => {
                        let error = json!({"code": 5000, "message": "counted to the end"});
                        Err(TheirSubscriptionError::from_json(
                            serde_json::value::to_raw_value(&error)?,
                        ))
                    }
                    Ending::String => Err("counted to the end".into()),
                    Ending::Silent => Ok::<(), TheirSubscriptionError>(()),
                }
            },
        )
        .unwrap();
    module
}

struct TheirServer {
    handle: jsonrpsee::server::ServerHandle,
    url: String,
    ended: Arc<AtomicUsize>,
}

async fn their_server() -> TheirServer {
    let ended = Arc::new(AtomicUsize::new(0));
    let server = jsonrpsee::server::Server::builder()
        .build("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/", server.local_addr().unwrap());
    let handle = server.start(their_module(ended.clone()));
    TheirServer { handle, url, ended }
}

async fn our_client(url: &str) -> WsClient {
    bounded("our client connects", WsClient::connect(url))
        .await
        .unwrap()
}

#[tokio::test]
async fn our_client_gets_typed_items_from_jsonrpsee_and_unsubscribes() {
    let server = their_server().await;
    let client = our_client(&server.url).await;
    let mut counts = bounded(
        "we subscribe",
        client.subscribe::<i64>(
            "subscribe_count",
            params(json!([1, 5])),
            "count",
            "unsubscribe_count",
        ),
    )
    .await
    .unwrap();
    // jsonrpsee's default ids are random integers (below 2^53).
    assert!(
        matches!(
            counts.id(),
            rpc_runtime::subscription::SubscriptionId::Num(n) if n < 1 << 53
        ),
        "{:?}",
        counts.id()
    );
    let mut got = Vec::new();
    for _ in 0..5 {
        got.push(bounded("an item", counts.next()).await.unwrap().unwrap());
    }
    assert_eq!(got, [1, 2, 3, 4, 5]);
    assert!(bounded("we unsubscribe", counts.unsubscribe())
        .await
        .unwrap());
    eventually("jsonrpsee's producer to see closed()", || {
        server.ended.load(Ordering::SeqCst) == 1
    })
    .await;

    // Dropping our stream unsubscribes too.
    let mut again = bounded(
        "we subscribe again",
        client.subscribe::<i64>(
            "subscribe_count",
            params(json!([100, 5])),
            "count",
            "unsubscribe_count",
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        bounded("an item", again.next()).await.unwrap().unwrap(),
        100
    );
    drop(again);
    eventually("a dropped stream to unsubscribe", || {
        server.ended.load(Ordering::SeqCst) == 2
    })
    .await;

    // A rejected subscribe: jsonrpsee's invalid-params error, typed.
    let rejected = bounded(
        "a rejected subscribe",
        client.subscribe::<i64>(
            "subscribe_count",
            params(json!(["x", 5])),
            "count",
            "unsubscribe_count",
        ),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&rejected, rpc_client::ClientError::Rpc(e) if e.code == codes::INVALID_PARAMS),
        "{rejected:?}"
    );

    client.close().await;
    server.handle.stop().unwrap();
    bounded("jsonrpsee stops", server.handle.stopped()).await;
}

/// jsonrpsee ends a subscription with an error object: our stream yields
/// the items, the error as `SubscriptionError::Ended`, then ends.
#[tokio::test]
async fn our_stream_ends_when_jsonrpsee_ends_it_with_an_error_object() {
    let server = their_server().await;
    let client = our_client(&server.url).await;
    let mut upto = bounded(
        "we subscribe",
        client.subscribe::<i64>(
            "subscribe_upto",
            params(json!([1, 3, "object"])),
            "upto",
            "unsubscribe_upto",
        ),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    let error = loop {
        match bounded("the stream's next item or end", upto.next()).await {
            Some(Ok(n)) => got.push(n),
            Some(Err(SubscriptionError::Ended(error))) => break error,
            other => panic!("expected an item or the end, got {other:?}"),
        }
    };
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(error.code, 5000);
    assert_eq!(error.message, "counted to the end");
    assert!(bounded("the stream's end", upto.next()).await.is_none());
    // jsonrpsee no longer knows the id.
    let id = upto.id().clone();
    let known: bool = bounded(
        "unsubscribe",
        client.request("unsubscribe_upto", params(json!([id]))),
    )
    .await
    .unwrap();
    assert!(!known);

    client.close().await;
    server.handle.stop().unwrap();
    bounded("jsonrpsee stops", server.handle.stopped()).await;
}

/// jsonrpsee ends a subscription with an error string, its convenience
/// form (`Err("…".into())`, and what `?` makes of any error).
#[tokio::test]
async fn our_stream_and_jsonrpsee_s_error_string() {
    let server = their_server().await;

    // DEVIATION (jsonrpsee server): `params.error` is a bare JSON string,
    // not an error object. Seen on the wire:
    let (mut ws, _) = bounded(
        "a raw connection",
        tokio_tungstenite::connect_async(&server.url),
    )
    .await
    .unwrap();
    let subscribe = r#"{"jsonrpc":"2.0","method":"subscribe_upto","params":[1,1,"string"],"id":1}"#;
    bounded("send", ws.send(Message::text(subscribe)))
        .await
        .unwrap();
    let mut frames = Vec::new();
    for _ in 0..3 {
        let frame = bounded("a frame", ws.next()).await.unwrap().unwrap();
        frames.push(frame.into_text().unwrap().to_string());
    }
    let reply: Value = serde_json::from_str(&frames[0]).unwrap();
    let id = reply["result"].to_string();
    assert_eq!(
        frames[1..],
        [
            format!(
                r#"{{"jsonrpc":"2.0","method":"upto","params":{{"subscription":{id},"result":1}}}}"#
            ),
            format!(
                r#"{{"jsonrpc":"2.0","method":"upto","params":{{"subscription":{id},"error":"counted to the end"}}}}"#
            ),
        ],
    );
    drop(ws);

    // jsonrpsee's last notice may carry a bare string as `params.error`
    // (what its `Err("..".into())` sends): our stream yields it as the end,
    // with code -32009 and the string as its message, then ends.
    let client = our_client(&server.url).await;
    let mut upto = bounded(
        "we subscribe",
        client.subscribe::<i64>(
            "subscribe_upto",
            params(json!([1, 3, "string"])),
            "upto",
            "unsubscribe_upto",
        ),
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(bounded("an item", upto.next()).await.unwrap().unwrap());
    }
    assert_eq!(got, [1, 2, 3]);
    match bounded("the end notice", upto.next()).await {
        Some(Err(SubscriptionError::Ended(error))) => {
            assert_eq!(error.code, rpc_runtime::protocol::codes::SUBSCRIPTION_ENDED);
            assert_eq!(error.message, "counted to the end");
        }
        other => panic!("expected the end, got {other:?}"),
    }
    assert!(bounded("the stream's end", upto.next()).await.is_none());
    server.handle.stop().unwrap();
    bounded("jsonrpsee stops", server.handle.stopped()).await;
}

/// jsonrpsee ends a subscription silently (the callback returns `Ok(())`),
/// then closes the connection.
#[tokio::test]
async fn our_stream_ends_when_jsonrpsee_closes_the_connection() {
    let server = their_server().await;
    let client = our_client(&server.url).await;
    let mut upto = bounded(
        "we subscribe",
        client.subscribe::<i64>(
            "subscribe_upto",
            params(json!([1, 2, "silent"])),
            "upto",
            "unsubscribe_upto",
        ),
    )
    .await
    .unwrap();
    for n in 1..=2 {
        assert_eq!(bounded("an item", upto.next()).await.unwrap().unwrap(), n);
    }
    let mut counts = bounded(
        "we subscribe",
        client.subscribe::<i64>(
            "subscribe_count",
            params(json!([1, 5])),
            "count",
            "unsubscribe_count",
        ),
    )
    .await
    .unwrap();
    assert_eq!(bounded("an item", counts.next()).await.unwrap().unwrap(), 1);
    // DEVIATION (jsonrpsee server): a subscription it ends without an error
    // sends no last notification, so no client can tell it ended: our
    // stream stays open, quiet, until the connection ends; jsonrpsee
    // answers `false` to its unsubscribe.
    assert_quiet("a silently ended subscription", &mut upto).await;
    let id = upto.id().clone();
    let known: bool = bounded(
        "unsubscribe",
        client.request("unsubscribe_upto", params(json!([id]))),
    )
    .await
    .unwrap();
    assert!(!known);

    // jsonrpsee stops: it closes the connection, and every stream ends
    // (no error item: the connection's end is the stream's end).
    server.handle.stop().unwrap();
    let mut rest = Vec::new();
    while let Some(item) = bounded("the stream's end", counts.next()).await {
        rest.push(item.unwrap());
    }
    assert!(
        rest.windows(2).all(|w| w[1] == w[0] + 1),
        "in order: {rest:?}"
    );
    assert!(bounded("the other stream's end", upto.next())
        .await
        .is_none());
    eventually("jsonrpsee's producer to see closed()", || {
        server.ended.load(Ordering::SeqCst) == 1
    })
    .await;
    bounded("jsonrpsee stops", server.handle.stopped()).await;
}

// ---------------------------------------------------------------------------
// 3. A raw Python `websockets` client checks our wire format.

/// `websockets_subscribe.py`: the subscribe reply, three notifications and
/// the unsubscribe answer byte for byte, 200 ms of silence after it, and
/// the last notification of a subscription our server ends.
#[tokio::test]
async fn raw_websockets_client_checks_our_subscription_wire_format() {
    let (handle, url, ended) = our_server().await;
    let run = peer::run_script("websockets_subscribe.py", vec![url]).await;
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let checks = stdout.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(run.passed, checks, "every check reported:\n{stdout}");
    assert_eq!(checks, 7, "{stdout}");
    let summary: Value = stdout
        .lines()
        .find_map(|line| line.strip_prefix("SUMMARY "))
        .map(|json| serde_json::from_str(json).unwrap())
        .unwrap_or_else(|| panic!("no SUMMARY line:\n{stdout}"));
    let id = summary["id"].as_str().unwrap();
    assert_eq!(id.len(), 24, "{summary}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{summary}");
    assert_eq!(summary["results"], json!([1, 2, 3]), "{summary}");
    assert_eq!(summary["unsubscribed"], json!(true), "{summary}");
    assert_eq!(summary["unsubscribed_again"], json!(false), "{summary}");
    assert_eq!(summary["quiet_ms"], json!(200), "{summary}");
    assert_eq!(
        summary["ended_error"]["code"],
        json!(codes::SUBSCRIPTION_ENDED),
        "{summary}"
    );
    eventually("our producer to see the unsubscribe", || {
        ended.load(Ordering::SeqCst) == 1
    })
    .await;
    handle.shutdown(LIMIT).await;
}

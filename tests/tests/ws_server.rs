//! WebSocket on the real HTTP server: the same port and path as HTTP, the
//! specification's examples over a raw socket, binary frames, the upgrade
//! request's head in the context, limits and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use rpc_client::{Caller, HttpClient, PositionalParams, WsClient};
use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::server::{Server, ServerHandle, Shutdown};
use rpc_runtime::ws::WsConfig;
use rpc_runtime::{InternalError, Router};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

fn api() -> Router {
    let mut router = tests::spec_router();
    router
        .register_sync("whoami", |_, ctx| {
            let head = ctx
                .request_head()
                .ok_or_else(|| ErrorObject::new(1, "no head"))?;
            let user = head.cookie("session").unwrap_or("anonymous").to_owned();
            Ok::<_, ErrorObjectOwned>((user, ctx.transport(), ctx.peer_addr().is_some()))
        })
        .unwrap();
    router
        .register_async("sleep", |params, _| {
            let ms = params.decode::<(u64,)>(&["ms"]);
            async move {
                let (ms,) = ms.map_err(|e| InternalError::new(e.message))?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, InternalError>(ms)
            }
        })
        .unwrap();
    router
}

async fn start(server: Server) -> (ServerHandle, String, String) {
    let handle = server.bind("127.0.0.1:0").await.unwrap();
    let addr = handle.local_addr();
    (handle, format!("http://{addr}/"), format!("ws://{addr}/"))
}

fn two(a: i64, b: i64) -> rpc_client::EncodedParams {
    let mut p = PositionalParams::new();
    p.push("a", &a).unwrap();
    p.push("b", &b).unwrap();
    p.finish()
}

#[tokio::test]
async fn one_port_serves_http_and_websocket() {
    let (handle, http_url, ws_url) = start(Server::builder().build(api())).await;
    let http = HttpClient::new(&http_url).unwrap();
    let ws = WsClient::connect(&ws_url).await.unwrap();
    assert_eq!(http.call::<i64>("subtract", two(42, 23)).await.unwrap(), 19);
    assert_eq!(ws.call::<i64>("subtract", two(42, 23)).await.unwrap(), 19);
    let (user, transport, has_peer): (String, String, bool) = ws
        .call("whoami", rpc_client::EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(
        (user.as_str(), transport.as_str(), has_peer),
        ("anonymous", "ws", true)
    );
    ws.close().await;
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn every_specification_example_passes_over_websocket() {
    let (handle, _, ws_url) = start(Server::builder().build(api())).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let probe = r#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"probe"}"#;
    for vector in tests::spec_vectors() {
        socket
            .send(Message::text(vector.request.clone()))
            .await
            .unwrap();
        if vector.response.is_none() {
            // Nothing may come back: the next frame must answer the probe.
            socket.send(Message::text(probe)).await.unwrap();
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let text = frame.into_text().unwrap();
        if vector.response.is_none() {
            assert!(
                text.contains(r#""id":"probe""#),
                "{}: expected no response, got {text}",
                vector.name
            );
        } else {
            tests::check_vector(&vector, Some(&text));
        }
    }
    drop(socket);
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn binary_frames_are_answered_in_binary_and_text_in_text() {
    let (handle, _, ws_url) = start(Server::builder().build(api())).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let request = r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#;
    socket
        .send(Message::binary(request.as_bytes().to_vec()))
        .await
        .unwrap();
    match socket.next().await.unwrap().unwrap() {
        Message::Binary(bytes) => {
            assert_eq!(&bytes[..], br#"{"jsonrpc":"2.0","result":19,"id":1}"#)
        }
        other => panic!("expected a binary frame, got {other:?}"),
    }
    socket.send(Message::text(request)).await.unwrap();
    assert!(matches!(
        socket.next().await.unwrap().unwrap(),
        Message::Text(_)
    ));
    drop(socket);
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn the_upgrade_request_head_authenticates_the_connection() {
    let (handle, _, ws_url) = start(Server::builder().build(api())).await;
    let ws = WsClient::builder(&ws_url)
        .header("cookie", "session=ada")
        .connect()
        .await
        .unwrap();
    let (user, _, _): (String, String, bool) = ws
        .call("whoami", rpc_client::EncodedParams::none())
        .await
        .unwrap();
    assert_eq!(user, "ada");
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn malformed_handshakes_are_refused_with_a_status() {
    let (handle, http_url, _) = start(Server::builder().build(api())).await;
    let addr = handle.local_addr();
    let raw = |request: String| async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = vec![0; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    };
    let no_key = raw(format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ))
    .await;
    assert!(no_key.starts_with("HTTP/1.1 400"), "{no_key}");
    let old = raw(format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    ))
    .await;
    assert!(old.starts_with("HTTP/1.1 426"), "{old}");
    assert!(
        old.to_ascii_lowercase()
            .contains("sec-websocket-version: 13"),
        "{old}"
    );
    let _ = http_url;
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn oversized_messages_close_the_socket_with_1009() {
    let config = WsConfig::default().with_max_message_size(1024);
    let (handle, _, ws_url) = start(Server::builder().ws_config(config).build(api())).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"subtract","params":["{}",1],"id":1}}"#,
        "x".repeat(4096)
    );
    socket.send(Message::text(big)).await.unwrap();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Size));
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn websocket_connections_hold_a_connection_slot() {
    let (handle, _, ws_url) = start(Server::builder().max_connections(1).build(api())).await;
    let first = WsClient::connect(&ws_url).await.unwrap();
    assert_eq!(first.call::<i64>("subtract", two(3, 1)).await.unwrap(), 2);
    assert!(
        WsClient::connect(&ws_url).await.is_err(),
        "the only slot is taken by the open WebSocket"
    );
    first.close().await;
    // Once the socket is gone its slot is free again.
    let mut second = None;
    for _ in 0..50 {
        if let Ok(client) = WsClient::connect(&ws_url).await {
            second = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = second.expect("the slot was freed");
    assert_eq!(second.call::<i64>("subtract", two(3, 1)).await.unwrap(), 2);
    handle.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn shutdown_finishes_calls_in_flight_then_closes_with_1001() {
    let (handle, _, ws_url) = start(Server::builder().build(api())).await;
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    socket
        .send(Message::text(
            r#"{"jsonrpc":"2.0","method":"sleep","params":[300],"id":"slow"}"#,
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopping = tokio::spawn(async move { handle.shutdown(Duration::from_secs(5)).await });
    let reply = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        reply.into_text().unwrap().as_str(),
        r#"{"jsonrpc":"2.0","result":300,"id":"slow"}"#
    );
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Away));
    // Reading on sends tungstenite's reply to the close, ending the socket.
    assert!(socket.next().await.is_none_or(|frame| frame.is_err()));
    let outcome = stopping.await.unwrap();
    assert_eq!(
        outcome,
        Shutdown::Graceful,
        "the socket closed before the deadline"
    );
}

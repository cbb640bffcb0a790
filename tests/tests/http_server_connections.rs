//! The HTTP server's connections on real sockets: keep-alive reuse, HTTP/2
//! prior knowledge on the same port, the connection limit, and graceful
//! shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod http_server_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{StatusCode, Version};
use http_server_support::{call_text, eventually, post, start, start_default, test_router, H1, H2};
use rpc_runtime::server::{Server, Shutdown};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[tokio::test]
async fn keep_alive_serves_many_calls_on_one_connection() {
    let (server, _) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    for i in 0..20 {
        let reply = client.call(&call_text("add", &format!("[{i},1]"))).await;
        assert_eq!(reply.version, Version::HTTP_11);
        assert_eq!(reply.json()["result"], i + 1);
    }
    assert_eq!(
        server.connections_accepted(),
        1,
        "one TCP connection for all calls"
    );
    assert_eq!(server.connections_active(), 1);
}

#[tokio::test]
async fn two_requests_written_at_once_are_both_answered_on_one_socket() {
    let (server, _) = start_default().await;
    let first = call_text("add", "[1,2]");
    let second = call_text("add", "[3,4]");
    let request = |body: &str, close: bool| {
        format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{}\r\n{body}",
            body.len(),
            if close { "connection: close\r\n" } else { "" }
        )
    };
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let both = format!("{}{}", request(&first, false), request(&second, true));
    stream.write_all(both.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut out))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{out}");
    let one = out.find(r#""result":3"#).expect("first answer");
    let two = out.find(r#""result":7"#).expect("second answer");
    assert!(one < two, "answers in request order: {out}");
    assert_eq!(server.connections_accepted(), 1);
}

#[tokio::test]
async fn http2_with_prior_knowledge_on_the_same_port() {
    let (server, _) = start_default().await;
    let client = H2::connect(server.local_addr()).await;
    // Many calls at once, multiplexed on the one connection.
    let calls = (0..10).map(|i| {
        let mut client = client.clone();
        tokio::spawn(async move {
            let reply = client
                .send(post(&call_text("add", &format!("[{i},{i}]"))))
                .await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.version, Version::HTTP_2);
            assert_eq!(reply.content_type(), Some("application/json"));
            assert_eq!(reply.json()["result"], 2 * i);
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap();
    }
    // A notification is 204 over HTTP/2 too.
    let mut client = client.clone();
    let reply = client
        .send(post(r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.body.is_empty());
    assert_eq!(server.connections_accepted(), 1);

    // And HTTP/1.1 still works on the same port.
    let mut h1 = H1::connect(server.local_addr()).await;
    assert_eq!(
        h1.call(&call_text("add", "[1,1]")).await.json()["result"],
        2
    );
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_on_arrival() {
    let handle = start(
        Server::builder().max_connections(1),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut first = H1::connect(handle.local_addr()).await;
    assert_eq!(
        first.call(&call_text("add", "[1,1]")).await.json()["result"],
        2
    );

    // The second connection is accepted by the kernel, then closed by the
    // server without a byte read or written.
    let mut second = TcpStream::connect(handle.local_addr()).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
        .await
        .expect("the server closes the connection promptly");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed without an answer: {read:?}"
    );
    assert_eq!(handle.connections_refused(), 1);
    assert_eq!(handle.connections_active(), 1);

    // The first connection is unaffected.
    assert_eq!(
        first.call(&call_text("add", "[2,2]")).await.json()["result"],
        4
    );

    // Once it closes, its slot is free again.
    drop(first);
    eventually("the first connection's slot is released", || {
        handle.connections_active() == 0
    })
    .await;
    let mut third = H1::connect(handle.local_addr()).await;
    assert_eq!(
        third.call(&call_text("add", "[3,3]")).await.json()["result"],
        6
    );
    assert_eq!(handle.connections_refused(), 1);
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_call_finish_and_refuses_new_connections() {
    let (server, started) = start_default().await;
    let addr = server.local_addr();
    let mut client = H1::connect(addr).await;
    let call = tokio::spawn(async move { client.call(&call_text("sleep", "[500]")).await });
    started.notified().await;

    let began = Instant::now();
    let shutdown = tokio::spawn({
        let server = server.clone();
        async move { server.shutdown(Duration::from_secs(10)).await }
    });
    // Accepting stops at once, while the call is still running.
    eventually("the listener is closed", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
    assert!(!server.is_stopped(), "still finishing the call");

    let reply = call.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"], "slept");
    assert_eq!(shutdown.await.unwrap(), Shutdown::Graceful);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "no wait for the deadline"
    );
    assert!(server.is_stopped());
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "refused after shutdown"
    );
    // Waiting again, or on a clone, reports the same outcome.
    assert_eq!(server.stopped().await, Shutdown::Graceful);
}

#[tokio::test]
async fn http2_call_in_flight_also_finishes_on_shutdown() {
    let (server, started) = start_default().await;
    let mut client = H2::connect(server.local_addr()).await;
    let call = tokio::spawn(async move { client.send(post(&call_text("sleep", "[300]"))).await });
    started.notified().await;
    assert_eq!(
        server.shutdown(Duration::from_secs(10)).await,
        Shutdown::Graceful
    );
    let reply = call.await.unwrap();
    assert_eq!(reply.json()["result"], "slept");
}

#[tokio::test]
async fn idle_keep_alive_connections_do_not_hold_up_shutdown() {
    let (server, _) = start_default().await;
    let mut idle = H1::connect(server.local_addr()).await;
    assert_eq!(
        idle.call(&call_text("add", "[1,1]")).await.json()["result"],
        2
    );
    let began = Instant::now();
    assert_eq!(
        server.shutdown(Duration::from_secs(10)).await,
        Shutdown::Graceful
    );
    assert!(began.elapsed() < Duration::from_secs(2));
    assert_eq!(server.connections_active(), 0);
    assert!(idle
        .try_send(post(&call_text("add", "[1,1]")))
        .await
        .is_err());
}

#[tokio::test]
async fn a_call_still_running_at_the_deadline_is_cut_off() {
    let (server, started) = start_default().await;
    let mut client = H1::connect(server.local_addr()).await;
    let call =
        tokio::spawn(async move { client.try_send(post(&call_text("sleep", "[30000]"))).await });
    started.notified().await;
    let began = Instant::now();
    let outcome = server.shutdown(Duration::from_millis(200)).await;
    assert_eq!(outcome, Shutdown::Forced { connections: 1 });
    assert!(began.elapsed() < Duration::from_secs(5));
    assert!(call.await.unwrap().is_err(), "the connection was closed");
    assert_eq!(server.connections_active(), 0);
}

/// Connects, writes `first`, and measures how long until the server closes
/// the connection (`None` if it stays open for 2 s).
async fn time_until_closed(
    timeout: Option<Duration>,
    first: &[u8],
    after_reply: bool,
) -> Option<Duration> {
    let handle = start(
        Server::builder().header_read_timeout(timeout),
        test_router(Arc::new(Notify::new())),
    )
    .await;
    let mut stream = TcpStream::connect(handle.local_addr()).await.unwrap();
    stream.write_all(first).await.unwrap();
    let mut buf = vec![0u8; 4096];
    if after_reply {
        let read = stream.read(&mut buf).await.unwrap();
        assert!(buf[..read].starts_with(b"HTTP/1.1 200 OK"));
    }
    let began = Instant::now();
    match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => Some(began.elapsed()),
        Ok(Ok(n)) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(_) => None,
    }
}

#[tokio::test]
async fn slow_or_silent_clients_are_closed_after_the_header_read_timeout() {
    let limit = Some(Duration::from_millis(300));
    let cases: [(&str, &[u8]); 3] = [
        ("connects and sends nothing", b""),
        ("half an HTTP/2 preface", b"PRI * HTTP/2.0\r\n"),
        ("half a request head", b"POST / HTTP/1.1\r\nhost: x\r\n"),
    ];
    for (what, first) in cases {
        let closed = time_until_closed(limit, first, false)
            .await
            .unwrap_or_else(|| panic!("{what}: never closed"));
        assert!(
            closed >= Duration::from_millis(250) && closed < Duration::from_secs(3),
            "{what}: closed after {closed:?}"
        );
    }

    // An idle keep-alive connection is closed after the same time.
    let body = call_text("add", "[1,2]");
    let request = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let closed = time_until_closed(limit, request.as_bytes(), true)
        .await
        .expect("idle connection closed");
    assert!(closed < Duration::from_secs(3), "closed after {closed:?}");
}

#[tokio::test]
async fn without_a_header_read_timeout_a_quiet_client_may_stay() {
    let closed = time_until_closed(None, b"", false).await;
    assert_eq!(closed, None, "the connection stayed open");
}

#[tokio::test]
async fn one_server_serves_two_listeners_and_runs_on_without_its_handles() {
    let server = Server::builder().build(test_router(Arc::new(Notify::new())));
    let first = server.bind("127.0.0.1:0").await.unwrap();
    let second = server
        .serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
        .unwrap();
    assert_ne!(first.local_addr(), second.local_addr());
    let second_addr = second.local_addr();
    drop(second);

    for addr in [first.local_addr(), second_addr] {
        let mut client = H1::connect(addr).await;
        assert_eq!(
            client.call(&call_text("add", "[1,1]")).await.json()["result"],
            2
        );
    }
    // Stopping one listener leaves the other serving.
    assert_eq!(
        first.shutdown(Duration::from_secs(1)).await,
        Shutdown::Graceful
    );
    assert!(TcpStream::connect(first.local_addr()).await.is_err());
    let mut client = H1::connect(second_addr).await;
    assert_eq!(
        client.call(&call_text("add", "[2,2]")).await.json()["result"],
        4
    );
}

#[tokio::test]
async fn an_http2_call_still_running_at_the_deadline_is_cut_off() {
    let (server, started) = start_default().await;
    let mut client = H2::connect(server.local_addr()).await;
    let call =
        tokio::spawn(async move { client.try_send(post(&call_text("sleep", "[30000]"))).await });
    started.notified().await;
    let began = Instant::now();
    let outcome = server.shutdown(Duration::from_millis(200)).await;
    assert_eq!(outcome, Shutdown::Forced { connections: 1 });
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "took {:?}",
        began.elapsed()
    );
    assert!(call.await.unwrap().is_err(), "the connection was closed");
}

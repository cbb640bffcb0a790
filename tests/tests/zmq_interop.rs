//! ZeroMQ interop with an independent implementation, libzmq through
//! Python's pyzmq (pinned in `tests/interop/requirements.txt`, installed in
//! the shared virtual environment on first use):
//!
//! - a pyzmq REQ client sends every example of the specification to our
//!   REP server and to our ROUTER server, plus a multipart and a non-JSON
//!   message;
//! - our `ZmqClient`, on REQ and on DEALER, calls a JSON-RPC responder
//!   written with pyzmq's REP socket (typed calls, named params, an
//!   application error with data, a notification, a batch, many DEALER
//!   calls in flight at once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/interop_peer.rs"]
mod peer;
#[path = "support/interop_python.rs"]
mod python;

use std::time::Duration;

use peer::{run_script, PeerServer};
use rpc_client::{BatchRequest, ClientError, EncodedParams, NamedParams, ZmqClient};
use rpc_runtime::zmq::{SocketType, ZmqConfig, ZmqServer};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_pyzmq_req_client_sends_every_spec_example_to_our_rep_and_router() {
    let vectors = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/jsonrpc2-examples.json");
    for kind in [SocketType::Rep, SocketType::Router] {
        let server = ZmqServer::new(tests::spec_router(), ZmqConfig::default());
        let handle = server.bind("tcp://127.0.0.1:0", kind).await.unwrap();
        let endpoint = handle.local_endpoint().to_string();
        let run = run_script("pyzmq_req_spec.py", vec![endpoint, vectors.to_owned()]).await;
        assert_eq!(
            run.passed,
            tests::spec_vectors().len() + 2,
            "{kind}: {}",
            String::from_utf8_lossy(&run.output.stdout)
        );
        handle.shutdown(LIMIT).await;
    }
}

#[tokio::test]
async fn our_req_and_dealer_clients_call_a_pyzmq_rep_server() {
    let server = PeerServer::start("pyzmq_rep_server.py").await;
    let endpoint = format!("tcp://127.0.0.1:{}", server.port());
    let clients = [
        ZmqClient::builder()
            .request_timeout(LIMIT)
            .connect_req(&endpoint)
            .await
            .unwrap(),
        ZmqClient::builder()
            .request_timeout(LIMIT)
            .connect_dealer(&endpoint)
            .await
            .unwrap(),
    ];
    for client in &clients {
        let what = format!("{:?}; server log:\n{}", client.socket_type(), server.log());
        let params = EncodedParams::from_value(&[42, 23]).unwrap();
        assert_eq!(
            client.request::<i64>("subtract", params).await.unwrap(),
            19,
            "{what}"
        );
        let mut named = NamedParams::new();
        named.insert("minuend", &42).unwrap();
        named.insert("subtrahend", &23).unwrap();
        assert_eq!(
            client
                .request::<i64>("subtract", named.finish())
                .await
                .unwrap(),
            19,
            "{what}"
        );
        let echoed: Value = client
            .request(
                "echo",
                EncodedParams::from_value(&[json!({"ünï": [1, "two"]})]).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(echoed, json!({"ünï": [1, "two"]}), "{what}");
        match client.request::<Value>("fail", EncodedParams::none()).await {
            Err(ClientError::Rpc(error)) => {
                assert_eq!(error.code, 4001, "{what}");
                assert_eq!(
                    error.data.as_ref().map(|d| d.get()),
                    Some(r#"{"why": "asked"}"#),
                    "{what}"
                );
            }
            other => panic!("{what}: {other:?}"),
        }
        let missing = client.request::<i64>("nope", EncodedParams::none()).await;
        assert!(
            matches!(&missing, Err(ClientError::Rpc(e)) if e.code == -32601),
            "{what}: {missing:?}"
        );
        // REP answers a notification with the empty message: REQ waits for
        // it, DEALER skips it; the next call is answered either way.
        client
            .notify("sum", EncodedParams::from_value(&[1, 2]).unwrap())
            .await
            .unwrap();
        let mut batch = BatchRequest::new();
        let a = batch.call::<i64>("sum", EncodedParams::from_value(&[1, 2, 4]).unwrap());
        batch.notify("sum", EncodedParams::from_value(&[0]).unwrap());
        let b = batch.call::<i64>("subtract", EncodedParams::from_value(&[5, 3]).unwrap());
        let answers = client.batch(batch).await.unwrap();
        assert_eq!(
            (answers.get(a).unwrap(), answers.get(b).unwrap()),
            (7, 2),
            "{what}"
        );
    }
    // DEALER pipelines to REP: libzmq's REP answers them in turn, each
    // reply matched to its call by id.
    let dealer = &clients[1];
    let calls = (0..32i64)
        .map(|i| dealer.request::<i64>("subtract", EncodedParams::from_value(&[i, 1]).unwrap()));
    let answers: Vec<i64> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(answers, (0..32).map(|i| i - 1).collect::<Vec<_>>());
}

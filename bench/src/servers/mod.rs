//! The servers under test, each started in its own process by
//! `bench serve-<kind> ADDR` (see [`crate::process`]).

use std::error::Error;
use std::net::SocketAddr;

pub(crate) mod jsonrpsee;
pub(crate) mod jsonrpsee_topic;
pub(crate) mod ours;
mod ours_topic;
pub(crate) mod raw_http;
pub(crate) mod raw_ws;

/// Any error a server start-up can fail with.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// Which server a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// Our toolkit: the `Router` behind the project's transport.
    Ours,
    /// The same, with the access log and the metrics layer on (a tracing
    /// subscriber at INFO writing to nowhere, a Prometheus recorder).
    OursLayered,
    /// jsonrpsee 0.26 with the same API.
    Jsonrpsee,
    /// hyper answering a canned response: the HTTP limit.
    RawHttp,
    /// tokio-tungstenite answering a canned response: the WebSocket limit.
    RawWs,
}

impl Kind {
    pub(crate) const ALL: [Kind; 5] = [
        Kind::Ours,
        Kind::OursLayered,
        Kind::Jsonrpsee,
        Kind::RawHttp,
        Kind::RawWs,
    ];

    pub(crate) fn serve_command(self) -> &'static str {
        match self {
            Kind::Ours => "serve-ours",
            Kind::OursLayered => "serve-ours-layered",
            Kind::Jsonrpsee => "serve-jsonrpsee",
            Kind::RawHttp => "serve-raw-http",
            Kind::RawWs => "serve-raw-ws",
        }
    }

    pub(crate) fn from_serve_command(command: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.serve_command() == command)
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Ours => "ours",
            Kind::OursLayered => "ours + access log + metrics",
            Kind::Jsonrpsee => "jsonrpsee",
            Kind::RawHttp => "raw hyper",
            Kind::RawWs => "raw ws",
        }
    }

    /// A raw server does no JSON work: the load generator sends it
    /// `add(1,2)` only and expects `3` (see `raw_http`/`raw_ws`).
    pub(crate) fn is_raw(self) -> bool {
        matches!(self, Kind::RawHttp | Kind::RawWs)
    }

    pub(crate) fn speaks_http(self) -> bool {
        self != Kind::RawWs
    }

    pub(crate) fn speaks_ws(self) -> bool {
        self != Kind::RawHttp
    }

    /// Binds `addr`, starts serving in the background on the current
    /// runtime and returns the bound address.
    pub(crate) async fn start(self, addr: SocketAddr) -> Result<SocketAddr, BoxError> {
        match self {
            Kind::Ours => ours::serve(ours::router()?, addr).await,
            Kind::OursLayered => ours::serve(ours::observed(ours::router()?), addr).await,
            Kind::Jsonrpsee => jsonrpsee::serve(addr).await,
            Kind::RawHttp => raw_http::serve(addr).await,
            Kind::RawWs => raw_ws::serve(addr).await,
        }
    }
}

/// The body of a server process: a 2-worker runtime (the machine has 2
/// cores) serving `kind` on `addr` until killed; prints the bound address
/// as the first line of stdout.
pub(crate) fn run_process(kind: Kind, addr: SocketAddr) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let bound = kind.start(addr).await?;
        println!("{bound}");
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// Finds the id in a request of the form the load generator sends to raw
/// servers (`..."id":N}`) without parsing JSON: the raw servers' only work.
pub(crate) fn scan_id(request: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"id\":";
    let start = request.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let len = request[start..]
        .iter()
        .position(|&b| b == b'}' || b == b',')?;
    Some(&request[start..start + len])
}

/// `{"jsonrpc":"2.0","result":3,"id":<id>}`: the raw servers' answer.
pub(crate) fn canned_response(id: &[u8]) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"jsonrpc":"2.0","result":3,"id":"#;
    let mut out = Vec::with_capacity(HEAD.len() + id.len() + 1);
    out.extend_from_slice(HEAD);
    out.extend_from_slice(id);
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_id_is_found_and_spliced_into_the_canned_answer() {
        let request = br#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":12345}"#;
        let id = scan_id(request).unwrap();
        assert_eq!(id, b"12345");
        let answer: serde_json::Value = serde_json::from_slice(&canned_response(id)).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"jsonrpc": "2.0", "result": 3, "id": 12345})
        );
        assert_eq!(scan_id(b"{\"method\":\"add\"}"), None);
    }

    #[test]
    fn the_canned_batch_answers_ids_one_to_n() {
        let batch: Vec<serde_json::Value> =
            serde_json::from_slice(&raw_http::canned_batch(3)).unwrap();
        let ids: Vec<_> = batch.iter().map(|r| r["id"].as_u64().unwrap()).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(batch.iter().all(|r| r["result"] == 3));
    }
}

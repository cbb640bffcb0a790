//! Server memory per idle WebSocket connection: a fresh server process,
//! its RSS before and after 1,000 connections are opened and left idle.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;

use crate::process::{open_files_limit, ServerProcess};
use crate::servers::{BoxError, Kind};

/// Idle connections held open per server.
pub(crate) const CONNECTIONS: usize = 1_000;

/// One server's figures.
pub(crate) struct Row {
    pub(crate) kind: Kind,
    pub(crate) result: Result<Rss, String>,
}

/// Resident set sizes in KiB.
pub(crate) struct Rss {
    pub(crate) before_kib: u64,
    pub(crate) after_kib: u64,
}

impl Rss {
    pub(crate) fn per_connection_kib(&self) -> f64 {
        self.after_kib.saturating_sub(self.before_kib) as f64 / CONNECTIONS as f64
    }
}

/// Measures each WebSocket-capable server in turn.
pub(crate) async fn run() -> Vec<Row> {
    let mut rows = Vec::new();
    for kind in Kind::ALL.into_iter().filter(|k| k.speaks_ws()) {
        let result = measure(kind).await.map_err(|e| e.to_string());
        rows.push(Row { kind, result });
    }
    rows
}

async fn measure(kind: Kind) -> Result<Rss, BoxError> {
    // This process and the server each hold one descriptor per connection.
    let needed = CONNECTIONS as u64 + 100;
    if let Some(limit) = open_files_limit().filter(|&l| l < needed) {
        return Err(format!(
            "open-file limit {limit} is below {needed}: raise it with `ulimit -n`"
        )
        .into());
    }
    let server = ServerProcess::spawn(kind)?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before_kib = server.rss_kib().ok_or("no VmRSS")?;
    let url = format!("ws://{}/", server.addr());
    let mut connections = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
        connections.push(ws);
    }
    // Let the server finish setting up every connection.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_kib = server.rss_kib().ok_or("no VmRSS")?;
    // The connections are live: the last one still answers a call.
    let last = connections.last_mut().ok_or("no connection")?;
    last.send(Message::text(
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}"#,
    ))
    .await?;
    let reply = tokio::time::timeout(Duration::from_secs(5), last.next())
        .await?
        .ok_or("connection closed")??;
    let reply: serde_json::Value = serde_json::from_str(reply.to_text()?)?;
    if reply["result"] != 3 || reply["id"] != 7 {
        return Err(format!("wrong answer on an idle connection: {reply}").into());
    }
    drop(connections);
    Ok(Rss {
        before_kib,
        after_kib,
    })
}

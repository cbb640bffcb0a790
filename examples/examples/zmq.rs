//! ZeroMQ: one `#[rpc]` trait served on a ROUTER socket, called by the
//! generated `JobsClient` over a DEALER socket (several calls in flight at
//! once, answered as they finish) and over a REQ socket (one at a time, as
//! REQ requires), with a notification, a batch and a typed error. Any
//! ZeroMQ library can talk to the same socket (pyzmq:
//! `ctx.socket(zmq.REQ).connect(endpoint)`, then `send_string(json)`).
//!
//! Run with `cargo run --example zmq`.

use std::time::{Duration, Instant};

use rpc_client::{ClientError, ZmqClient};
use rpc_runtime::zmq::{ZmqConfig, ZmqPeer, ZmqServer};
use rpc_runtime::{rpc, Context, RpcError};

/// Why a job could not run.
#[derive(Debug, thiserror::Error, serde::Serialize, serde::Deserialize, RpcError)]
pub enum JobError {
    /// No job has that name.
    #[error("no job named {0:?}")]
    #[rpc(code = 2001)]
    Unknown(String),
}

/// A tiny job runner.
#[rpc(namespace = "jobs")]
pub trait Jobs {
    /// Runs job `name`, which takes `ms` milliseconds; returns its name.
    async fn run(&self, name: String, ms: u64) -> Result<String, JobError>;
    /// Adds two numbers at once.
    async fn add(&self, a: i64, b: i64) -> i64;
    /// Writes a line to the server's log; a notification, no reply.
    #[notification]
    async fn log(&self, line: String);
    /// How the server sees this caller.
    async fn whoami(&self, ctx: &Context) -> String;
}

struct Runner;

impl Jobs for Runner {
    async fn run(&self, name: String, ms: u64) -> Result<String, JobError> {
        if name == "missing" {
            return Err(JobError::Unknown(name));
        }
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(name)
    }

    async fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    async fn log(&self, line: String) {
        println!("      server log: {line}");
    }

    async fn whoami(&self, ctx: &Context) -> String {
        let socket = ctx
            .get::<ZmqPeer>()
            .map_or("?", |peer| peer.socket_type.name());
        format!("a {socket} peer over {}", ctx.transport())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = ZmqServer::new(Runner.into_router(), ZmqConfig::default());
    let handle = server.bind_router("tcp://127.0.0.1:0").await?;
    let endpoint = handle.local_endpoint().to_string();
    println!("ROUTER bound at {endpoint}");

    println!("over DEALER (many calls in flight):");
    let dealer = JobsClient::new(ZmqClient::connect_dealer(&endpoint).await?);
    println!("  whoami: {}", dealer.whoami().await?);
    let started = Instant::now();
    let (slow, medium, fast) = tokio::join!(
        dealer.run("slow".into(), 300),
        dealer.run("medium".into(), 200),
        dealer.run("fast".into(), 100),
    );
    println!(
        "  three jobs of 300+200+100 ms at once: {}, {}, {} in {} ms (less than 600: they overlapped)",
        slow?,
        medium?,
        fast?,
        started.elapsed().as_millis()
    );
    dealer
        .log("hello from a DEALER notification".into())
        .await?;
    let mut batch = dealer.batch();
    let sum = batch.add(2, 40);
    let job = batch.run("batched".into(), 10);
    let answers = batch.send().await?;
    println!(
        "  batch: add(2, 40) = {}, run = {}",
        answers.get(sum)?,
        job.take(&answers)?
    );

    println!("over REQ (one call at a time):");
    let req = JobsClient::new(ZmqClient::connect_req(&endpoint).await?);
    println!("  whoami: {}", req.whoami().await?);
    println!("  add(20, 22) = {}", req.add(20, 22).await?);
    req.log("hello from a REQ notification (answered with an empty reply)".into())
        .await?;
    match req.run("missing".into(), 1).await {
        Err(ClientError::Application(error)) => println!("  run(\"missing\") failed: {error}"),
        other => println!("  unexpected: {other:?}"),
    }

    let outcome = handle.shutdown(Duration::from_secs(5)).await;
    println!("server stopped: {outcome:?}");
    Ok(())
}

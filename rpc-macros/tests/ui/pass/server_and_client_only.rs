//! `server_only` generates no client; `client_only` no `into_router`.
#![deny(warnings)]

use rpc_runtime::rpc;

/// Served here.
#[rpc(server_only)]
pub trait Served {
    /// Ping.
    fn ping(&self) -> String;
}

/// Served elsewhere; only called from here.
#[rpc(client_only, namespace = "remote")]
pub trait Remote {
    /// Ping.
    fn ping(&self) -> String;
}

struct Impl;

impl Served for Impl {
    fn ping(&self) -> String {
        "pong".to_owned()
    }
}

fn main() {
    let router = Impl.into_router();
    assert_eq!(router.method_names(), ["ping"]);
    let client = RemoteClient::new(rpc_runtime::client::LocalCaller::new(router));
    let reply = futures_executor::block_on(client.ping());
    // `remote.ping` is not served by this router.
    assert!(reply.is_err());
}

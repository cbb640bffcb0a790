//! jsonrpsee 0.26 serving the same API (HTTP and WebSocket on one port, as
//! jsonrpsee does by default).

use std::net::SocketAddr;

use jsonrpsee::server::{RpcModule, Server, ServerConfig};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::BoxError;

/// The benchmark API as an `RpcModule`. Parameters are decoded the way
/// jsonrpsee's `#[method]` expansion does it: an object by field name,
/// anything else as a sequence, so both toolkits accept both forms. With
/// the subscription suite's API (see [`super::jsonrpsee_topic`]).
pub(crate) fn module() -> Result<RpcModule<()>, BoxError> {
    #[derive(Deserialize)]
    struct AddNamed {
        a: i64,
        b: i64,
    }
    #[derive(Deserialize)]
    struct EchoNamed {
        s: String,
    }
    let mut module = RpcModule::new(());
    module.register_method("add", |params, _, _| {
        let (a, b) = if params.is_object() {
            let named: AddNamed = params.parse()?;
            (named.a, named.b)
        } else {
            let mut seq = params.sequence();
            (seq.next::<i64>()?, seq.next::<i64>()?)
        };
        Ok::<_, ErrorObjectOwned>(a + b)
    })?;
    module.register_method("echo", |params, _, _| {
        let s = if params.is_object() {
            params.parse::<EchoNamed>()?.s
        } else {
            first::<String>(&params)?
        };
        Ok::<_, ErrorObjectOwned>(s)
    })?;
    super::jsonrpsee_topic::register(&mut module)?;
    Ok(module)
}

fn first<T: DeserializeOwned>(params: &Params<'_>) -> Result<T, ErrorObjectOwned> {
    params.sequence().next()
}

/// Starts jsonrpsee on `addr`; the connection limit is raised from its
/// default of 100 so the memory test can hold 1,000 connections.
pub(crate) async fn serve(addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    let config = ServerConfig::builder().max_connections(10_000).build();
    let server = Server::builder().set_config(config).build(addr).await?;
    let bound = server.local_addr()?;
    let handle = server.start(module()?);
    tokio::spawn(handle.stopped());
    Ok(bound)
}

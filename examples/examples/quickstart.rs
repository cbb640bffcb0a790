//! Quickstart: define methods, serve them, call them through a client, and
//! print each exchange. (In-process for now; it moves onto real HTTP and
//! WebSocket servers as those transports land.)

use rpc_runtime::client::{BatchRequest, Caller, ClientError, LocalCaller};
use rpc_runtime::params::{EncodedParams, NamedParams, PositionalParams};
use rpc_runtime::protocol::{ErrorObject, ErrorObjectOwned};
use rpc_runtime::Router;

fn api() -> Result<Router, rpc_runtime::RegisterError> {
    let mut router = Router::new();
    router.register_sync("subtract", |params, _ctx| {
        let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
        Ok::<_, ErrorObjectOwned>(minuend - subtrahend)
    })?;
    router.register_sync("divide", |params, _ctx| {
        let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
        a.checked_div(b)
            .ok_or_else(|| ErrorObject::new(1001, "division by zero"))
    })?;
    router.register_sync("log", |params, _ctx| {
        let (line,): (String,) = params.decode(&["line"])?;
        println!("    server log: {line}");
        Ok::<_, ErrorObjectOwned>(())
    })?;
    Ok(router)
}

fn params(values: &[i64]) -> Result<EncodedParams, ClientError> {
    let mut p = PositionalParams::new();
    for v in values {
        p.push("value", v)?;
    }
    Ok(p.finish())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = LocalCaller::new(api()?);
    println!("in-process client onto a router");

    let r: i64 = client.call("subtract", params(&[42, 23])?).await?;
    println!("  subtract [42, 23]                       -> {r}");

    let mut named = NamedParams::new();
    named.insert("subtrahend", &23)?;
    named.insert("minuend", &42)?;
    let r: i64 = client.call("subtract", named.finish()).await?;
    println!("  subtract {{minuend: 42, subtrahend: 23}} -> {r}");

    client
        .notify(
            "log",
            EncodedParams::from_value(&["hello from a notification"])?,
        )
        .await?;
    println!("  log (notification)                      -> sent, no reply");

    let mut batch = BatchRequest::new();
    let a = batch.call::<i64>("subtract", params(&[10, 3])?);
    let b = batch.call::<i64>("divide", params(&[1, 0])?);
    let response = client.batch(batch).await?;
    println!(
        "  batch [subtract 10-3, divide 1/0]       -> {:?}, {:?}",
        response.get(a),
        response.get(b)
    );

    let outcome = client.call::<i64>("divide", params(&[1, 0])?).await;
    println!("  divide [1, 0]                           -> {outcome:?}");
    Ok(())
}

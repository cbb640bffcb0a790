//! The HTTP limit: hyper answering every POST with a canned JSON-RPC
//! response, no JSON parsing at all. The load generator sends it `add(1,2)`
//! only (result 3); the id is found by a byte scan and copied into the
//! answer, so every response is still checked. Batches get a precomputed
//! answer for the fixed ids 1..=N the generator uses with raw servers.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{header, Request, Response};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::{canned_response, scan_id, BoxError};

/// The size of the batch the generator sends to raw servers.
pub(crate) const RAW_BATCH_LEN: usize = 100;

pub(crate) async fn serve(addr: SocketAddr) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let batch_reply = Bytes::from(canned_batch(RAW_BATCH_LEN));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let batch_reply = batch_reply.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req| answer(req, batch_reply.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(bound)
}

async fn answer(
    req: Request<Incoming>,
    batch_reply: Bytes,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let reply = if body.first() == Some(&b'[') {
        batch_reply
    } else {
        Bytes::from(canned_response(scan_id(&body).unwrap_or(b"null")))
    };
    Ok(Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(reply))
        .unwrap_or_default())
}

/// The answer to a batch of `len` calls of `add(1,2)` with ids `1..=len`.
pub(crate) fn canned_batch(len: usize) -> Vec<u8> {
    let mut out = vec![b'['];
    for id in 1..=len {
        if id > 1 {
            out.push(b',');
        }
        out.extend_from_slice(&canned_response(id.to_string().as_bytes()));
    }
    out.push(b']');
    out
}

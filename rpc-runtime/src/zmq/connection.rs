//! One peer's connection to a REP or ROUTER server: the handshake, then
//! each message to the core entry and its answer back with its envelope.
//!
//! Three tasks: one reads (so a partly read frame is never dropped by a
//! `select!`), one writes (coalescing what is queued into one write), and
//! this one dispatches, holding the calls in flight.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::{mpsc, watch};

use super::envelope::split_envelope;
use super::wire::{
    encode_message, encode_pong, handshake, FrameReader, Received, ZmtpError, MAX_FRAMES,
};
use super::{SocketType, ZmqConfig, ZmqPeer};
use crate::{Answer, Context, ContextBuilder, Inbound, Refusal, Router};

const LOG_TARGET: &str = "rpc_runtime::zmq";

/// Serves one accepted connection as a socket of type `kind` (REP or
/// ROUTER) until the peer leaves, the connection fails, or `draining`
/// turns on and the calls in flight are done.
pub(super) async fn serve<R, W>(
    read: R,
    mut write: W,
    kind: SocketType,
    router: Arc<Router>,
    config: Arc<ZmqConfig>,
    builder: ContextBuilder,
    mut draining: watch::Receiver<bool>,
) where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let mut reader = FrameReader::new(read, config.max_message_size);
    let greeted = tokio::time::timeout(
        config.handshake_timeout,
        handshake(&mut reader, &mut write, kind, None),
    )
    .await;
    let peer = match greeted {
        Ok(Ok(peer)) => peer,
        Ok(Err(error)) => {
            tracing::debug!(target: LOG_TARGET, %error, "handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(target: LOG_TARGET, "handshake timed out");
            return;
        }
    };
    let ctx = builder.transport("zmq").build();
    ctx.insert(ZmqPeer {
        socket_type: peer.peer_type,
        routing_id: peer.identity,
    });

    let (inbox_tx, mut inbox) = mpsc::channel(16);
    let reading = AbortOnDrop(tokio::spawn(read_loop(reader, inbox_tx)));
    let (out, out_rx) = mpsc::channel::<Vec<u8>>(config.write_queue);
    let writing = tokio::spawn(write_loop(write, out_rx, config.write_timeout));

    let limit = match kind {
        // REP answers each request before it reads the next.
        SocketType::Rep => 1,
        _ => config.max_in_flight,
    };
    let mut in_flight = FuturesUnordered::new();
    let mut open = true;
    let mut closing = false;
    loop {
        tokio::select! {
            Some((envelope, reply)) = in_flight.next(), if !in_flight.is_empty() => {
                if !send(&out, kind, envelope, reply).await {
                    break;
                }
            }
            received = inbox.recv(), if open && in_flight.len() < limit => match received {
                Some(Ok(Received::Ping(context))) => {
                    let mut pong = Vec::new();
                    encode_pong(&mut pong, &context);
                    if out.send(pong).await.is_err() {
                        break;
                    }
                }
                Some(Ok(received)) => {
                    let (envelope, answer) = answer(received, &router, &ctx, closing, &config);
                    match answer {
                        Answer::Now(reply) => {
                            if !send(&out, kind, envelope, reply).await {
                                break;
                            }
                        }
                        Answer::Later(future) => in_flight.push(later(envelope, future)),
                    }
                }
                Some(Err(error)) => {
                    tracing::debug!(target: LOG_TARGET, %error, "connection failed");
                    open = false;
                }
                // The peer left between messages.
                None => open = false,
            },
            () = wait_on(&mut draining), if !closing => closing = true,
        }
        if (closing || !open) && in_flight.is_empty() {
            break;
        }
    }
    drop(in_flight);
    drop(out);
    drop(reading);
    let _ = writing.await;
}

/// A message read (not a `PING`), as the envelope its reply goes back in
/// and the core's answer.
fn answer<'a>(
    received: Received,
    router: &'a Router,
    ctx: &'a Context,
    closing: bool,
    config: &ZmqConfig,
) -> (Vec<Vec<u8>>, Answer<'a>) {
    match received {
        Received::Message(frames) => {
            let (envelope, mut bodies) = split_envelope(frames);
            if bodies.len() > 1 {
                return (envelope, Answer::Now(Some(multipart(bodies.len()))));
            }
            match String::from_utf8(bodies.pop().unwrap_or_default()) {
                Ok(text) => {
                    let inbound = if closing {
                        Inbound::new().refuse(Refusal::Closing)
                    } else {
                        Inbound::new()
                    };
                    (envelope, router.message_with(text, ctx, inbound))
                }
                Err(_) => (envelope, Answer::Now(Some(Refusal::NotUtf8.response()))),
            }
        }
        Received::TooLarge(kept) => {
            tracing::debug!(target: LOG_TARGET, limit = config.max_message_size, "message too large");
            let refusal = Refusal::TooLarge {
                limit: config.max_message_size,
            };
            (
                split_envelope(kept).0,
                Answer::Now(Some(refusal.response())),
            )
        }
        Received::TooManyFrames(kept) => (
            split_envelope(kept).0,
            Answer::Now(Some(multipart(usize::MAX))),
        ),
        // Answered with a `PONG` before it gets here; nothing to say.
        Received::Ping(_) => (Vec::new(), Answer::Now(None)),
    }
}

/// The core's answer to a message of `frames` body frames.
fn multipart(frames: usize) -> String {
    Refusal::Multipart {
        frames,
        limit: MAX_FRAMES,
    }
    .response()
}

/// A call still running, with the envelope its reply goes back in.
async fn later(
    envelope: Vec<Vec<u8>>,
    reply: Pin<Box<dyn Future<Output = Option<String>> + Send + '_>>,
) -> (Vec<Vec<u8>>, Option<String>) {
    (envelope, reply.await)
}

/// Resolves when the drain signal is on (or can no longer come).
async fn wait_on(draining: &mut watch::Receiver<bool>) {
    let _ = draining.wait_for(|on| *on).await;
}

/// Queues a reply with its envelope; `false` when the writer is gone. No
/// reply is due (a notification) to a bare DEALER message; REP, and any
/// message that came with a delimiter (a REQ peer), get an empty one, as
/// a REQ socket waits for a reply to everything it sends.
async fn send(
    out: &mpsc::Sender<Vec<u8>>,
    kind: SocketType,
    envelope: Vec<Vec<u8>>,
    reply: Option<String>,
) -> bool {
    let body = match reply {
        Some(reply) => reply,
        None if kind == SocketType::Rep || !envelope.is_empty() => String::new(),
        None => return true,
    };
    let mut frames: Vec<&[u8]> = envelope.iter().map(Vec::as_slice).collect();
    frames.push(body.as_bytes());
    let mut message = Vec::with_capacity(body.len() + 2 * frames.len() + 8);
    encode_message(&mut message, &frames);
    out.send(message).await.is_ok()
}

/// Reads messages into `inbox` until the connection ends or fails.
async fn read_loop<R: AsyncRead + Unpin>(
    mut reader: FrameReader<R>,
    inbox: mpsc::Sender<Result<Received, ZmtpError>>,
) {
    loop {
        match reader.next().await {
            Ok(Some(received)) => {
                if inbox.send(Ok(received)).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(error) => {
                let _ = inbox.send(Err(error)).await;
                return;
            }
        }
    }
}

/// Writes what is queued, many messages per write when they pile up; ends
/// the stream when the queue closes.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut write: W,
    mut queue: mpsc::Receiver<Vec<u8>>,
    limit: Duration,
) {
    while let Some(mut batch) = queue.recv().await {
        while batch.len() < 64 * 1024 {
            match queue.try_recv() {
                Ok(more) => batch.extend_from_slice(&more),
                Err(_) => break,
            }
        }
        let wrote = tokio::time::timeout(limit, async {
            write.write_all(&batch).await?;
            write.flush().await
        })
        .await;
        match wrote {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::debug!(target: LOG_TARGET, %error, "write failed");
                return;
            }
            Err(_) => {
                tracing::debug!(target: LOG_TARGET, ?limit, "write timed out");
                return;
            }
        }
    }
    let _ = tokio::time::timeout(limit, write.shutdown()).await;
}

/// Stops the reading task when the connection is done with it (it may be
/// waiting on a socket that never speaks again).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

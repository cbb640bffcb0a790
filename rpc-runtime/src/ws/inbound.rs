//! One incoming frame: parsed once, responses handed to waiting calls,
//! requests run on the router, the answer queued in the frame's type.

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::peer::Shared;
use super::writer::Outgoing;
use crate::protocol::{
    codes, parse_message, write_error_response, Entry, ErrorObject, Id, Message, Version,
};
use crate::router::SinglePass;
use crate::{Context, Router};

/// Whether the requests of a frame may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Run them.
    Run,
    /// Answer them with "server busy": the frame was read past the in-flight
    /// limit, only because responses to this side's calls must be read.
    Busy,
    /// Answer them with "closing": the connection is closing.
    Closing,
}

/// What became of a frame offered to [`handle_frame_now`].
pub(crate) enum Handled {
    /// Fully handled: this is the reply to send, if any.
    Done(Option<Outgoing>),
    /// A request in it needs an asynchronous handler (or the frame must be
    /// refused): run [`handle_frame`] on it.
    Later,
}

/// Handles a frame at once when nothing in it needs waiting: parse errors,
/// responses to this side's calls, and requests whose handlers are
/// synchronous. Such a frame costs no future and no task; the common small
/// call is answered inside the read loop.
pub(crate) fn handle_frame_now(
    frame: &Utf8Bytes,
    binary: bool,
    admit: Admit,
    router: &Router,
    ctx: &Context,
    shared: &Shared,
) -> Handled {
    let text = frame.as_str();
    super::wire!(shared.side, direction = "recv", binary, %text);
    if admit != Admit::Run {
        return Handled::Later;
    }
    let mut out = String::new();
    match router.answer_single_pass(text, ctx, &mut out) {
        SinglePass::Answered => {
            return Handled::Done((!out.is_empty()).then(|| outgoing(out, binary)));
        }
        // A call to an asynchronous method is read in one pass by the task
        // that awaits it; parsing it here as well would be wasted.
        SinglePass::Async(..) => return Handled::Later,
        SinglePass::General => {}
    }
    let reply = match parse_message(text, router.parse_options()) {
        Err(error) => Some(rejected(&error)),
        Ok(Message::Single(Entry::Response(response))) => {
            deliver(shared, &response, frame);
            None
        }
        Ok(Message::Single(entry)) => {
            if router.needs_waiting(&entry) {
                return Handled::Later;
            }
            // Only a request that needs waiting is left unanswered: checked above.
            router.answer_now(&entry, ctx, &mut out);
            (!out.is_empty()).then_some(out)
        }
        Ok(Message::Batch(entries)) => {
            if entries.iter().any(|entry| router.needs_waiting(entry)) {
                return Handled::Later;
            }
            let mut requests = Vec::with_capacity(entries.len());
            for entry in entries {
                match entry {
                    Entry::Response(response) => deliver(shared, &response, frame),
                    other => requests.push(other),
                }
            }
            if requests.is_empty() {
                None
            } else {
                crate::batch::answer_now(router, requests, ctx)
            }
        }
    };
    Handled::Done(reply.map(|reply| outgoing(reply, binary)))
}

fn outgoing(reply: String, binary: bool) -> Outgoing {
    if binary {
        Outgoing::Binary(reply)
    } else {
        Outgoing::Text(reply)
    }
}

#[cold]
fn rejected(error: &crate::protocol::MessageError) -> String {
    tracing::debug!(target: "rpc_runtime::rejected", %error, "message rejected");
    let mut out = String::with_capacity(96);
    write_error_response(&mut out, Version::V2, &Id::null(), &error.to_error_object());
    out
}

/// Handles a frame that [`handle_frame_now`] handed back (it has already
/// been logged).
///
/// A plain call to an asynchronous method is read here in one pass. Any
/// other frame that needs waiting is parsed again here: the parse borrows
/// the frame, and this future must own it.
pub(crate) async fn handle_frame(
    frame: Utf8Bytes,
    binary: bool,
    admit: Admit,
    router: &Router,
    ctx: &Context,
    shared: &Shared,
) {
    let text = frame.as_str();
    if admit == Admit::Run {
        if let Some(reply) = router.call_async_single_pass(text, ctx).await {
            if let Some(reply) = reply {
                send(shared, outgoing(reply, binary)).await;
            }
            return;
        }
    }
    let reply = match parse_message(text, router.parse_options()) {
        Err(error) => Some(rejected(&error)),
        Ok(Message::Single(Entry::Response(response))) => {
            deliver(shared, &response, &frame);
            None
        }
        Ok(Message::Single(entry)) => match admit {
            Admit::Run => router.handle_message(Message::Single(entry), ctx).await,
            _ => refuse(router, entry, admit, ctx).await,
        },
        Ok(Message::Batch(entries)) => {
            let mut requests = Vec::new();
            for entry in entries {
                match entry {
                    Entry::Response(response) => deliver(shared, &response, &frame),
                    other => requests.push(other),
                }
            }
            if requests.is_empty() {
                None
            } else if admit == Admit::Run {
                router.handle_message(Message::Batch(requests), ctx).await
            } else {
                let mut out = String::new();
                for entry in requests {
                    if let Some(reply) = refuse(router, entry, admit, ctx).await {
                        out.push(if out.is_empty() { '[' } else { ',' });
                        out.push_str(&reply);
                    }
                }
                (!out.is_empty()).then(|| out + "]")
            }
        }
    };
    if let Some(reply) = reply {
        send(shared, outgoing(reply, binary)).await;
    }
}

/// Queues a frame for the writer, waiting for room.
pub(crate) async fn send(shared: &Shared, frame: Outgoing) {
    // Fails only once the connection is gone; the frame has nowhere to go.
    let _ = shared.queue.send(frame).await;
}

fn deliver(shared: &Shared, response: &crate::protocol::Response<'_>, frame: &Utf8Bytes) {
    if !shared.pending.deliver(response, frame) {
        // Answering a response could start an endless exchange; drop it.
        tracing::debug!(target: "rpc_runtime::ws", id = %response.id, "response to no pending call dropped");
    }
}

async fn refuse(router: &Router, entry: Entry<'_>, admit: Admit, ctx: &Context) -> Option<String> {
    match entry {
        Entry::Request(request) => {
            let id = request.id?;
            let error = match admit {
                Admit::Closing => ErrorObject::new(codes::SERVER_BUSY, "The connection is closing"),
                _ => ErrorObject::new(
                    codes::SERVER_BUSY,
                    "Server busy: too many calls in flight on this connection",
                ),
            };
            let mut out = String::with_capacity(128);
            write_error_response(&mut out, request.version, &id, &error);
            Some(out)
        }
        other => router.handle_entry(other, ctx).await,
    }
}

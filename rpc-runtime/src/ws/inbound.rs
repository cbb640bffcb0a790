//! One incoming frame, handed to the core: its responses go to this side's
//! waiting calls, everything else (parsing, batches, refusals, error
//! bodies) is the core's; the answer goes back in the frame's type.

use std::future::Future;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::peer::Shared;
use super::writer::Outgoing;
use crate::client::Subscribed;
use crate::params::Params;
use crate::protocol::Response;
use crate::{Answer, Context, Inbound, NotificationSink, Refusal, ResponseSink, Router};

impl NotificationSink for Subscribed {
    fn deliver(&self, method: &str, params: Params<'_>) -> bool {
        Subscribed::deliver(self, method, params)
    }
}

/// Hands `frame` to the core. `refusal` is set when its calls may not run
/// (too many in flight, or the connection is closing).
pub(crate) fn dispatch<'a>(
    frame: Utf8Bytes,
    binary: bool,
    refusal: Option<Refusal>,
    router: &'a Router,
    ctx: &'a Context,
    shared: &'a Shared,
) -> Answer<'a> {
    super::wire!(shared.side, direction = "recv", binary, text = %frame.as_str());
    let mut inbound = Inbound::new().responses(shared);
    if shared.expects_items() {
        inbound = inbound.notifications(&shared.subscribed);
    }
    if let Some(refusal) = refusal {
        inbound = inbound.refuse(refusal);
    }
    router.message_with(frame, ctx, inbound)
}

impl ResponseSink<Utf8Bytes> for Shared {
    fn deliver(&self, response: &Response<'_>, frame: &Utf8Bytes) {
        if !self.pending.deliver(response, frame) {
            // Answering a response could start an endless exchange; drop it.
            tracing::debug!(target: "rpc_runtime::ws", id = %response.id, "response to no pending call dropped");
        }
    }
}

/// A reply in the type of the frame it answers.
pub(crate) fn outgoing(reply: String, binary: bool) -> Outgoing {
    if binary {
        Outgoing::Binary(reply)
    } else {
        Outgoing::Text(reply)
    }
}

/// Waits for a frame's answer and queues it.
pub(crate) async fn reply_later<F>(answer: F, binary: bool, shared: &Shared)
where
    F: Future<Output = Option<String>>,
{
    if let Some(reply) = answer.await {
        send_reply(shared, outgoing(reply, binary)).await;
    }
}

/// Queues a reply, waiting for room; subscriptions it answered may send
/// from then on.
pub(crate) async fn send_reply(shared: &Shared, frame: Outgoing) {
    send(shared, frame).await;
    shared.subscriptions.reply_queued();
}

/// Queues a frame for the writer, waiting for room.
pub(crate) async fn send(shared: &Shared, frame: Outgoing) {
    // Fails only once the connection is gone; the frame has nowhere to go.
    let _ = shared.queue.send(frame).await;
}

//! Running the members of a batch concurrently, answering in request order.

use futures_util::stream::{FuturesOrdered, StreamExt as _};

use crate::protocol::Entry;
use crate::{Context, Router};

/// Runs every entry, at most `batch_concurrency` at a time, and joins the
/// responses in request order; `None` when every member was a notification.
pub(crate) async fn run<'a>(
    router: &'a Router,
    entries: Vec<Entry<'a>>,
    ctx: &'a Context,
) -> Option<String> {
    let limit = router.config().batch_concurrency.max(1);
    let count = entries.len();
    let mut waiting = entries.into_iter();
    let mut running = FuturesOrdered::new();
    for entry in waiting.by_ref().take(limit) {
        running.push_back(router.handle_entry(entry, ctx));
    }
    let mut out = String::new();
    while let Some(reply) = running.next().await {
        if let Some(entry) = waiting.next() {
            running.push_back(router.handle_entry(entry, ctx));
        }
        let Some(reply) = reply else { continue };
        if out.is_empty() {
            // Guess the whole size from the first reply to avoid regrowing.
            out.reserve(count * (reply.len() + 1) + 2);
            out.push('[');
        } else {
            out.push(',');
        }
        out.push_str(&reply);
    }
    if out.is_empty() {
        return None;
    }
    out.push(']');
    Some(out)
}

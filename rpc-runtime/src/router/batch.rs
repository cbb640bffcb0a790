//! Running the members of a batch concurrently, answering in request order.

use futures_util::stream::{FuturesUnordered, StreamExt as _};

use super::call::BatchPosition;
use super::refusal::Refusal;
use crate::protocol::Entry;
use crate::{Context, Router};

/// Answers every entry and joins the responses in request order; `None` when
/// every member was a notification.
///
/// Members whose handlers are synchronous are answered in place, straight
/// into the reply; members that must be awaited run concurrently, at most
/// `batch_concurrency` at a time.
pub(crate) async fn run<'a>(
    router: &'a Router,
    entries: Vec<Entry<'a>>,
    ctx: &'a Context,
    refusal: Option<&Refusal>,
    message: usize,
) -> Option<String> {
    if !entries.iter().any(|e| router.needs_waiting(e, refusal)) {
        return answer_now(router, &entries, ctx, refusal);
    }
    let mut out = String::with_capacity(entries.len() * 48 + 2);
    out.push('[');
    let answers = run_mixed(router, entries, ctx, message).await;
    for answer in answers.iter().flatten() {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(answer);
    }
    if out.len() == 1 {
        return None;
    }
    out.push(']');
    Some(out)
}

/// Answers a batch none of whose members needs waiting, straight into the
/// reply; `None` when every member was a notification.
fn answer_now(
    router: &Router,
    entries: &[Entry<'_>],
    ctx: &Context,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let mut out = String::with_capacity(entries.len() * 48 + 2);
    out.push('[');
    for entry in entries {
        let mark = out.len();
        if mark > 1 {
            out.push(',');
        }
        let comma = out.len() - mark;
        // Only a request that needs waiting is left unanswered; the caller
        // checked that none does.
        router.answer_now(entry, ctx, refusal, &mut out);
        if out.len() == mark + comma {
            out.truncate(mark);
        }
    }
    if out.len() == 1 {
        return None;
    }
    out.push(']');
    Some(out)
}

/// Answers each member into its own slot: the synchronous ones at once, the
/// rest concurrently under the limit.
async fn run_mixed<'a>(
    router: &'a Router,
    entries: Vec<Entry<'a>>,
    ctx: &'a Context,
    message: usize,
) -> Vec<Option<String>> {
    let limit = router.config().batch_concurrency.max(1);
    let len = entries.len();
    let mut answers: Vec<Option<String>> = vec![None; len];
    let mut waiting = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        let mut out = String::new();
        // A refused batch never waits: the caller checked.
        if router.answer_now(&entry, ctx, None, &mut out) {
            answers[index] = (!out.is_empty()).then_some(out);
        } else if let Some(request) = entry.into_request() {
            waiting.push((index, request));
        }
    }
    let mut waiting = waiting.into_iter();
    let mut running = FuturesUnordered::new();
    let start = |(index, request)| async move {
        let position = BatchPosition { index, len };
        (
            index,
            router
                .call_later(request, ctx, Some(position), message)
                .await,
        )
    };
    running.extend(waiting.by_ref().take(limit).map(start));
    while let Some((index, answer)) = running.next().await {
        answers[index] = answer;
        if let Some(next) = waiting.next() {
            running.push(start(next));
        }
    }
    answers
}

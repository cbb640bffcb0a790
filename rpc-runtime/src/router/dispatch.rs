//! Dispatch behind the core entry. A plain single request to a method
//! registered by argument types is read in one pass, its params decoded
//! straight into the arguments; on a router with layers, any plain single
//! request is read in one pass, its params left raw for the method to
//! decode once the layers let it run; everything else is parsed once into
//! entries that are answered in place, or awaited when a handler or a
//! layer waits.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;

use futures_util::FutureExt as _;
use tracing::Instrument as _;

use super::batch;
use super::call::{BatchPosition, Call};
use super::method::{AsyncMethod, Handler, Method, MethodOutput};
use super::refusal::Refusal;
use super::respond::{log_outcome, panicked, write_error, Responder};
use super::Router;
use crate::error::MethodError;
use crate::protocol::response::into_success_response;
use crate::protocol::{
    parse_message, single_pass, write_error_response, Entry, ErrorObject, Id, Message,
    MessageError, ParseOptions, Request, Response, Version,
};
use crate::Context;

/// Hands a response in a message to the call waiting for it.
pub(crate) type Deliver<'d> = dyn Fn(&Response<'_>) + Sync + 'd;

/// Where a message's responses and subscription notifications go instead
/// of the router, on a connection where this side calls and subscribes.
#[derive(Clone, Copy, Default)]
pub(crate) struct Sinks<'d> {
    pub(crate) responses: Option<&'d Deliver<'d>>,
    pub(crate) notifications: Option<&'d dyn super::NotificationSink>,
}

impl Sinks<'_> {
    /// Whether `entry` is a notification of this side's subscription,
    /// taken by its sink.
    fn took(&self, entry: &Entry<'_>) -> bool {
        match (self.notifications, entry) {
            (Some(sink), Entry::Request(request)) if request.id.is_none() => {
                sink.deliver(&request.method, request.params)
            }
            _ => false,
        }
    }
}

/// What [`Router::answer_single_pass`] did with a message.
pub(crate) enum SinglePass<'t> {
    /// Answered (nothing written for a notification).
    Answered,
    /// A call to this asynchronous method, named as written in the text: it
    /// is still to be read and started.
    Async(&'t str, &'t Method, &'t dyn AsyncMethod),
    /// The general path must answer it.
    General,
}

impl Router {
    /// How a parse of one message should go under this configuration.
    #[must_use]
    pub fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            jsonrpc1_compat: self.config.jsonrpc1_compat,
            max_batch_len: self.config.max_batch_len,
        }
    }

    /// Answers a message: in one pass if `single_pass` and it can be, else
    /// parsed once, its responses delivered, its calls run or refused.
    pub(crate) async fn answer_general(
        &self,
        text: &str,
        ctx: &Context,
        refusal: Option<&Refusal>,
        sinks: Sinks<'_>,
        single_pass: bool,
    ) -> Option<String> {
        let deliver = sinks.responses;
        if single_pass && refusal.is_none() && !self.layers.is_empty() {
            // The common single call is read in one pass, its params left
            // raw for the method to decode once the layers let it run.
            if let Some(request) = single_pass::parse_request(text) {
                let message = text.as_ptr() as usize;
                let reply = self.call_later(request, ctx, None, message).await;
                answered(ctx, message);
                return reply;
            }
        } else if single_pass && refusal.is_none() {
            let mut out = String::new();
            match self.answer_single_pass(text, ctx, &mut out) {
                SinglePass::Answered => return (!out.is_empty()).then_some(out),
                SinglePass::Async(name, method, handler) => {
                    if let Some(reply) = self.start_single_pass(method, handler, text, name, ctx) {
                        return reply.await;
                    }
                }
                SinglePass::General => {}
            }
        }
        match parse_message(text, self.parse_options()) {
            Ok(Message::Single(Entry::Response(response))) if deliver.is_some() => {
                if let Some(deliver) = deliver {
                    deliver(&response);
                }
                None
            }
            Ok(Message::Single(entry)) if sinks.took(&entry) => None,
            // Answered inline: a single call to a synchronous handler then
            // costs no nested future and no copy of the parsed request.
            Ok(Message::Single(entry)) => {
                let mut out = String::new();
                if self.answer_now(&entry, ctx, refusal, &mut out) {
                    (!out.is_empty()).then_some(out)
                } else {
                    let message = text.as_ptr() as usize;
                    let reply = self
                        .call_later(entry.into_request()?, ctx, None, message)
                        .await;
                    answered(ctx, message);
                    reply
                }
            }
            Ok(Message::Batch(mut entries)) => {
                if sinks.notifications.is_some() {
                    entries.retain(|entry| !sinks.took(entry));
                    if entries.is_empty() {
                        return None;
                    }
                }
                if let Some(deliver) = deliver {
                    entries.retain(|entry| match entry {
                        Entry::Response(response) => {
                            deliver(response);
                            false
                        }
                        _ => true,
                    });
                    if entries.is_empty() {
                        return None;
                    }
                }
                let message = text.as_ptr() as usize;
                let reply = batch::run(self, entries, ctx, refusal, message).await;
                answered(ctx, message);
                reply
            }
            Err(error) => Some(rejected(&error)),
        }
    }

    /// Answers `text` into `out` when it is a plain single request to a
    /// synchronous method registered with its argument types, reading it in
    /// one pass. A request to an asynchronous method is only found (by one
    /// scan and one lookup), for the caller to start. A router with layers
    /// reads its calls in one pass too, but as they are sent, for the layers
    /// to see each call before it runs.
    pub(crate) fn answer_single_pass<'t>(
        &'t self,
        text: &'t str,
        ctx: &Context,
        out: &mut String,
    ) -> SinglePass<'t> {
        if !self.layers.is_empty() {
            return SinglePass::General;
        }
        let Some(name) = single_pass::method_name(text) else {
            return SinglePass::General;
        };
        let Some(method) = self.methods.get(name) else {
            return SinglePass::General;
        };
        match &method.handler {
            Handler::Sync(handler) => {
                if handler.answer_text(text, name, self.responder(method, ctx, out)) {
                    SinglePass::Answered
                } else {
                    SinglePass::General
                }
            }
            Handler::Async(handler) => SinglePass::Async(name, method, &**handler),
            Handler::Nested(_) | Handler::Subscribe(_) => SinglePass::General,
        }
    }

    /// Reads `text` in one pass and starts the call; the future answers it.
    /// `None` when the message needs the general path.
    fn start_single_pass<'a>(
        &'a self,
        method: &'a Method,
        handler: &dyn AsyncMethod,
        text: &'a str,
        name: &str,
        ctx: &Context,
    ) -> Option<impl Future<Output = Option<String>> + 'a> {
        let (id, future) = handler.start_text(text, name, ctx)?;
        Some(async move {
            let started: std::thread::Result<Pending<'_>> = Ok(future);
            self.finish(&method.info.name, Version::V2, id.as_ref(), started)
                .await
        })
    }

    fn responder<'r>(
        &self,
        method: &'r Method,
        ctx: &'r Context,
        out: &'r mut String,
    ) -> Responder<'r> {
        Responder {
            method,
            expose_internal_errors: self.config.expose_internal_errors,
            ctx,
            out,
        }
    }

    /// Whether answering `entry` means awaiting a handler or the layers.
    pub(crate) fn needs_waiting(&self, entry: &Entry<'_>, refusal: Option<&Refusal>) -> bool {
        match entry {
            Entry::Request(request) if refusal.is_none() => {
                !self.layers.is_empty()
                    || self
                        .methods
                        .get(&*request.method)
                        .is_some_and(|m| !matches!(m.handler, Handler::Sync(_)))
            }
            _ => false,
        }
    }

    /// Appends the answer to an entry that needs no waiting (an invalid
    /// entry, a refused call, an unknown method, a synchronous handler) to
    /// `out`, nothing for a notification; `false`, with nothing written, for
    /// a request that must be awaited. The entry is only borrowed: moving
    /// parsed entries about cost a batch more than answering some of them.
    pub(crate) fn answer_now(
        &self,
        entry: &Entry<'_>,
        ctx: &Context,
        refusal: Option<&Refusal>,
        out: &mut String,
    ) -> bool {
        let request = match entry {
            Entry::Request(request) => request,
            Entry::Invalid(invalid) => {
                tracing::debug!(target: "rpc_runtime::rejected", reason = %invalid.reason, "invalid request");
                write_error_response(out, Version::V2, &invalid.id, &invalid.error());
                return true;
            }
            Entry::Response(response) => {
                // A plain server makes no calls, so no response is expected;
                // answering it (with its id) tells the sender what went wrong.
                let error = ErrorObject::invalid_request()
                    .with_data("a response was sent where a request was expected")
                    .unwrap_or_else(|_| ErrorObject::invalid_request());
                write_error_response(out, Version::V2, &response.id, &error);
                return true;
            }
        };
        if let Some(refusal) = refusal {
            if let Some(id) = &request.id {
                write_error_response(out, request.version, id, &refusal.error_object());
            }
            return true;
        }
        if !self.layers.is_empty() {
            return false;
        }
        let Some(method) = self.methods.get(&*request.method) else {
            tracing::debug!(target: "rpc_runtime::call", method = %request.method, "method not found");
            if let Some(id) = &request.id {
                write_error_response(out, request.version, id, &ErrorObject::method_not_found());
            }
            return true;
        };
        match &method.handler {
            Handler::Sync(handler) => {
                let params = request.params;
                self.responder(method, ctx, out).respond(
                    request.version,
                    request.id.as_ref(),
                    |ctx, out| handler.call(params, ctx, out),
                );
                true
            }
            Handler::Async(_) | Handler::Nested(_) | Handler::Subscribe(_) => false,
        }
    }

    /// Runs a request that must be awaited: through the layers when there
    /// are any, else straight to its asynchronous (or nested) method.
    pub(crate) async fn call_later(
        &self,
        request: Request<'_>,
        ctx: &Context,
        batch: Option<BatchPosition>,
        message: usize,
    ) -> Option<String> {
        let Request {
            version,
            method,
            params,
            id,
        } = request;
        if self.layers.is_empty() {
            if let Some(found) = self.methods.get(&*method) {
                if let Handler::Async(handler) = &found.handler {
                    let started = catch_unwind(AssertUnwindSafe(|| handler.start(params, ctx)))
                        .map(|future| future as Pending<'_>);
                    return self
                        .finish(&found.info.name, version, id.as_ref(), started)
                        .await;
                }
            }
        }
        let name = method.clone();
        let call = Call {
            method,
            params,
            id: id.clone(),
            version,
            ctx,
            batch,
            router: Some(self),
            message,
        };
        let started = catch_unwind(AssertUnwindSafe(|| self.serve(call)));
        self.finish(&name, version, id.as_ref(), started).await
    }

    /// Runs a started call (or the panic that starting it raised) and
    /// writes its answer; `None` for a notification.
    async fn finish(
        &self,
        method: &str,
        version: Version,
        id: Option<&Id<'_>>,
        started: std::thread::Result<Pending<'_>>,
    ) -> Option<String> {
        // As for synchronous calls: the span costs more than a small call,
        // so it is only made when someone could see it.
        let output = if tracing::level_enabled!(tracing::Level::TRACE) {
            let span = tracing::trace_span!("rpc.call", %method);
            self.run_guarded(started).instrument(span).await
        } else {
            self.run_guarded(started).await
        };
        let id = log_outcome(method, id, output.as_ref().err())?;
        match output {
            Ok(result) => Some(into_success_response(result, version, id)),
            Err(error) => {
                let mut out = String::with_capacity(64);
                write_error(
                    &mut out,
                    self.config.expose_internal_errors,
                    version,
                    id,
                    error,
                );
                Some(out)
            }
        }
    }

    /// Awaits a call under the call timeout; a panic anywhere in it (a
    /// handler, a layer) is that call's `-32603`.
    async fn run_guarded(&self, started: std::thread::Result<Pending<'_>>) -> MethodOutput {
        let future = match started {
            Ok(future) => AssertUnwindSafe(future).catch_unwind(),
            Err(panic) => return panicked(panic),
        };
        match self
            .config
            .call_timeout
            .filter(|_| tokio::runtime::Handle::try_current().is_ok())
        {
            // Boxed: a timer in every call's future would make each one
            // larger, and every call pays for moving its future about.
            Some(limit) => match Box::pin(tokio::time::timeout(limit, future)).await {
                Ok(output) => output.unwrap_or_else(panicked),
                Err(_) => Err(timed_out(limit)),
            },
            None => future.await.unwrap_or_else(panicked),
        }
    }
}

/// A call under way.
type Pending<'a> = Pin<Box<dyn Future<Output = MethodOutput> + Send + 'a>>;

#[cold]
/// Tells the connection's subscriptions that `message` is answered: one
/// it opened may send once the reply is queued.
fn answered(ctx: &Context, message: usize) {
    if let Some(subscriptions) = ctx.subscriptions() {
        subscriptions.answered(message);
    }
}

fn rejected(error: &MessageError) -> String {
    tracing::debug!(target: "rpc_runtime::rejected", %error, "message rejected");
    let mut out = String::with_capacity(96);
    write_error_response(&mut out, Version::V2, &Id::null(), &error.to_error_object());
    out
}

#[cold]
fn timed_out(limit: std::time::Duration) -> MethodError {
    MethodError::new(&ErrorObject::new(
        crate::protocol::codes::CALL_TIMEOUT,
        format!(
            "Request timed out: the call ran longer than {} ms",
            limit.as_millis()
        ),
    ))
}

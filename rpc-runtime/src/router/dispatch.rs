//! Dispatch: a message in, its answer out. A plain single request to a
//! method registered by argument types is read in one pass; everything else
//! is parsed once into entries that are answered in place, or awaited when
//! their handler is asynchronous.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};

use futures_util::FutureExt as _;
use tracing::Instrument as _;

use super::Router;
use crate::error::MethodError;
use crate::method::{AsyncMethod, BoxFuture, Handler, Method, MethodOutput};
use crate::protocol::{
    parse_message, single_pass, write_error_response, write_success_response, Entry, ErrorObject,
    Id, Message, ParseOptions, Request, Version,
};
use crate::respond::{log_outcome, panicked, write_error, Responder};
use crate::{batch, Context};

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

    /// Handles one message (a single request or a batch) and returns the
    /// response text, or `None` when no response is due.
    pub async fn handle(&self, text: &str, ctx: &Context) -> Option<String> {
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
        match parse_message(text, self.parse_options()) {
            // Answered inline rather than through `handle_message`: a single
            // call to a synchronous handler then costs no nested future and
            // no copy of the parsed request.
            Ok(Message::Single(entry)) => {
                if self.answer_now(&entry, ctx, &mut out) {
                    (!out.is_empty()).then_some(out)
                } else {
                    self.call_async(entry.into_request()?, ctx).await
                }
            }
            Ok(Message::Batch(entries)) => batch::run(self, entries, ctx).await,
            Err(error) => {
                tracing::debug!(target: "rpc_runtime::rejected", %error, "message rejected");
                let mut out = String::with_capacity(96);
                write_error_response(&mut out, Version::V2, &Id::null(), &error.to_error_object());
                Some(out)
            }
        }
    }

    /// Answers `text` into `out` when it is a plain single request to a
    /// synchronous method registered with its argument types, reading it in
    /// one pass. A request to an asynchronous method is only found (by one
    /// scan and one lookup), for the caller to start or hand to a task.
    pub(crate) fn answer_single_pass<'t>(
        &'t self,
        text: &'t str,
        ctx: &Context,
        out: &mut String,
    ) -> SinglePass<'t> {
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
        }
    }

    /// Reads `text` in one pass when it is a plain single request to an
    /// asynchronous method, and answers it; `None`, with nothing started,
    /// when `text` needs the general path.
    #[cfg(feature = "ws")]
    pub(crate) async fn call_async_single_pass(
        &self,
        text: &str,
        ctx: &Context,
    ) -> Option<Option<String>> {
        let name = single_pass::method_name(text)?;
        let method = self.methods.get(name)?;
        let Handler::Async(handler) = &method.handler else {
            return None;
        };
        Some(
            self.start_single_pass(method, &**handler, text, name, ctx)?
                .await,
        )
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
        let (id, future) = handler.start_text(text, name, ctx, &|| method.admit(ctx))?;
        Some(async move {
            self.finish_async(method, Version::V2, id.as_ref(), Ok(future))
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

    /// Handles an already parsed message.
    pub async fn handle_message(&self, message: Message<'_>, ctx: &Context) -> Option<String> {
        match message {
            Message::Single(entry) => self.handle_entry(entry, ctx).await,
            Message::Batch(entries) => batch::run(self, entries, ctx).await,
        }
    }

    /// Handles one member of a message.
    pub(crate) async fn handle_entry(&self, entry: Entry<'_>, ctx: &Context) -> Option<String> {
        let mut out = String::new();
        if self.answer_now(&entry, ctx, &mut out) {
            (!out.is_empty()).then_some(out)
        } else {
            self.call_async(entry.into_request()?, ctx).await
        }
    }

    /// Runs one valid request; `None` for a notification.
    pub async fn call(&self, request: Request<'_>, ctx: &Context) -> Option<String> {
        self.handle_entry(Entry::Request(request), ctx).await
    }

    /// Whether answering `entry` means awaiting an asynchronous handler.
    pub(crate) fn needs_waiting(&self, entry: &Entry<'_>) -> bool {
        match entry {
            Entry::Request(request) => self
                .methods
                .get(&*request.method)
                .is_some_and(|m| matches!(m.handler, Handler::Async(_))),
            _ => false,
        }
    }

    /// Appends the answer to an entry that needs no waiting (an invalid
    /// entry, an unknown method, a synchronous handler) to `out`, nothing for a
    /// notification; `false`, with nothing written, for a request whose
    /// handler is asynchronous. The entry is only borrowed: moving parsed
    /// entries about cost a batch more than answering some of them.
    pub(crate) fn answer_now(&self, entry: &Entry<'_>, ctx: &Context, out: &mut String) -> bool {
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
            Handler::Async(_) => false,
        }
    }

    /// Runs a request whose handler is asynchronous.
    pub(crate) async fn call_async(&self, request: Request<'_>, ctx: &Context) -> Option<String> {
        let method = self.methods.get(&*request.method)?;
        let Handler::Async(handler) = &method.handler else {
            return None;
        };
        let started = match method.admit(ctx) {
            Ok(()) => catch_unwind(AssertUnwindSafe(|| handler.start(request.params, ctx))),
            Err(refused) => Ok(Box::pin(std::future::ready(Err(refused))) as BoxFuture<_>),
        };
        self.finish_async(method, request.version, request.id.as_ref(), started)
            .await
    }

    /// Runs a started call (or the panic that starting it raised) and
    /// writes its answer; `None` for a notification.
    async fn finish_async(
        &self,
        method: &Method,
        version: Version,
        id: Option<&Id<'_>>,
        started: std::thread::Result<BoxFuture<MethodOutput>>,
    ) -> Option<String> {
        let span = tracing::trace_span!("rpc.call", method = %method.info.name);
        let output = self.run_async(started).instrument(span).await;
        let id = log_outcome(&method.info, id, output.as_ref().err())?;
        let mut out = String::with_capacity(64);
        match output {
            Ok(result) => {
                out.reserve(result.len());
                write_success_response(&mut out, version, id, &result);
            }
            Err(error) => write_error(
                &mut out,
                self.config.expose_internal_errors,
                version,
                id,
                error,
            ),
        }
        Some(out)
    }

    async fn run_async(
        &self,
        started: std::thread::Result<BoxFuture<MethodOutput>>,
    ) -> MethodOutput {
        let future = match started {
            Ok(future) => AssertUnwindSafe(future).catch_unwind(),
            Err(panic) => return panicked(panic),
        };
        match self
            .config
            .call_timeout
            .filter(|_| tokio::runtime::Handle::try_current().is_ok())
        {
            Some(limit) => match tokio::time::timeout(limit, future).await {
                Ok(output) => output.unwrap_or_else(panicked),
                Err(_) => Err(timed_out(limit)),
            },
            None => future.await.unwrap_or_else(panicked),
        }
    }
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

//! Running a synchronous handler into the response being written: its
//! panic becomes `-32603`, its failure is logged, its result is framed with
//! the request's id, and a notification's answer is dropped.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::method::{Method, MethodOutput};
use crate::error::MethodError;
use crate::protocol::response::{begin_success, end_success};
use crate::protocol::{write_error_response, Id, Version};
use crate::Context;

/// What a synchronous handler needs to answer one call into `out`.
pub(crate) struct Responder<'r> {
    pub(crate) method: &'r Method,
    pub(crate) expose_internal_errors: bool,
    pub(crate) ctx: &'r Context,
    pub(crate) out: &'r mut String,
}

impl Responder<'_> {
    /// Runs `handler`, which appends its result's JSON to the buffer it is
    /// given, and completes the response (`id` `None`: a notification, so
    /// nothing is left in `out`).
    pub(crate) fn respond(
        self,
        version: Version,
        id: Option<&Id<'_>>,
        handler: impl FnOnce(&Context, &mut String) -> Result<(), MethodError>,
    ) {
        // The span costs a tenth of a small call, so it is only made when
        // someone could see it.
        if tracing::level_enabled!(tracing::Level::TRACE) {
            let span = tracing::trace_span!("rpc.call", method = %self.method.info.name);
            span.in_scope(|| self.run(version, id, handler));
        } else {
            self.run(version, id, handler);
        }
    }

    fn run(
        self,
        version: Version,
        id: Option<&Id<'_>>,
        handler: impl FnOnce(&Context, &mut String) -> Result<(), MethodError>,
    ) {
        let Responder {
            method,
            expose_internal_errors,
            ctx,
            out,
        } = self;
        let info = &method.info;
        let start = out.len();
        if out.capacity() == 0 {
            // The usual case, a buffer not yet allocated: allocating it
            // outright skips `reserve`'s growth path (76 of a small call's
            // 3,300 instructions).
            *out = String::with_capacity(64);
        } else {
            out.reserve(64);
        }
        begin_success(out, version);
        let outcome = catch_unwind(AssertUnwindSafe(|| handler(ctx, out)))
            .unwrap_or_else(|panic| panicked(panic).map(drop));
        let Some(id) = log_outcome(&info.name, id, outcome.as_ref().err()) else {
            out.truncate(start);
            return;
        };
        match outcome {
            Ok(()) => end_success(out, version, id),
            Err(error) => {
                out.truncate(start);
                write_error(out, expose_internal_errors, version, id, error);
            }
        }
    }
}

/// Appends the error response for a failed call.
pub(crate) fn write_error(
    out: &mut String,
    expose_internal_errors: bool,
    version: Version,
    id: &Id<'_>,
    error: MethodError,
) {
    let object = error.into_object(expose_internal_errors);
    write_error_response(out, version, id, &object);
}

/// Logs a failed call; returns the id to answer, `None` for a notification.
pub(crate) fn log_outcome<'i>(
    method: &str,
    id: Option<&'i Id<'_>>,
    error: Option<&MethodError>,
) -> Option<&'i Id<'i>> {
    if let Some(error) = error {
        tracing::debug!(target: "rpc_runtime::call", %method, code = error.object.code,
            detail = error.detail.as_deref().unwrap_or(""), notification = id.is_none(), "call failed");
    }
    id
}

/// The `-32603` a panicking handler is answered with.
#[cold]
pub(crate) fn panicked(panic: Box<dyn std::any::Any + Send>) -> MethodOutput {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    tracing::error!(target: "rpc_runtime::call", %detail, "handler panicked");
    Err(MethodError::internal(format!("handler panicked: {detail}")))
}

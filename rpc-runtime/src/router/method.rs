//! Type-erased handlers: what the router stores for each method.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt as _;
use serde::Serialize;

use super::respond::{panicked, Responder};
use super::service::Nested;
use crate::error::MethodError;
use crate::params::{FromParams, Params};
use crate::protocol::{single_pass, Id, Version};
use crate::Context;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a handler produces: the result as JSON text, or an error.
pub type MethodOutput = Result<String, MethodError>;

/// A synchronous handler appends its result's JSON to the buffer it is given
/// (the response being written), saving a buffer and a copy per call.
pub(crate) trait SyncMethod: Send + Sync {
    /// Runs the method on params still raw (the general path).
    fn call(&self, params: Params<'_>, ctx: &Context, out: &mut String) -> Result<(), MethodError>;

    /// Reads `text`, a whole message naming this method as `name`, in one
    /// pass with the params decoded straight into the arguments, and
    /// answers it; `false`, with nothing run, when the message needs the
    /// general path. Only methods registered with their argument types can.
    fn answer_text(&self, text: &str, name: &str, responder: Responder<'_>) -> bool {
        let _ = (text, name, responder);
        false
    }
}

impl<F> SyncMethod for F
where
    F: Fn(Params<'_>, &Context, &mut String) -> Result<(), MethodError> + Send + Sync,
{
    fn call(&self, params: Params<'_>, ctx: &Context, out: &mut String) -> Result<(), MethodError> {
        self(params, ctx, out)
    }
}

/// A synchronous method registered with its argument types, so a plain
/// request to it is read in one pass.
pub(crate) struct ArgsMethod<A, F> {
    names: &'static [&'static str],
    handler: F,
    _args: PhantomData<fn() -> A>,
}

impl<A, F> ArgsMethod<A, F> {
    /// `handler` takes the arguments `A`, whose JSON names are `names`.
    pub(crate) fn new(names: &'static [&'static str], handler: F) -> Self {
        Self {
            names,
            handler,
            _args: PhantomData,
        }
    }
}

impl<A, F, T, E> ArgsMethod<A, F>
where
    F: Fn(A, &Context) -> Result<T, E>,
    T: Serialize,
    E: Into<MethodError>,
{
    fn run(&self, args: A, ctx: &Context, out: &mut String) -> Result<(), MethodError> {
        match (self.handler)(args, ctx) {
            Ok(value) => write_json(out, &value),
            Err(error) => Err(error.into()),
        }
    }
}

impl<A, F, T, E> SyncMethod for ArgsMethod<A, F>
where
    A: for<'de> FromParams<'de> + Send,
    F: Fn(A, &Context) -> Result<T, E> + Send + Sync,
    T: Serialize,
    E: Into<MethodError>,
{
    fn call(&self, params: Params<'_>, ctx: &Context, out: &mut String) -> Result<(), MethodError> {
        let args = params.decode::<A>(self.names)?;
        self.run(args, ctx, out)
    }

    fn answer_text(&self, text: &str, name: &str, responder: Responder<'_>) -> bool {
        let Some(call) = read_call::<A>(text, name, self.names) else {
            return false;
        };
        responder.respond(Version::V2, call.id.as_ref(), |ctx, out| {
            self.run(call.args, ctx, out)
        });
        true
    }
}

/// Reads a request in one pass; `None` declines it. An argument type whose
/// decoder panics declines too, before anything ran: the general path meets
/// the same panic inside its guard and answers `-32603` with the request's id.
fn read_call<'a, A: FromParams<'a>>(
    text: &'a str,
    name: &str,
    names: &[&'static str],
) -> Option<single_pass::Call<'a, A>> {
    catch_unwind(AssertUnwindSafe(|| {
        single_pass::parse_call::<A>(text, name, names)
    }))
    .ok()
    .flatten()
}

/// An asynchronous handler reads its params and the context at once and
/// returns a `'static` future.
pub(crate) trait AsyncMethod: Send + Sync {
    /// Starts the method on params still raw (the general path).
    fn start(&self, params: Params<'_>, ctx: &Context) -> BoxFuture<MethodOutput>;

    /// Reads `text`, a whole message naming this method as `name`, in one
    /// pass with the params decoded straight into the arguments, and starts
    /// the method: the request's id and the call's future. `None`, with
    /// nothing started, when the message needs the general path.
    fn start_text<'a>(
        &self,
        text: &'a str,
        name: &str,
        ctx: &Context,
    ) -> Option<(Option<Id<'a>>, BoxFuture<MethodOutput>)> {
        let _ = (text, name, ctx);
        None
    }
}

impl<F> AsyncMethod for F
where
    F: Fn(Params<'_>, &Context) -> BoxFuture<MethodOutput> + Send + Sync,
{
    fn start(&self, params: Params<'_>, ctx: &Context) -> BoxFuture<MethodOutput> {
        self(params, ctx)
    }
}

impl<A, F, Fut, T, E> AsyncMethod for ArgsMethod<A, F>
where
    A: for<'de> FromParams<'de> + Send,
    F: Fn(A, &Context) -> Fut + Send + Sync,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Serialize + 'static,
    E: Into<MethodError> + 'static,
{
    fn start(&self, params: Params<'_>, ctx: &Context) -> BoxFuture<MethodOutput> {
        match params.decode::<A>(self.names) {
            Ok(args) => Box::pin((self.handler)(args, ctx).map(into_output)),
            Err(error) => Box::pin(std::future::ready(Err(error.into()))),
        }
    }

    fn start_text<'a>(
        &self,
        text: &'a str,
        name: &str,
        ctx: &Context,
    ) -> Option<(Option<Id<'a>>, BoxFuture<MethodOutput>)> {
        let call = read_call::<A>(text, name, self.names)?;
        let args = call.args;
        // The request is valid by now, so a panic starting it is answered
        // with its id, as the general path answers it.
        let future: BoxFuture<MethodOutput> =
            match catch_unwind(AssertUnwindSafe(|| (self.handler)(args, ctx))) {
                Ok(future) => Box::pin(future.map(into_output)),
                Err(panic) => Box::pin(std::future::ready(panicked(panic))),
            };
        Some((call.id, future))
    }
}

#[derive(Clone)]
pub(crate) enum Handler {
    Sync(Arc<dyn SyncMethod>),
    Async(Arc<dyn AsyncMethod>),
    /// Merged from a router with layers of its own.
    Nested(Arc<Nested>),
    /// Opens a subscription: needs the whole call (its id, its message).
    Subscribe(Arc<dyn super::subscribe::SubscribeMethod>),
}

/// Serializes a handler's result, or erases its error.
///
/// # Errors
/// The handler's error, or an internal error when the result does not serialize.
pub(crate) fn into_output<T: Serialize, E: Into<MethodError>>(
    result: Result<T, E>,
) -> MethodOutput {
    match result {
        Ok(value) => serde_json::to_string(&value).map_err(serialize_failed),
        Err(error) => Err(error.into()),
    }
}

/// Appends `value` as JSON to `out`.
pub(crate) fn write_json<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
) -> Result<(), MethodError> {
    serde_json::to_writer(StringWriter(out), value).map_err(serialize_failed)
}

/// Lets serde_json write into a `String`. serde_json only ever writes whole
/// UTF-8 sequences (it splits strings at ASCII escapes), so each fragment is
/// valid UTF-8 on its own; a fragment that were not would be an error, never
/// a corrupt string.
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.push_str(text);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cold]
fn serialize_failed(error: serde_json::Error) -> MethodError {
    MethodError::internal(format!("the result could not be serialized: {error}"))
}

/// What is known about a registered method: its name, its parameters' JSON
/// names (for the method map and documentation) and its aliases.
///
/// Non-exhaustive: the router makes it when a method is registered (and
/// hands it out to be completed with [`with_params`](Self::with_params) and
/// [`with_notification`](Self::with_notification)); more may be recorded
/// about a method later.
///
/// ```
/// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
/// let mut router = Router::new();
/// router.register_sync("ping", |_, _| Ok::<_, ErrorObjectOwned>("pong")).unwrap()
///     .with_params(&["payload"]);
/// let info = router.methods()[0];
/// assert_eq!((info.name.as_str(), info.params.as_slice()), ("ping", &["payload".to_owned()][..]));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The name it is called by.
    pub name: String,
    /// Its parameters' JSON names, in positional order (empty if unknown).
    pub params: Vec<String>,
    /// Whether it is meant to be sent as a notification.
    pub notification: bool,
    /// If this name is an alias, the method it stands for.
    pub alias_of: Option<String>,
    /// For a subscribe method: the method of its notifications and its
    /// unsubscribe method.
    pub subscription: Option<(String, String)>,
    /// For an unsubscribe method: the subscribe method it ends.
    pub unsubscribe_of: Option<String>,
}

impl MethodInfo {
    /// Records the parameters' JSON names.
    pub fn with_params<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        self.params = names.iter().map(|s| s.as_ref().to_owned()).collect();
        self
    }

    /// Marks the method as a notification.
    pub fn with_notification(&mut self, notification: bool) -> &mut Self {
        self.notification = notification;
        self
    }
}

#[derive(Clone)]
pub(crate) struct Method {
    pub(crate) handler: Handler,
    pub(crate) info: MethodInfo,
}

//! The method table and the single entry point every transport calls.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use futures_util::FutureExt as _;
use rustc_hash::FxHashMap;
use serde::Serialize;
use tracing::Instrument as _;

use crate::error::MethodError;
use crate::method::{
    into_output, write_json, ArgsMethod, AsyncMethod, BoxFuture, Handler, Method, MethodInfo,
    MethodOutput,
};
use crate::params::{FromParams, Params};
use crate::protocol::{
    parse_message, single_pass, write_error_response, write_success_response, Entry, ErrorObject,
    Id, Message, ParseOptions, Request, Version,
};
use crate::respond::{log_outcome, panicked, write_error, Responder};
use crate::{batch, Context, RouterConfig};

/// The prefix the specification reserves for its own methods.
pub const RESERVED_PREFIX: &str = "rpc.";

/// Why a method could not be registered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The name is already taken; names are never silently overwritten.
    #[error("method \"{0}\" is already registered")]
    Duplicate(String),
    /// Names beginning with `rpc.` are reserved for the toolkit.
    #[error("method \"{0}\" uses the reserved prefix \"rpc.\"")]
    Reserved(String),
    /// An empty name.
    #[error("a method name must not be empty")]
    Empty,
    /// An alias names a method that is not registered.
    #[error("cannot alias \"{alias}\" to unknown method \"{target}\"")]
    UnknownTarget {
        /// The alias.
        alias: String,
        /// The missing method.
        target: String,
    },
}

/// A table of methods, and the dispatcher that runs them.
///
/// [`Router::handle`] takes one message (a single request or a batch) as
/// text and returns the response text, or `None` when nothing is to be sent
/// (a notification, a batch of notifications).
///
/// ```
/// use rpc_runtime::{Context, InternalError, Router};
/// # futures_executor::block_on(async {
/// let mut router = Router::new();
/// router.register_sync("add", |params, _ctx| {
///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
///     Ok::<_, rpc_runtime::protocol::ErrorObjectOwned>(a + b)
/// }).unwrap();
/// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}"#, &Context::new()).await;
/// assert_eq!(reply.as_deref(), Some(r#"{"jsonrpc":"2.0","result":3,"id":1}"#));
/// # });
/// ```
#[derive(Clone, Default)]
#[must_use = "a router does nothing until a transport serves it or `handle` is called"]
pub struct Router {
    /// Looked up with Fx hashing: the keys are the server's own method
    /// names, so a caller cannot flood one bucket, and SipHash would cost more
    /// than the rest of a lookup.
    methods: FxHashMap<Arc<str>, Method>,
    config: RouterConfig,
    /// What the methods' documentation says, for `rpc.discover`; kept
    /// beside the table so dispatch never looks at it.
    #[cfg(feature = "openrpc")]
    pub(crate) doc: Option<Arc<crate::openrpc::ApiDoc>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("methods", &self.method_names())
            .field("config", &self.config)
            .finish()
    }
}

impl Router {
    /// An empty router with the default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// The configuration.
    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Replaces the configuration.
    pub fn with_config(mut self, config: RouterConfig) -> Self {
        self.config = config;
        self
    }

    /// Registers a method whose handler returns at once and decodes its own
    /// params. A method with fixed arguments is served faster registered
    /// with [`register_sync_args`](Self::register_sync_args).
    ///
    /// The handler's error is anything that converts into [`MethodError`]:
    /// any [`RpcError`](crate::RpcError) (an error object, `InternalError`,
    /// your own derived enum), or `MethodError` itself, so one handler can
    /// use `?` on params errors and on its own errors alike.
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObject, InternalError, MethodError, Router};
    /// let mut router = Router::new();
    /// router.register_sync("read", |params, _ctx| -> Result<String, MethodError> {
    ///     let (path,): (String,) = params.decode(&["path"])?;            // -32602 on bad params
    ///     if path.contains("..") {
    ///         return Err(ErrorObject::new(4003, "path escapes the root").into());
    ///     }
    ///     Ok(std::fs::read_to_string(path).map_err(InternalError::from)?) // -32603, detail hidden
    /// }).unwrap();
    /// ```
    ///
    /// # Errors
    /// When the name is empty, reserved (`rpc.`), or already registered.
    pub fn register_sync<F, T, E>(
        &mut self,
        name: &str,
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        F: Fn(Params<'_>, &Context) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize,
        E: Into<MethodError>,
    {
        let handler = Handler::Sync(Arc::new(
            move |params: Params<'_>, ctx: &Context, out: &mut String| match handler(params, ctx) {
                Ok(value) => write_json(out, &value),
                Err(error) => Err(error.into()),
            },
        ));
        self.insert(name, handler, false)
    }

    /// Registers a synchronous method by its argument types: the handler
    /// gets the arguments decoded, `names` are their JSON names in order.
    ///
    /// This is what `#[rpc]` generates, and the fastest way to serve a
    /// call: a plain request to such a method is read in a single pass, its
    /// params decoded straight into the argument types as the request is
    /// parsed, where [`register_sync`](Self::register_sync) reads them a
    /// second time when the handler decodes them. Bad params get the same
    /// precise `-32602` either way.
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
    /// # futures_executor::block_on(async {
    /// let mut router = Router::new();
    /// router.register_sync_args("add", &["a", "b"], |(a, b): (i64, i64), _ctx| {
    ///     Ok::<_, ErrorObjectOwned>(a + b)
    /// }).unwrap();
    /// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#, &Context::new()).await;
    /// assert_eq!(reply.as_deref(), Some(r#"{"jsonrpc":"2.0","result":3,"id":1}"#));
    /// # });
    /// ```
    ///
    /// # Errors
    /// When the name is empty, reserved (`rpc.`), or already registered.
    pub fn register_sync_args<A, F, T, E>(
        &mut self,
        name: &str,
        names: &'static [&'static str],
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        A: for<'de> FromParams<'de> + 'static,
        F: Fn(A, &Context) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + 'static,
        E: Into<MethodError> + 'static,
    {
        let method = ArgsMethod {
            names,
            handler,
            _args: PhantomData,
        };
        let info = self.insert(name, Handler::Sync(Arc::new(method)), false)?;
        Ok(info.with_params(names))
    }

    /// Registers a method whose handler is asynchronous.
    ///
    /// The handler decodes its params and reads the context synchronously,
    /// then returns a `'static` future (clone what it needs from the context
    /// into it).
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Router};
    /// let mut router = Router::new();
    /// router.register_async("sum", |params, _ctx| {
    ///     let nums = params.parse::<Vec<i64>>();
    ///     async move { Ok::<_, ErrorObjectOwned>(nums?.iter().sum::<i64>()) }
    /// }).unwrap();
    /// assert_eq!(router.method_names(), ["sum"]);
    /// ```
    ///
    /// # Errors
    /// When the name is empty, reserved (`rpc.`), or already registered.
    pub fn register_async<F, Fut, T, E>(
        &mut self,
        name: &str,
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        F: Fn(Params<'_>, &Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Into<MethodError> + 'static,
    {
        let handler = Handler::Async(Arc::new(move |params: Params<'_>, ctx: &Context| {
            Box::pin(handler(params, ctx).map(into_output)) as BoxFuture<MethodOutput>
        }));
        self.insert(name, handler, false)
    }

    /// Registers an asynchronous method by its argument types: the handler
    /// gets the arguments decoded, `names` are their JSON names in order.
    ///
    /// This is what `#[rpc]` generates for an `async fn`; as with
    /// [`register_sync_args`](Self::register_sync_args), a plain request is
    /// read in a single pass, its params decoded as the request is parsed.
    ///
    /// ```
    /// use rpc_runtime::{protocol::ErrorObjectOwned, Context, Router};
    /// # futures_executor::block_on(async {
    /// let mut router = Router::new();
    /// router.register_async_args("greet", &["name"], |(name,): (String,), _ctx| async move {
    ///     Ok::<_, ErrorObjectOwned>(format!("hello, {name}"))
    /// }).unwrap();
    /// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"greet","params":["ann"],"id":1}"#, &Context::new()).await;
    /// assert_eq!(reply.as_deref(), Some(r#"{"jsonrpc":"2.0","result":"hello, ann","id":1}"#));
    /// # });
    /// ```
    ///
    /// # Errors
    /// When the name is empty, reserved (`rpc.`), or already registered.
    pub fn register_async_args<A, F, Fut, T, E>(
        &mut self,
        name: &str,
        names: &'static [&'static str],
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        A: for<'de> FromParams<'de> + 'static,
        F: Fn(A, &Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Into<MethodError> + 'static,
    {
        let method = ArgsMethod {
            names,
            handler,
            _args: PhantomData,
        };
        let info = self.insert(name, Handler::Async(Arc::new(method)), false)?;
        Ok(info.with_params(names))
    }

    /// Registers a method under a name in the reserved `rpc.` space; for the
    /// toolkit's own methods, such as `rpc.discover`.
    #[doc(hidden)]
    pub fn register_reserved_sync<F>(
        &mut self,
        name: &str,
        handler: F,
    ) -> Result<&mut MethodInfo, RegisterError>
    where
        F: Fn(Params<'_>, &Context) -> MethodOutput + Send + Sync + 'static,
    {
        let handler = move |params: Params<'_>, ctx: &Context, out: &mut String| {
            out.push_str(&handler(params, ctx)?);
            Ok(())
        };
        self.insert(name, Handler::Sync(Arc::new(handler)), true)
    }

    /// Makes `alias` call the same handler as `target`.
    ///
    /// # Errors
    /// When `target` is unknown, or `alias` could not be registered.
    pub fn register_alias(
        &mut self,
        alias: &str,
        target: &str,
    ) -> Result<&mut MethodInfo, RegisterError> {
        let Some(method) = self.methods.get(target) else {
            return Err(RegisterError::UnknownTarget {
                alias: alias.to_owned(),
                target: target.to_owned(),
            });
        };
        let handler = method.handler.clone();
        let params = method.info.params.clone();
        let notification = method.info.notification;
        let info = self.insert(alias, handler, false)?;
        info.params = params;
        info.notification = notification;
        info.alias_of = Some(target.to_owned());
        Ok(info)
    }

    fn insert(
        &mut self,
        name: &str,
        handler: Handler,
        reserved_ok: bool,
    ) -> Result<&mut MethodInfo, RegisterError> {
        check_name(name, reserved_ok)?;
        if self.methods.contains_key(name) {
            return Err(RegisterError::Duplicate(name.to_owned()));
        }
        let info = MethodInfo {
            name: name.to_owned(),
            ..MethodInfo::default()
        };
        let method = self
            .methods
            .entry(Arc::from(name))
            .or_insert(Method { handler, info });
        Ok(&mut method.info)
    }

    /// Puts `prefix` before every method name (`"math."` turns `add` into
    /// `math.add`).
    ///
    /// # Errors
    /// When a prefixed name would be reserved.
    pub fn with_prefix(self, prefix: &str) -> Result<Self, RegisterError> {
        let mut out = Router {
            methods: FxHashMap::with_capacity_and_hasher(self.methods.len(), Default::default()),
            config: self.config,
            #[cfg(feature = "openrpc")]
            doc: self.doc,
        };
        for (name, mut method) in self.methods {
            let full = format!("{prefix}{name}");
            check_name(&full, false)?;
            method.info.name.clone_from(&full);
            if let Some(target) = &mut method.info.alias_of {
                *target = format!("{prefix}{target}");
            }
            out.methods.insert(Arc::from(full), method);
        }
        #[cfg(feature = "openrpc")]
        if let Some(doc) = &mut out.doc {
            Arc::make_mut(doc).prefix(prefix);
        }
        Ok(out)
    }

    /// Adds every method of `other`; nothing is added if any name clashes.
    /// Their documentation is merged too (see [`ApiDoc::merge`](crate::openrpc::ApiDoc::merge)).
    ///
    /// # Errors
    /// [`RegisterError::Duplicate`] naming the first clash.
    pub fn merge(&mut self, other: Router) -> Result<(), RegisterError> {
        if let Some(name) = other
            .methods
            .keys()
            .find(|name| self.methods.contains_key(&***name))
        {
            return Err(RegisterError::Duplicate(name.to_string()));
        }
        self.methods.extend(other.methods);
        #[cfg(feature = "openrpc")]
        if let Some(doc) = other.doc {
            self.attach_doc(doc);
        }
        Ok(())
    }

    /// The registered method names, sorted.
    #[must_use]
    pub fn method_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.methods.keys().map(|k| &**k).collect();
        names.sort_unstable();
        names
    }

    /// What is known about each method, sorted by name.
    #[must_use]
    pub fn methods(&self) -> Vec<&MethodInfo> {
        let mut infos: Vec<&MethodInfo> = self.methods.values().map(|m| &m.info).collect();
        infos.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        infos
    }

    /// Whether a method of that name is registered.
    #[must_use]
    pub fn has_method(&self, name: &str) -> bool {
        self.methods.contains_key(name)
    }

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
        if let Some((name, method)) = self.single_pass_target(text) {
            match &method.handler {
                Handler::Sync(handler) => {
                    if handler.answer_text(text, name, self.responder(method, ctx, &mut out)) {
                        return (!out.is_empty()).then_some(out);
                    }
                }
                Handler::Async(handler) => {
                    if let Some(reply) = self.start_single_pass(method, &**handler, text, name, ctx)
                    {
                        return reply.await;
                    }
                }
            }
        }
        match parse_message(text, self.parse_options()) {
            // Answered inline rather than through `handle_message`: a single
            // call to a synchronous handler then costs no nested future and
            // no copy of the parsed request.
            Ok(Message::Single(entry)) => match self.answer_now(entry, ctx, &mut out) {
                Ok(()) => (!out.is_empty()).then_some(out),
                Err(request) => self.call_async(request, ctx).await,
            },
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
    /// method registered with its argument types, reading it in one pass;
    /// `false`, with nothing run, when it needs the general path.
    #[cfg(feature = "ws")]
    pub(crate) fn answer_single_pass(&self, text: &str, ctx: &Context, out: &mut String) -> bool {
        let Some((name, method)) = self.single_pass_target(text) else {
            return false;
        };
        let Handler::Sync(handler) = &method.handler else {
            return false;
        };
        handler.answer_text(text, name, self.responder(method, ctx, out))
    }

    /// The async twin of [`answer_single_pass`](Self::answer_single_pass):
    /// `None`, with nothing started, when `text` needs the general path.
    #[cfg(feature = "ws")]
    pub(crate) async fn call_async_single_pass(
        &self,
        text: &str,
        ctx: &Context,
    ) -> Option<Option<String>> {
        let (name, method) = self.single_pass_target(text)?;
        let Handler::Async(handler) = &method.handler else {
            return None;
        };
        Some(
            self.start_single_pass(method, &**handler, text, name, ctx)?
                .await,
        )
    }

    /// The method a single request in `text` names, found by a scan that
    /// the method's own single-pass parser then checks.
    pub(crate) fn single_pass_target<'t>(&self, text: &'t str) -> Option<(&'t str, &Method)> {
        let name = single_pass::method_name(text)?;
        Some((name, self.methods.get(name)?))
    }

    /// Whether `text` is a single request to an asynchronous method, by
    /// the same scan; such a message is worth handing to a task at once.
    #[cfg(feature = "ws")]
    pub(crate) fn names_async_method(&self, text: &str) -> bool {
        self.single_pass_target(text)
            .is_some_and(|(_, method)| matches!(method.handler, Handler::Async(_)))
    }

    /// Reads `text` in one pass and starts the call; the future answers it.
    /// `None` when the message needs the general path. A decoder that
    /// panics declines too: the general path meets the same panic and
    /// answers it `-32603` with the request's id.
    fn start_single_pass<'a>(
        &'a self,
        method: &'a Method,
        handler: &dyn AsyncMethod,
        text: &'a str,
        name: &str,
        ctx: &Context,
    ) -> Option<impl Future<Output = Option<String>> + 'a> {
        let (id, future) =
            catch_unwind(AssertUnwindSafe(|| handler.start_text(text, name, ctx))).ok()??;
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
            info: &method.info,
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
        match self.answer_now(entry, ctx, &mut out) {
            Ok(()) => (!out.is_empty()).then_some(out),
            Err(request) => self.call_async(request, ctx).await,
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
    /// notification; hands back a request whose handler is asynchronous.
    pub(crate) fn answer_now<'a>(
        &self,
        entry: Entry<'a>,
        ctx: &Context,
        out: &mut String,
    ) -> Result<(), Request<'a>> {
        let request = match entry {
            Entry::Request(request) => request,
            Entry::Invalid(invalid) => {
                tracing::debug!(target: "rpc_runtime::rejected", reason = %invalid.reason, "invalid request");
                write_error_response(out, Version::V2, &invalid.id, &invalid.error());
                return Ok(());
            }
            Entry::Response(response) => {
                // A plain server makes no calls, so no response is expected;
                // answering it (with its id) tells the sender what went wrong.
                let error = ErrorObject::invalid_request()
                    .with_data("a response was sent where a request was expected")
                    .unwrap_or_else(|_| ErrorObject::invalid_request());
                write_error_response(out, Version::V2, &response.id, &error);
                return Ok(());
            }
        };
        let Some(method) = self.methods.get(&*request.method) else {
            tracing::debug!(target: "rpc_runtime::call", method = %request.method, "method not found");
            if let Some(id) = &request.id {
                write_error_response(out, request.version, id, &ErrorObject::method_not_found());
            }
            return Ok(());
        };
        match &method.handler {
            Handler::Sync(handler) => {
                let params = request.params;
                self.responder(method, ctx, out).respond(
                    request.version,
                    request.id.as_ref(),
                    |ctx, out| handler.call(params, ctx, out),
                );
                Ok(())
            }
            Handler::Async(_) => Err(request),
        }
    }

    /// Runs a request whose handler is asynchronous.
    pub(crate) async fn call_async(&self, request: Request<'_>, ctx: &Context) -> Option<String> {
        let method = self.methods.get(&*request.method)?;
        let Handler::Async(handler) = &method.handler else {
            return None;
        };
        let started = catch_unwind(AssertUnwindSafe(|| handler.start(request.params, ctx)));
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

fn check_name(name: &str, reserved_ok: bool) -> Result<(), RegisterError> {
    if name.is_empty() {
        Err(RegisterError::Empty)
    } else if !reserved_ok && name.starts_with(RESERVED_PREFIX) {
        Err(RegisterError::Reserved(name.to_owned()))
    } else {
        Ok(())
    }
}

//! The method table, and the one path every call takes through it.
//!
//! Where a request goes: a transport hands each message it reads to the
//! core entry ([`Router::message`], in [`entry`]) with the connection's
//! [`Context`]. A plain call to a method registered by argument types is
//! read there in one pass ([`dispatch`], with the single-pass parser of
//! `protocol`; with layers, its decoded arguments wait while the call passes
//! them, its raw params found only if a layer asks). Any other message is parsed once; its
//! responses go to the transport's [`ResponseSink`], and each call (alone or
//! in a [`batch`], run concurrently) passes the router's layers
//! ([`service`]: a [`Call`] through every [`CallService`]) to the method
//! table, where its handler runs guarded ([`respond`]: a panic is that
//! call's `-32603`). The answer is written with the request's id and
//! handed back, now or as a future; refusals ([`Refusal`]) are written here
//! too, so no transport writes a JSON-RPC body of its own.

mod batch;
mod call;
mod dispatch;
mod entry;
mod method;
mod refusal;
mod respond;
mod service;
mod subscribe;

pub use call::{BatchPosition, Call};
pub use entry::{Answer, Inbound, NotificationSink, ResponseSink};
pub use method::{BoxFuture, MethodInfo, MethodOutput};
pub use refusal::Refusal;
pub use service::{CallFuture, CallService, Next};

use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt as _;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::MethodError;
use crate::params::{FromParams, Params};
use crate::{Context, RouterConfig};
pub(crate) use method::write_json;
use method::{into_output, ArgsMethod, Handler, Method};
use service::{Layers, Nested};

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
    /// The argument names given do not match the number of arguments.
    #[error("method \"{method}\" takes {arity} arguments but {names} names were given")]
    ArgumentNames {
        /// The method.
        method: String,
        /// How many arguments its handler takes.
        arity: usize,
        /// How many names were given.
        names: usize,
    },
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
    /// The middleware every call passes (see [`layer`](Self::layer)).
    layers: Layers,
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
            .map(|method| &mut method.info)
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
        A: for<'de> FromParams<'de> + Send + 'static,
        F: Fn(A, &Context) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + 'static,
        E: Into<MethodError> + 'static,
    {
        check_arity::<A>(name, names)?;
        let handler = Handler::Sync(Arc::new(ArgsMethod::new(names, handler)));
        Ok(self.insert(name, handler, false)?.info.with_params(names))
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
            .map(|method| &mut method.info)
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
        A: for<'de> FromParams<'de> + Send + 'static,
        F: Fn(A, &Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize + 'static,
        E: Into<MethodError> + 'static,
    {
        check_arity::<A>(name, names)?;
        let handler = Handler::Async(Arc::new(ArgsMethod::new(names, handler)));
        Ok(self.insert(name, handler, false)?.info.with_params(names))
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
            .map(|method| &mut method.info)
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
        let method = self.insert(alias, handler, false)?;
        let info = &mut method.info;
        info.params = params;
        info.notification = notification;
        info.alias_of = Some(target.to_owned());
        Ok(info)
    }

    pub(crate) fn insert(
        &mut self,
        name: &str,
        handler: Handler,
        reserved_ok: bool,
    ) -> Result<&mut Method, RegisterError> {
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
        Ok(method)
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
            layers: self.layers,
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
        #[cfg(feature = "openrpc")]
        if let Some(doc) = other.doc.clone() {
            self.attach_doc(doc);
        }
        if other.layers.is_empty() {
            self.methods.extend(other.methods);
            return Ok(());
        }
        // Its methods keep its layers: a call to one passes this router's
        // layers, then those, then reaches the method.
        let infos: Vec<(Arc<str>, MethodInfo)> = other
            .methods
            .iter()
            .map(|(name, method)| (Arc::clone(name), method.info.clone()))
            .collect();
        let other = Arc::new(other);
        for (name, info) in infos {
            let nested = Nested {
                router: Arc::clone(&other),
                target: Arc::clone(&name),
            };
            let handler = Handler::Nested(Arc::new(nested));
            self.methods.insert(name, Method { handler, info });
        }
        Ok(())
    }

    /// Adds a middleware layer: every call this router dispatches passes
    /// it, a single call, each member of a batch and each notification,
    /// over every transport, unknown methods included. Layers run in the
    /// order they are added, the first added outermost (as
    /// `tower::ServiceBuilder` orders them); each wraps the [`Next`] service
    /// in a [`CallService`] of its own. They apply to the methods registered
    /// before and after, and travel with them: merged into another router,
    /// these methods pass that router's layers, then these.
    ///
    /// A plain single call is still read in one pass (to any method), its
    /// params kept raw for the layers to read or rewrite and for the method
    /// to decode when it runs. A layer that panics fails only its call, with
    /// `-32603`. Each layer costs its call a boxed future; the README's
    /// Performance section has figures.
    ///
    /// ```
    /// use rpc_runtime::middleware::{check, Call};
    /// use rpc_runtime::{protocol::{ErrorObject, ErrorObjectOwned}, Context, MethodError, Router};
    /// # futures_executor::block_on(async {
    /// // An asynchronous check: it could ask a database.
    /// let mut router = Router::new().layer(check(|call: &Call<'_>| {
    ///     let token = call.context().get::<String>();
    ///     async move {
    ///         match token {
    ///             Some(_) => Ok(()),
    ///             None => Err(MethodError::from(ErrorObject::new(4001, "log in first"))),
    ///         }
    ///     }
    /// }));
    /// router.register_sync_args("secret", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(42)).unwrap();
    /// let ctx = Context::new();
    /// let text = r#"{"jsonrpc":"2.0","method":"secret","id":1}"#;
    /// assert!(router.handle(text, &ctx).await.unwrap().contains("4001"));
    /// ctx.insert("token".to_owned());
    /// assert_eq!(router.handle(text, &ctx).await.unwrap(), r#"{"jsonrpc":"2.0","result":42,"id":1}"#);
    /// # });
    /// ```
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower_layer::Layer<Next> + Send + Sync + 'static,
        L::Service: CallService,
    {
        self.layers.push(layer);
        self
    }

    /// Runs `check` before every call to a registered method of this
    /// router: it sees the method's name and the call's context, and an
    /// `Err` answers the call in place of the method, whatever its params (a
    /// notification gets no answer either way). Malformed requests and
    /// unknown methods are answered as usual. For authentication, rate
    /// limits, or an audit log.
    ///
    /// A check is a [layer](Self::layer) ([`middleware::check`](crate::middleware::check)
    /// with a synchronous function): several run in the order they were
    /// set, they travel with the methods through [`merge`](Self::merge),
    /// and one that panics refuses with `-32603`.
    ///
    /// ```
    /// use rpc_runtime::{protocol::{ErrorObject, ErrorObjectOwned}, Context, MethodError, Router};
    /// # futures_executor::block_on(async {
    /// struct User(String);
    /// let mut router = Router::new().before_call(|method, ctx| {
    ///     if method == "login" || ctx.get::<User>().is_some() {
    ///         Ok(())
    ///     } else {
    ///         Err(ErrorObject::new(4001, "log in first").into())
    ///     }
    /// });
    /// router.register_sync_args("secret", &[], |(): (), _| Ok::<_, ErrorObjectOwned>(42)).unwrap();
    /// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"secret","id":1}"#, &Context::new()).await;
    /// assert_eq!(reply.as_deref(), Some(r#"{"jsonrpc":"2.0","error":{"code":4001,"message":"log in first"},"id":1}"#));
    /// # });
    /// ```
    pub fn before_call<F>(self, check: F) -> Self
    where
        F: Fn(&str, &Context) -> Result<(), MethodError> + Send + Sync + 'static,
    {
        self.layer(crate::middleware::check(move |call: &Call<'_>| {
            std::future::ready(check(call.method(), call.context()))
        }))
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
}

/// One JSON name per argument, or the named form could not work.
fn check_arity<A: for<'de> FromParams<'de>>(
    name: &str,
    names: &[&'static str],
) -> Result<(), RegisterError> {
    match A::ARITY {
        Some(arity) if arity != names.len() => Err(RegisterError::ArgumentNames {
            method: name.to_owned(),
            arity,
            names: names.len(),
        }),
        _ => Ok(()),
    }
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

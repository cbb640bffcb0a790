//! The router side of documentation: attaching [`ApiDoc`]s, assembling the
//! whole document, and answering `rpc.discover` from a string serialized once.

use std::sync::Arc;

use super::document::{
    Components, ContentDescriptor, Info, Method, OpenRpc, Server, SubscriptionSpec, OPENRPC_VERSION,
};
use super::ApiDoc;
use crate::{RegisterError, Router, RESERVED_PREFIX};

/// The name of the discovery method the OpenRPC specification defines.
pub const DISCOVER_METHOD: &str = "rpc.discover";

/// What a document says beyond the methods: `info` and `servers`.
///
/// ```
/// use rpc_runtime::openrpc::{Info, OpenRpcConfig, Server};
/// let config = OpenRpcConfig::new(Info::new("Calculator", "1.0.0"))
///     .with_server(Server::new("http://127.0.0.1:8080"));
/// assert_eq!(config.servers.len(), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenRpcConfig {
    /// Title, version and description.
    pub info: Info,
    /// Where the API is served; none by default.
    pub servers: Vec<Server>,
}

impl OpenRpcConfig {
    /// A config with `info` and no servers.
    #[must_use]
    pub fn new(info: Info) -> Self {
        Self {
            info,
            servers: Vec::new(),
        }
    }

    /// Adds a server.
    #[must_use]
    pub fn with_server(mut self, server: Server) -> Self {
        self.servers.push(server);
        self
    }
}

impl Router {
    /// The documentation attached to this router (by `#[rpc]`'s
    /// `into_router`, [`with_api_doc`](Self::with_api_doc) or a merge).
    #[must_use]
    pub fn api_doc(&self) -> Option<&ApiDoc> {
        self.doc.as_deref()
    }

    /// Attaches documentation for (some of) this router's methods; merged
    /// with what is already attached.
    pub fn with_api_doc(mut self, doc: impl Into<Arc<ApiDoc>>) -> Self {
        self.attach_doc(doc.into());
        self
    }

    pub(crate) fn attach_doc(&mut self, doc: Arc<ApiDoc>) {
        match &mut self.doc {
            None => self.doc = Some(doc),
            Some(existing) => Arc::make_mut(existing).merge(Arc::unwrap_or_clone(doc)),
        }
    }

    /// The OpenRPC document of this router: every method it serves, sorted
    /// by name, described by the attached docs. A method without docs (a
    /// hand-registered one) is listed with its parameter names and
    /// unconstrained schemas; aliases appear under their method's
    /// `x-aliases`; the reserved `rpc.` methods are left out.
    ///
    /// ```
    /// use rpc_runtime::{openrpc::OpenRpcConfig, protocol::ErrorObjectOwned, Router};
    /// let mut router = Router::new();
    /// router.register_sync("add", |_, _| Ok::<_, ErrorObjectOwned>(0)).unwrap().with_params(&["a", "b"]);
    /// let doc = router.openrpc_document(&OpenRpcConfig::default());
    /// assert_eq!(doc.methods[0].name, "add");
    /// assert_eq!(doc.methods[0].params[1].name, "b");
    /// ```
    #[must_use]
    pub fn openrpc_document(&self, config: &OpenRpcConfig) -> OpenRpc {
        let documented = |name: &str| self.doc.as_ref().and_then(|doc| doc.method(name));
        let mut methods: Vec<Method> = Vec::new();
        let mut aliases: Vec<(&str, &str)> = Vec::new();
        for info in self.methods() {
            if info.name.starts_with(RESERVED_PREFIX) {
                continue;
            }
            if let Some(target) = &info.alias_of {
                aliases.push((&info.name, target));
                continue;
            }
            let mut method = match documented(&info.name) {
                Some(method) => method.clone(),
                None => undocumented(info),
            };
            // The router is the truth about which names exist: aliases are
            // taken from it below.
            method.aliases.clear();
            methods.push(method);
        }
        for (alias, target) in aliases {
            if let Some(method) = methods.iter_mut().find(|m| m.name == target) {
                method.aliases.push(alias.to_owned());
            }
        }
        let schemas = self
            .doc
            .as_ref()
            .map(|doc| doc.schemas().clone())
            .unwrap_or_default();
        OpenRpc {
            openrpc: OPENRPC_VERSION,
            info: config.info.clone(),
            servers: config.servers.clone(),
            methods,
            components: Components { schemas },
        }
    }

    /// Registers `rpc.discover`, answered with this router's
    /// [`openrpc_document`](Self::openrpc_document), serialized once now.
    /// Register every method first: later ones are not in the document.
    /// [`Server`](crate::server::Server) does this for you.
    ///
    /// ```
    /// use rpc_runtime::{openrpc::OpenRpcConfig, Context, Router};
    /// # futures_executor::block_on(async {
    /// let router = Router::new().with_discovery(&OpenRpcConfig::default()).unwrap();
    /// let reply = router.handle(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#, &Context::new()).await.unwrap();
    /// assert!(reply.contains(r#""openrpc":"1.3.2""#));
    /// # });
    /// ```
    ///
    /// # Errors
    /// [`RegisterError::Duplicate`] when `rpc.discover` is already registered.
    pub fn with_discovery(mut self, config: &OpenRpcConfig) -> Result<Self, RegisterError> {
        self.install_discovery(config)?;
        Ok(self)
    }

    /// Registers `rpc.discover`; returns the document's text, to serve
    /// elsewhere too (HTTP `GET`).
    pub(crate) fn install_discovery(
        &mut self,
        config: &OpenRpcConfig,
    ) -> Result<Arc<str>, RegisterError> {
        let text: Arc<str> = Arc::from(render(&self.openrpc_document(config)));
        let served = Arc::clone(&text);
        self.register_reserved_sync(DISCOVER_METHOD, move |_params, _ctx| {
            Ok(String::from(&*served))
        })?;
        Ok(text)
    }
}

/// `router`'s document as JSON text.
#[cfg(feature = "server")]
pub(crate) fn render_document(router: &Router, config: &OpenRpcConfig) -> String {
    render(&router.openrpc_document(config))
}

/// The document as JSON text.
pub(crate) fn render(document: &OpenRpc) -> String {
    // Strings, numbers, bools and JSON values with string keys always
    // serialize; should that ever change, an empty but valid document is
    // better than none.
    serde_json::to_string(document).unwrap_or_else(|error| {
        tracing::error!(target: "rpc_runtime::openrpc", %error, "document not serialized");
        format!(
            r#"{{"openrpc":"{OPENRPC_VERSION}","info":{{"title":"JSON-RPC API","version":"0.0.0"}},"methods":[]}}"#
        )
    })
}

/// The entry of a method nothing documents: its parameter names, any JSON.
fn undocumented(info: &crate::MethodInfo) -> Method {
    let mut method = Method::new(info.name.clone()).with_notification(info.notification);
    for name in &info.params {
        method = method.with_param(ContentDescriptor::new(name.clone(), serde_json::json!({})));
    }
    if !info.notification {
        method = method.with_result(ContentDescriptor::new("result", serde_json::json!({})));
    }
    if let Some((notification, unsubscribe)) = &info.subscription {
        method = method.with_subscription(SubscriptionSpec::new(
            notification.clone(),
            unsubscribe.clone(),
            serde_json::json!({}),
        ));
    }
    if let Some(subscribe) = &info.unsubscribe_of {
        method = method.with_unsubscribe_of(subscribe.clone());
    }
    method.params_unknown = info.params.is_empty();
    method
}

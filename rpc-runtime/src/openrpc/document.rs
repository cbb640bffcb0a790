//! The pieces of an OpenRPC 1.3 document, serialized with serde exactly as
//! the specification spells them (camelCase keys, absent rather than empty).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::protocol::ErrorObjectOwned;

/// The OpenRPC version the documents declare.
pub const OPENRPC_VERSION: &str = "1.3.2";

/// A whole OpenRPC document: what `rpc.discover` returns.
///
/// Built by [`Router::openrpc_document`](crate::Router::openrpc_document)
/// from the router's methods and the [`ApiDoc`](super::ApiDoc)s attached to
/// it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct OpenRpc {
    /// The OpenRPC version, [`OPENRPC_VERSION`].
    pub openrpc: &'static str,
    /// Title, version and description of the API.
    pub info: Info,
    /// Where the API is served.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Every method, sorted by name.
    pub methods: Vec<Method>,
    /// The schemas the methods' `$ref`s point to.
    #[serde(skip_serializing_if = "Components::is_empty")]
    pub components: Components,
}

/// The `info` object: what the API is called and which version it is.
///
/// ```
/// use rpc_runtime::openrpc::Info;
/// let info = Info::new("Calculator", "1.0.0").with_description("Arithmetic over JSON-RPC");
/// assert_eq!(info.title, "Calculator");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Info {
    /// The API's title.
    pub title: String,
    /// The API's version (not the OpenRPC version).
    pub version: String,
    /// A longer description; Markdown may be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Info {
    /// An `info` object with a title and a version.
    #[must_use]
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            version: version.into(),
            description: None,
        }
    }

    /// Adds a description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl Default for Info {
    /// Title `JSON-RPC API`, version `0.0.0`: both are required, so a
    /// server that sets neither still sends a valid document.
    fn default() -> Self {
        Self::new("JSON-RPC API", "0.0.0")
    }
}

/// A `server` object: one place the API is served.
///
/// ```
/// use rpc_runtime::openrpc::Server;
/// let server = Server::new("http://127.0.0.1:8080").with_name("local");
/// assert_eq!(server.url, "http://127.0.0.1:8080");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Server {
    /// A name for the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its URL (`http://`, `ws://`, ...).
    pub url: String,
    /// A short summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// A longer description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Server {
    /// A server at `url`.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            name: None,
            url: url.into(),
            summary: None,
            description: None,
        }
    }

    /// Names it.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Describes it.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// How a method accepts its params. Methods served by this toolkit accept
/// both forms, so the macro always says [`Either`](ParamStructure::Either).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ParamStructure {
    /// A JSON array only.
    ByPosition,
    /// A JSON object only.
    ByName,
    /// Either form.
    #[default]
    Either,
}

/// A `method` object.
///
/// Aliases (more names for the same handler) are listed under the
/// extension key `x-aliases`, and a method meant to be sent as a
/// notification carries `"x-notification": true` (and no `result`). A
/// subscribe method carries `x-subscription` (a [`SubscriptionSpec`]: its
/// notification, its unsubscribe method and its items' schema), and its
/// unsubscribe method `"x-unsubscribe-of": "<subscribe method>"`.
///
/// ```
/// use rpc_runtime::openrpc::{ContentDescriptor, Method};
/// let method = Method::new("math.add")
///     .with_summary("Adds two numbers.")
///     .with_param(ContentDescriptor::new("a", serde_json::json!({"type": "integer"})).with_required(true))
///     .with_result(ContentDescriptor::new("result", serde_json::json!({"type": "integer"})));
/// let json = serde_json::to_value(&method).unwrap();
/// assert_eq!(json["paramStructure"], "either");
/// assert_eq!(json["params"][0]["required"], true);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Method {
    /// The name it is called by.
    pub name: String,
    /// A short summary: the first paragraph of its doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The rest of its doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its params, in positional order.
    pub params: Vec<ContentDescriptor>,
    /// Which params forms it accepts.
    pub param_structure: ParamStructure,
    /// What it returns; `None` for a notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ContentDescriptor>,
    /// The application errors it declares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorSpec>,
    /// Whether it is deprecated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// More names it answers to.
    #[serde(rename = "x-aliases", skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Whether it is meant to be sent as a notification.
    #[serde(rename = "x-notification", skip_serializing_if = "std::ops::Not::not")]
    pub notification: bool,
    /// For a subscribe method: what the subscription sends and how it ends.
    #[serde(rename = "x-subscription", skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionSpec>,
    /// For an unsubscribe method: the subscribe method whose subscriptions
    /// it ends.
    #[serde(rename = "x-unsubscribe-of", skip_serializing_if = "Option::is_none")]
    pub unsubscribe_of: Option<String>,
    /// Nothing is known of its params (a raw handler registered without
    /// names): `params` being empty does not mean it takes none, so a
    /// client should send what it is given, unchecked.
    #[serde(
        rename = "x-params-unknown",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub params_unknown: bool,
}

impl Method {
    /// A method with a name and nothing else known about it.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            summary: None,
            description: None,
            params: Vec::new(),
            param_structure: ParamStructure::Either,
            params_unknown: false,
            result: None,
            errors: Vec::new(),
            deprecated: false,
            aliases: Vec::new(),
            notification: false,
            subscription: None,
            unsubscribe_of: None,
        }
    }

    /// Sets the summary.
    #[must_use]
    pub fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a param (after those already added).
    #[must_use]
    pub fn with_param(mut self, param: ContentDescriptor) -> Self {
        self.params.push(param);
        self
    }

    /// Sets the result.
    #[must_use]
    pub fn with_result(mut self, result: ContentDescriptor) -> Self {
        self.result = Some(result);
        self
    }

    /// Adds declared errors.
    #[must_use]
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = ErrorSpec>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// Marks it deprecated.
    #[must_use]
    pub fn with_deprecated(mut self, deprecated: bool) -> Self {
        self.deprecated = deprecated;
        self
    }

    /// Adds an alias.
    #[must_use]
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    /// Marks it as a notification (and drops any result).
    #[must_use]
    pub fn with_notification(mut self, notification: bool) -> Self {
        self.notification = notification;
        if notification {
            self.result = None;
        }
        self
    }

    /// Marks it as a subscribe method (`x-subscription`).
    ///
    /// ```
    /// use rpc_runtime::openrpc::{Method, SubscriptionSpec};
    /// let method = Method::new("subscribe_count").with_subscription(SubscriptionSpec::new(
    ///     "count",
    ///     "unsubscribe_count",
    ///     serde_json::json!({"type": "integer"}),
    /// ));
    /// let json = serde_json::to_value(&method).unwrap();
    /// assert_eq!(json["x-subscription"]["notification"], "count");
    /// assert_eq!(json["x-subscription"]["item"]["type"], "integer");
    /// ```
    #[must_use]
    pub fn with_subscription(mut self, subscription: SubscriptionSpec) -> Self {
        self.subscription = Some(subscription);
        self
    }

    /// Marks it as the unsubscribe method of the subscribe method
    /// `subscribe` (`x-unsubscribe-of`).
    ///
    /// ```
    /// use rpc_runtime::openrpc::Method;
    /// let method = Method::new("unsubscribe_count").with_unsubscribe_of("subscribe_count");
    /// let json = serde_json::to_value(&method).unwrap();
    /// assert_eq!(json["x-unsubscribe-of"], "subscribe_count");
    /// ```
    #[must_use]
    pub fn with_unsubscribe_of(mut self, subscribe: impl Into<String>) -> Self {
        self.unsubscribe_of = Some(subscribe.into());
        self
    }
}

/// The `x-subscription` extension of a subscribe method: each item arrives
/// as a notification of method `notification`
/// (`{"subscription": id, "result": item}`, the item matching `item`), and
/// the method `unsubscribe` ends the subscription.
///
/// ```
/// use rpc_runtime::openrpc::SubscriptionSpec;
/// let spec = SubscriptionSpec::new("count", "unsubscribe_count", serde_json::json!({"type": "integer"}));
/// assert_eq!(serde_json::to_value(&spec).unwrap()["unsubscribe"], "unsubscribe_count");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SubscriptionSpec {
    /// The method name of the notifications that carry the items.
    pub notification: String,
    /// The method that ends a subscription.
    pub unsubscribe: String,
    /// The JSON Schema of one item (`$ref`s point into
    /// `#/components/schemas/`).
    pub item: Value,
}

impl SubscriptionSpec {
    /// Items as notifications `notification`, matching `item`, ended by
    /// the method `unsubscribe`.
    #[must_use]
    pub fn new(
        notification: impl Into<String>,
        unsubscribe: impl Into<String>,
        item: Value,
    ) -> Self {
        Self {
            notification: notification.into(),
            unsubscribe: unsubscribe.into(),
            item,
        }
    }
}

/// A `contentDescriptor`: a param or a result, with its JSON Schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ContentDescriptor {
    /// The param's JSON name (`result` for a result).
    pub name: String,
    /// A short summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// A description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of its values (`$ref`s point into
    /// `#/components/schemas/`).
    pub schema: Value,
    /// Whether it must be given (`false` for a trailing `Option`).
    pub required: bool,
}

impl ContentDescriptor {
    /// A descriptor, not required until said so.
    #[must_use]
    pub fn new(name: impl Into<String>, schema: Value) -> Self {
        Self {
            name: name.into(),
            summary: None,
            description: None,
            schema,
            required: false,
        }
    }

    /// Sets whether it is required.
    #[must_use]
    pub fn with_required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// An `error` object: an application error a method declares.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ErrorSpec {
    /// Its code.
    pub code: i32,
    /// Its message.
    pub message: String,
    /// Data it carries, if the declaration gives an example.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorSpec {
    /// An error with a code and a message.
    #[must_use]
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }
}

impl From<ErrorObjectOwned> for ErrorSpec {
    fn from(object: ErrorObjectOwned) -> Self {
        let data = object
            .data
            .as_ref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok());
        Self {
            code: object.code,
            message: object.message.into_owned(),
            data,
        }
    }
}

/// The `components` object; only `schemas` is used.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Components {
    /// Named JSON Schemas, the targets of `#/components/schemas/{name}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub schemas: BTreeMap<String, Value>,
}

impl Components {
    fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }
}

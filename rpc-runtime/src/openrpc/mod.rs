//! OpenRPC documents (feature `openrpc`, on by default): what an API
//! offers, as a machine-readable [OpenRPC 1.3](https://spec.open-rpc.org)
//! document, and the `rpc.discover` method that returns it.
//!
//! `#[rpc]` builds each trait's [`ApiDoc`] from the trait itself, once: the
//! method names (after the namespace, aliases under `x-aliases`), summary and
//! description from doc comments, each param as a content descriptor (JSON
//! name, description, JSON Schema through [`schemars`] (any value for a type
//! without one), `required: false`
//! for an `Option`), the result's schema (none for a notification),
//! `deprecated`, and the application errors the method's error type
//! declares; a subscription's subscribe and unsubscribe methods carry
//! `x-subscription` and `x-unsubscribe-of` (see [`Method`]). Routers carry their docs through
//! [`merge`](crate::Router::merge) and [`with_prefix`](crate::Router::with_prefix);
//! the server serves the whole document (see
//! [`ServerBuilder::info`](crate::server::ServerBuilder::info)).
//!
//! ```
//! use rpc_runtime::openrpc::{Info, OpenRpcConfig};
//! use rpc_runtime::{Context, Router};
//!
//! #[rpc_runtime::rpc(namespace = "math")]
//! pub trait Calculator {
//!     /// Adds two numbers.
//!     ///
//!     /// Wraps around on overflow.
//!     fn add(&self, a: i64, b: i64) -> i64;
//! }
//! struct Calc;
//! impl Calculator for Calc {
//!     fn add(&self, a: i64, b: i64) -> i64 { a.wrapping_add(b) }
//! }
//!
//! let router = Calc.into_router();
//! let doc = router.openrpc_document(&OpenRpcConfig::new(Info::new("Calculator", "1.0.0")));
//! let add = &doc.methods[0];
//! assert_eq!(add.name, "math.add");
//! assert_eq!(add.summary.as_deref(), Some("Adds two numbers."));
//! assert_eq!(add.description.as_deref(), Some("Wraps around on overflow."));
//! assert_eq!(add.params[1].schema["type"], "integer");
//! ```

mod api_doc;
mod discover;
mod document;
mod schemas;

pub use api_doc::ApiDoc;
pub use discover::{OpenRpcConfig, DISCOVER_METHOD};
pub use document::{
    Components, ContentDescriptor, ErrorSpec, Info, Method, OpenRpc, ParamStructure, Server,
    SubscriptionSpec, OPENRPC_VERSION,
};
pub use schemas::SchemaSet;

#[cfg(feature = "server")]
pub(crate) use discover::render_document;

/// The `schemars` the documents are built with (1.x). Param and result
/// types of a documented `#[rpc]` trait that implement its [`JsonSchema`]
/// are described by it: derive it with your own `schemars = "1"` dependency
/// (the same crate), or through this re-export with
/// `#[schemars(crate = "rpc_runtime::openrpc::schemars")]`. Types without it
/// are documented as any value (see [`SchemaSet::any_value_for`]).
pub use schemars;
/// The trait that gives a param or result type of a documented `#[rpc]`
/// trait its schema (derive it); a type without it is documented as any
/// value, and [`#[rpc(no_docs)]`](crate::rpc) opts a trait out.
pub use schemars::JsonSchema;

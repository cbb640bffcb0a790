//! What one router documents about its methods: the method entries and the
//! schemas their `$ref`s point to. Routers merge and prefix their docs along
//! with their methods.

use std::collections::BTreeMap;

use serde_json::Value;

use super::document::Method;
use super::schemas;

/// The documentation of a set of methods: one [`Method`] entry each, and
/// the named schemas (`#/components/schemas/...`) they refer to.
///
/// `#[rpc]` builds one per trait, once, and
/// [`into_router`](crate::rpc) attaches it to the router; hand-written routers
/// can attach their own with [`Router::with_api_doc`](crate::Router::with_api_doc).
///
/// ```
/// use rpc_runtime::openrpc::{ApiDoc, ContentDescriptor, Method, SchemaSet};
///
/// let mut schemas = SchemaSet::new();
/// let mut doc = ApiDoc::new();
/// doc.push_method(
///     Method::new("add")
///         .with_param(ContentDescriptor::new("a", schemas.schema_for::<i64>()).with_required(true))
///         .with_result(ContentDescriptor::new("result", schemas.schema_for::<i64>())),
/// );
/// doc.add_schemas(schemas.into_schemas());
/// assert_eq!(doc.method("add").unwrap().params[0].name, "a");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct ApiDoc {
    methods: Vec<Method>,
    schemas: BTreeMap<String, Value>,
}

impl ApiDoc {
    /// An empty doc.
    pub fn new() -> Self {
        Self::default()
    }

    /// The documented methods, in the order they were added.
    #[must_use]
    pub fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// The entry of the method called `name` (not an alias).
    #[must_use]
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }

    /// The named schemas.
    #[must_use]
    pub fn schemas(&self) -> &BTreeMap<String, Value> {
        &self.schemas
    }

    /// Adds a method entry; one of the same name is replaced.
    pub fn push_method(&mut self, method: Method) {
        match self.methods.iter_mut().find(|m| m.name == method.name) {
            Some(slot) => *slot = method,
            None => self.methods.push(method),
        }
    }

    /// Adds named schemas (those of a [`SchemaSet`](super::SchemaSet)),
    /// with the same renaming rule as [`merge`](Self::merge).
    pub fn add_schemas(&mut self, schemas: BTreeMap<String, Value>) {
        self.merge(ApiDoc {
            methods: Vec::new(),
            schemas,
        });
    }

    /// Adds `other`'s methods and schemas.
    ///
    /// Schemas are merged by name: the same name with the same schema is
    /// kept once; the same name with a *different* schema (two types called
    /// `Point` in two modules) is never overwritten: `other`'s schema is
    /// renamed `Point_2` (the next free suffix) and every `$ref` to it in
    /// `other` is rewritten, so each method keeps pointing at its own type.
    pub fn merge(&mut self, mut other: ApiDoc) {
        let renames = schemas::merge_into(&mut self.schemas, &mut other.schemas);
        if !renames.is_empty() {
            for method in &mut other.methods {
                for descriptor in method.params.iter_mut().chain(method.result.as_mut()) {
                    schemas::rewrite_refs(&mut descriptor.schema, &renames);
                }
                if let Some(subscription) = &mut method.subscription {
                    schemas::rewrite_refs(&mut subscription.item, &renames);
                }
            }
        }
        for method in other.methods {
            self.push_method(method);
        }
    }

    /// Puts `prefix` before every method name and alias, as
    /// [`Router::with_prefix`](crate::Router::with_prefix) does: the
    /// methods a subscription names (its unsubscribe method, the subscribe
    /// method an unsubscribe method ends) too, its notification not (the
    /// router does not rename what it sends).
    pub(crate) fn prefix(&mut self, prefix: &str) {
        for method in &mut self.methods {
            method.name.insert_str(0, prefix);
            for alias in &mut method.aliases {
                alias.insert_str(0, prefix);
            }
            if let Some(subscription) = &mut method.subscription {
                subscription.unsubscribe.insert_str(0, prefix);
            }
            if let Some(subscribe) = &mut method.unsubscribe_of {
                subscribe.insert_str(0, prefix);
            }
        }
    }
}

//! Named schemas: generating them from Rust types with `schemars`, and
//! merging two sets without letting one type's schema replace another's.

use std::collections::BTreeMap;

use serde_json::Value;

/// Where `$ref`s point: the document's `components.schemas`.
pub(crate) const REF_PREFIX: &str = "#/components/schemas/";

/// Collects the JSON Schemas of Rust types (through their
/// [`JsonSchema`](schemars::JsonSchema) impls), draft-07 style as the
/// OpenRPC meta-schema expects: types with a name are defined once under
/// `components.schemas` and referred to by `$ref`.
///
/// Schemas describe what the server accepts (schemars' deserialize
/// contract), for params and results alike.
///
/// ```
/// use rpc_runtime::openrpc::SchemaSet;
///
/// #[derive(schemars::JsonSchema)]
/// struct Point { x: i64, y: i64 }
///
/// let mut set = SchemaSet::new();
/// let schema = set.schema_for::<Vec<Point>>();
/// assert_eq!(schema["items"]["$ref"], "#/components/schemas/Point");
/// let schemas = set.into_schemas();
/// assert_eq!(schemas["Point"]["required"], serde_json::json!(["x", "y"]));
/// ```
#[must_use]
pub struct SchemaSet {
    generator: schemars::SchemaGenerator,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("schemas", &self.generator.definitions().keys())
            .finish()
    }
}

impl Default for SchemaSet {
    fn default() -> Self {
        Self::new()
    }
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> Self {
        let settings = schemars::generate::SchemaSettings::draft07().with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        });
        Self {
            generator: settings.into_generator(),
        }
    }

    /// The schema of `T`: inline, or a `$ref` to a named schema this set
    /// now holds.
    pub fn schema_for<T: super::JsonSchema + ?Sized>(&mut self) -> Value {
        let mut schema = self.generator.subschema_for::<T>();
        // The draft-07 transforms (no siblings beside `$ref`, ...) are only
        // applied to root schemas and definitions by schemars; apply them to
        // each subschema too, so every schema in the document is draft-07.
        for transform in self.generator.transforms_mut() {
            transform.transform(&mut schema);
        }
        schema.to_value()
    }

    /// The schema of a type without [`JsonSchema`](super::JsonSchema): any
    /// value (`{}`), titled with the Rust type's name so a reader knows what
    /// to expect. `#[rpc]` uses it for param and result types that only
    /// implement serde's traits.
    ///
    /// ```
    /// use rpc_runtime::openrpc::SchemaSet;
    ///
    /// struct Opaque;
    /// let schema = SchemaSet::new().any_value_for::<Opaque>();
    /// assert!(schema["title"].as_str().unwrap().ends_with("Opaque"));
    /// assert!(schema.get("type").is_none());
    /// ```
    pub fn any_value_for<T: ?Sized>(&mut self) -> Value {
        let name = std::any::type_name::<T>();
        serde_json::json!({
            "title": name,
            "description": format!("Any JSON value: `{name}` has no JSON Schema."),
        })
    }

    /// The named schemas collected so far.
    #[must_use]
    pub fn into_schemas(mut self) -> BTreeMap<String, Value> {
        self.generator.take_definitions(true).into_iter().collect()
    }
}

/// Moves `incoming` into `existing`; returns the renames applied to
/// `incoming`'s names (old -> new), whose `$ref`s the caller rewrites in
/// whatever else refers to them.
pub(crate) fn merge_into(
    existing: &mut BTreeMap<String, Value>,
    incoming: &mut BTreeMap<String, Value>,
) -> BTreeMap<String, String> {
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    // A schema that refers to a renamed one changes once its refs are
    // rewritten, and may then clash where it did not before: repeat until
    // nothing new needs a rename (at most once per incoming name).
    loop {
        let mut rewritten = incoming.clone();
        for schema in rewritten.values_mut() {
            rewrite_refs(schema, &renames);
        }
        let mut changed = false;
        for (name, schema) in &rewritten {
            if renames.contains_key(name) {
                continue;
            }
            if existing.get(name).is_some_and(|other| other != schema) {
                let new_name = free_name(name, existing, incoming, &renames);
                renames.insert(name.clone(), new_name);
                changed = true;
            }
        }
        if !changed {
            for (name, schema) in rewritten {
                let name = renames.get(&name).cloned().unwrap_or(name);
                existing.entry(name).or_insert(schema);
            }
            incoming.clear();
            return renames;
        }
    }
}

/// `Point_2`, `Point_3`, ...: the first not used on either side.
fn free_name(
    name: &str,
    existing: &BTreeMap<String, Value>,
    incoming: &BTreeMap<String, Value>,
    renames: &BTreeMap<String, String>,
) -> String {
    (2..)
        .map(|n| format!("{name}_{n}"))
        .find(|candidate| {
            !existing.contains_key(candidate)
                && !incoming.contains_key(candidate)
                && !renames.values().any(|taken| taken == candidate)
        })
        .unwrap_or_else(|| format!("{name}_"))
}

/// Rewrites every `$ref` to a renamed schema.
pub(crate) fn rewrite_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    if renames.is_empty() {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref" {
                    if let Value::String(target) = child {
                        if let Some(new) = target
                            .strip_prefix(REF_PREFIX)
                            .and_then(|name| renames.get(name))
                        {
                            *target = format!("{REF_PREFIX}{new}");
                        }
                    }
                } else {
                    rewrite_refs(child, renames);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, renames);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn set(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn equal_schemas_are_kept_once_and_different_ones_renamed() {
        let mut existing = set(&[("Point", json!({"type": "object"}))]);
        let mut incoming = set(&[
            ("Point", json!({"type": "array"})),
            (
                "Line",
                json!({"items": {"$ref": "#/components/schemas/Point"}}),
            ),
        ]);
        let renames = merge_into(&mut existing, &mut incoming);
        assert_eq!(renames["Point"], "Point_2");
        assert_eq!(existing["Point"], json!({"type": "object"}));
        assert_eq!(existing["Point_2"], json!({"type": "array"}));
        assert_eq!(
            existing["Line"]["items"]["$ref"],
            "#/components/schemas/Point_2"
        );

        let mut again = set(&[("Point", json!({"type": "object"}))]);
        assert!(merge_into(&mut existing, &mut again).is_empty());
        assert_eq!(existing.len(), 3);
    }

    #[test]
    fn a_schema_that_refers_to_a_renamed_one_is_renamed_too() {
        let mut existing = set(&[
            ("Inner", json!({"type": "string"})),
            ("Outer", json!({"$ref": "#/components/schemas/Inner"})),
        ]);
        // Same text for `Outer`, but its `Inner` is another type.
        let mut incoming = set(&[
            ("Inner", json!({"type": "integer"})),
            ("Outer", json!({"$ref": "#/components/schemas/Inner"})),
        ]);
        let renames = merge_into(&mut existing, &mut incoming);
        assert_eq!(renames.len(), 2);
        assert_eq!(
            existing["Outer_2"],
            json!({"$ref": "#/components/schemas/Inner_2"})
        );
        assert_eq!(existing["Inner_2"], json!({"type": "integer"}));
    }
}

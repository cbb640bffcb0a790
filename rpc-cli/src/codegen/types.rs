//! JSON Schema to TypeScript types.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::names::{doc_comment, property_key};

/// Schema to type, `$ref`s by the names given to `components.schemas`.
pub(super) struct Gen<'a> {
    /// Schema key to type name.
    pub(super) types: &'a HashMap<String, String>,
}

impl Gen<'_> {
    /// The type of `schema`; `indent` is where an object's members start.
    pub(super) fn ty(&self, schema: &Value, indent: &str) -> String {
        let Some(object) = schema.as_object() else {
            // `true` or anything unreadable allows every value.
            return if schema == &Value::Bool(false) {
                "never"
            } else {
                "unknown"
            }
            .to_owned();
        };
        let mut parts = Vec::new();
        if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
            let key = reference.rsplit('/').next().unwrap_or(reference);
            parts.push(
                self.types
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| "unknown".to_owned()),
            );
        } else if let Some(value) = object.get("const") {
            parts.push(literal(value));
        } else if let Some(values) = object.get("enum").and_then(Value::as_array) {
            parts.push(union(values.iter().map(literal).collect()));
        } else if let Some(kinds) = object.get("type") {
            let kinds: Vec<&str> = match kinds {
                Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
                Value::String(kind) => vec![kind.as_str()],
                _ => Vec::new(),
            };
            parts.push(union(
                kinds
                    .iter()
                    .map(|kind| self.of_kind(kind, object, indent))
                    .collect(),
            ));
        } else if object.contains_key("properties") || object.contains_key("additionalProperties") {
            parts.push(self.object(object, indent));
        } else if object.contains_key("items") || object.contains_key("prefixItems") {
            parts.push(self.array(object, indent));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(members) = object.get(key).and_then(Value::as_array) {
                parts.push(union(members.iter().map(|m| self.ty(m, indent)).collect()));
            }
        }
        if let Some(members) = object.get("allOf").and_then(Value::as_array) {
            parts.extend(members.iter().map(|m| self.ty(m, indent)));
        }
        let mut ty = match parts.len() {
            0 => "unknown".to_owned(),
            1 => parts.remove(0),
            _ => parts
                .iter()
                .map(|part| format!("({part})"))
                .collect::<Vec<_>>()
                .join(" & "),
        };
        if object.get("nullable") == Some(&Value::Bool(true)) {
            ty = union(vec![ty, "null".to_owned()]);
        }
        ty
    }

    fn of_kind(&self, kind: &str, object: &Map<String, Value>, indent: &str) -> String {
        match kind {
            "string" => "string".to_owned(),
            "integer" | "number" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => self.array(object, indent),
            "object" => self.object(object, indent),
            _ => "unknown".to_owned(),
        }
    }

    /// `Array<T>`, or a tuple for `prefixItems` / an `items` array.
    fn array(&self, object: &Map<String, Value>, indent: &str) -> String {
        let tuple = object
            .get("prefixItems")
            .or_else(|| object.get("items").filter(|items| items.is_array()))
            .and_then(Value::as_array);
        if let Some(members) = tuple {
            let members: Vec<String> = members.iter().map(|m| self.ty(m, indent)).collect();
            return format!("[{}]", members.join(", "));
        }
        match object.get("items") {
            Some(items) => format!("Array<{}>", self.ty(items, indent)),
            None => "Array<unknown>".to_owned(),
        }
    }

    /// `{ name: T; optional?: U }`, with `additionalProperties` as an index
    /// signature (intersected, so it need not cover the named members).
    fn object(&self, object: &Map<String, Value>, indent: &str) -> String {
        let inner = format!("{indent}  ");
        let required: BTreeSet<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut named = String::new();
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (name, schema) in properties {
                doc_comment(&mut named, &inner, &[schema.get("description")]);
                let optional = if required.contains(name.as_str()) {
                    ""
                } else {
                    "?"
                };
                let _ = writeln!(
                    named,
                    "{inner}{}{optional}: {};",
                    property_key(name),
                    self.ty(schema, &inner)
                );
            }
        }
        let rest = match object.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(Value::Bool(true)) => Some("unknown".to_owned()),
            Some(schema) => Some(self.ty(schema, indent)),
            None if named.is_empty() => Some("unknown".to_owned()),
            None => None,
        };
        let named = (!named.is_empty()).then(|| format!("{{\n{named}{indent}}}"));
        let rest = rest.map(|ty| format!("{{ [key: string]: {ty} }}"));
        match (named, rest) {
            (Some(named), Some(rest)) => format!("{named} & {rest}"),
            (Some(named), None) => named,
            (None, Some(rest)) => rest,
            (None, None) => "Record<string, never>".to_owned(),
        }
    }
}

/// A union without repeats; `unknown` absorbs the rest.
pub(super) fn union(members: Vec<String>) -> String {
    let mut seen = Vec::new();
    for member in members {
        if member == "unknown" {
            return member;
        }
        if !seen.contains(&member) {
            seen.push(member);
        }
    }
    match seen.len() {
        0 => "never".to_owned(),
        _ => seen.join(" | "),
    }
}

/// A JSON value as a TypeScript literal type.
fn literal(value: &Value) -> String {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
        _ => "unknown".to_owned(),
    }
}

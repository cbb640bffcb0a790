//! What `rpc methods` prints: the methods of an OpenRPC document, one
//! line each, or one in detail.

use std::fmt::Write as _;

use serde_json::Value;

use crate::schema::{
    find_method, is_simple, method_name, methods, params_of, resolve, type_name, SchemaError, ANY,
};

/// One line per method: name, params with types and optionality, result
/// type, marks (subscription, notification, deprecated) and summary, the
/// summaries aligned in one column.
///
/// ```
/// use rpc_cli::describe::method_lines;
/// let doc = serde_json::json!({"methods": [{
///     "name": "subtract", "summary": "Subtracts.",
///     "params": [
///         {"name": "minuend", "required": true, "schema": {"type": "integer"}},
///         {"name": "subtrahend", "schema": {"type": "integer"}}
///     ],
///     "result": {"name": "result", "schema": {"type": "integer"}}
/// }]});
/// assert_eq!(
///     method_lines(&doc),
///     "subtract(minuend: integer, subtrahend?: integer) -> integer  — Subtracts.\n"
/// );
/// ```
#[must_use]
pub fn method_lines(doc: &Value) -> String {
    let rows: Vec<(String, Option<String>)> = methods(doc)
        .into_iter()
        .map(|method| {
            let mut head = signature(doc, method);
            for mark in marks(method) {
                head.push_str("  ");
                head.push_str(&mark);
            }
            (head, summary(method))
        })
        .collect();
    // Align the summaries, but a very long signature does not push every
    // other line's summary off the screen.
    let width = rows
        .iter()
        .filter(|(_, summary)| summary.is_some())
        .map(|(head, _)| head.chars().count())
        .filter(|width| *width <= 80)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (head, summary) in rows {
        match summary {
            Some(summary) => {
                let pad = width.saturating_sub(head.chars().count());
                let _ = writeln!(out, "{head}{}  — {summary}", " ".repeat(pad));
            }
            None => {
                let _ = writeln!(out, "{head}");
            }
        }
    }
    out
}

/// `name(a: integer, b?: string) -> T`.
fn signature(doc: &Value, method: &Value) -> String {
    let mut params: Vec<String> = params_of(doc, method)
        .iter()
        .map(|param| {
            let optional = if param.required { "" } else { "?" };
            format!("{}{optional}: {}", param.name, type_name(doc, param.schema))
        })
        .collect();
    if params.is_empty() && method["x-params-unknown"] == Value::Bool(true) {
        // The server does not know them: anything goes, unchecked.
        params.push("…".to_owned());
    }
    let mut line = format!("{}({})", method_name(method), params.join(", "));
    if let Some(result) = method.get("result") {
        let result = resolve(doc, result);
        let _ = write!(
            line,
            " -> {}",
            type_name(doc, result.get("schema").unwrap_or(&ANY))
        );
    }
    line
}

/// `(subscription → topic)`, `(notification)`, `(deprecated)`, ...
fn marks(method: &Value) -> Vec<String> {
    let mut marks = Vec::new();
    if let Some(notification) = method["x-subscription"]["notification"].as_str() {
        marks.push(format!("(subscription → {notification})"));
    }
    if let Some(subscribe) = method["x-unsubscribe-of"].as_str() {
        marks.push(format!("(ends {subscribe})"));
    }
    if method["x-notification"] == Value::Bool(true) {
        marks.push("(notification)".to_owned());
    }
    if method["deprecated"] == Value::Bool(true) {
        marks.push("(deprecated)".to_owned());
    }
    marks
}

/// The summary, or the description's first line, on one line.
fn summary(method: &Value) -> Option<String> {
    let text = method["summary"]
        .as_str()
        .or_else(|| method["description"].as_str())?
        .lines()
        .next()?
        .trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// One method in detail: its summary and description, each param (type,
/// required or not, description, schema as JSON when the type name does
/// not say it all), the result, the declared errors and, for a
/// subscription, its notifications and unsubscribe method.
///
/// ```
/// use rpc_cli::describe::method_detail;
/// let doc = serde_json::json!({"methods": [{
///     "name": "subtract",
///     "params": [{"name": "minuend", "required": true, "schema": {"type": "integer"}}],
///     "result": {"name": "result", "schema": {"type": "integer"}},
///     "errors": [{"code": 1000, "message": "Overflow"}]
/// }]});
/// let text = method_detail(&doc, "subtract").unwrap();
/// assert!(text.contains("minuend: integer, required"));
/// assert!(text.contains("1000  Overflow"));
/// assert_eq!(
///     method_detail(&doc, "substract").unwrap_err().to_string(),
///     "the server has no method `substract`; did you mean `subtract`?"
/// );
/// ```
///
/// # Errors
/// [`SchemaError::UnknownMethod`] when the document has no method `name`.
pub fn method_detail(doc: &Value, name: &str) -> Result<String, SchemaError> {
    let method = find_method(doc, name)?;
    let mut out = signature(doc, method);
    out.push('\n');
    for mark in marks(method) {
        let _ = writeln!(out, "  {mark}");
    }
    if let Some(aliases) = method["x-aliases"].as_array().filter(|a| !a.is_empty()) {
        let aliases: Vec<&str> = aliases.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(out, "  also called: {}", aliases.join(", "));
    }
    for key in ["summary", "description"] {
        if let Some(text) = method[key].as_str() {
            out.push('\n');
            for line in text.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }

    let params = params_of(doc, method);
    let structure = match method["paramStructure"].as_str() {
        Some("by-name") => "by name only: an object",
        Some("by-position") => "by position only: an array",
        _ => "by position or by name",
    };
    if params.is_empty() {
        let _ = writeln!(out, "\nparams: none");
    } else {
        let _ = writeln!(out, "\nparams ({structure}):");
        for param in &params {
            let required = if param.required {
                "required"
            } else {
                "optional"
            };
            let _ = writeln!(
                out,
                "  {}: {}, {required}",
                param.name,
                type_name(doc, param.schema)
            );
            described(&mut out, doc, param.descriptor, param.schema);
        }
    }

    if let Some(result) = method.get("result") {
        let result = resolve(doc, result);
        let schema = result.get("schema").unwrap_or(&ANY);
        let _ = writeln!(out, "\nresult: {}", type_name(doc, schema));
        described(&mut out, doc, result, schema);
    }

    if let Some(errors) = method["errors"].as_array().filter(|e| !e.is_empty()) {
        let _ = writeln!(out, "\nerrors:");
        for error in errors {
            let error = resolve(doc, error);
            let code = &error["code"];
            let message = error["message"].as_str().unwrap_or_default();
            let _ = writeln!(out, "  {code}  {message}");
            if let Some(data) = error.get("data") {
                let _ = writeln!(out, "      data: {data}");
            }
        }
    }

    let subscription = &method["x-subscription"];
    if subscription.is_object() {
        let _ = writeln!(out, "\nsubscription:");
        if let Some(notification) = subscription["notification"].as_str() {
            let item = subscription.get("item").unwrap_or(&ANY);
            let _ = writeln!(
                out,
                "  items arrive as notifications `{notification}`: {{\"subscription\": id, \"result\": {}}}",
                type_name(doc, item)
            );
            schema_lines(&mut out, doc, item);
        }
        if let Some(unsubscribe) = subscription["unsubscribe"].as_str() {
            let _ = writeln!(out, "  ended by `{unsubscribe}` with the subscription id");
        }
    }
    Ok(out)
}

/// A descriptor's summary and description, then its schema when the type
/// name does not say it all.
fn described(out: &mut String, doc: &Value, descriptor: &Value, schema: &Value) {
    for key in ["summary", "description"] {
        if let Some(text) = descriptor[key].as_str() {
            for line in text.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
    }
    schema_lines(out, doc, schema);
}

/// `schema: {...}` when not simple, and `X: {...}` for each component a
/// `$ref` in it names (once each), so the reader sees what to send.
fn schema_lines(out: &mut String, doc: &Value, schema: &Value) {
    if !is_simple(schema) {
        let _ = writeln!(out, "      schema: {schema}");
    }
    let mut seen = Vec::new();
    refs(schema, &mut seen);
    let mut index = 0;
    // Components may refer to others; follow them breadth-first.
    while let Some(reference) = seen.get(index).cloned() {
        index += 1;
        let Some(target) = reference
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
        else {
            continue;
        };
        let name = reference.rsplit('/').next().unwrap_or(&reference);
        let _ = writeln!(out, "      {name}: {target}");
        refs(target, &mut seen);
    }
}

fn refs(schema: &Value, seen: &mut Vec<String>) {
    match schema {
        Value::Object(keywords) => {
            for (key, value) in keywords {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if !seen.contains(reference) {
                            seen.push(reference.clone());
                        }
                    }
                    // Examples and defaults are values, not schemas.
                    ("examples" | "default" | "const" | "enum", _) => {}
                    _ => refs(value, seen),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, seen)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn spec_server() -> Value {
        serde_json::from_str(include_str!("../tests/data/spec_server.openrpc.json")).unwrap()
    }

    #[test]
    fn lines_of_the_real_document() {
        let lines = method_lines(&spec_server());
        let lines: Vec<&str> = lines.lines().collect();
        assert_eq!(lines.len(), 11, "{lines:#?}");
        assert!(lines.contains(&"subtract(minuend: integer, subtrahend: integer) -> integer  — `minuend - subtrahend`; params `[42, 23]` or `{\"minuend\": 42, \"subtrahend\": 23}`."), "{lines:#?}");
        assert!(lines.contains(&"get_data() -> [string, integer]                             — Some data: `[\"hello\", 5]`."), "{lines:#?}");
        assert!(lines.contains(&"notify_hello(n: integer)  (notification)                    — Says hello to `n`; a notification."), "{lines:#?}");
        assert!(
            lines.contains(
                &"subscribe_topic(topic?: any, since?: any) -> any  (subscription → topic)"
            ),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"sum(…) -> any"),
            "params unknown: {lines:#?}"
        );
    }

    fn data(name: &str) -> Value {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_ticker_subscription() {
        let doc = data("ticker.openrpc.json");
        let lines = method_lines(&doc);
        assert!(lines.starts_with("subscribe_prices(symbol: string, every_ms: integer) -> SubscriptionId  (subscription → prices)  — Pushes"), "{lines}");
        assert!(lines.contains("\nunsubscribe_prices(subscription: SubscriptionId) -> boolean  (ends subscribe_prices)"), "{lines}");
        let text = method_detail(&doc, "subscribe_prices").unwrap();
        assert!(text.contains("  every_ms: integer, required\n      schema: {\"format\":\"uint64\",\"minimum\":0,\"type\":\"integer\"}\n"), "{text}");
        assert!(
            text.contains("\nresult: SubscriptionId\n      The new subscription's id"),
            "{text}"
        );
        assert!(text.contains("items arrive as notifications `prices`: {\"subscription\": id, \"result\": Tick}\n      Tick: {"), "{text}");
        assert!(
            text.contains("  ended by `unsubscribe_prices` with the subscription id\n"),
            "{text}"
        );
        let text = method_detail(&data("calculator.openrpc.json"), "calc.divide").unwrap();
        assert!(
            text.contains("\nerrors:\n  1001  DivisionByZero\n"),
            "{text}"
        );
    }

    fn small() -> Value {
        json!({
            "methods": [
                {"name": "clock.watch", "summary": "Ticks.", "params": [
                    {"name": "label", "required": true, "description": "Shown in each tick.", "schema": {"type": "string", "minLength": 1}},
                    {"name": "every", "schema": {"type": ["integer", "null"]}}
                ],
                 "result": {"name": "subscription", "schema": {"$ref": "#/components/schemas/SubscriptionId"}},
                 "x-subscription": {"notification": "clock.watched", "unsubscribe": "clock.unwatch",
                                    "item": {"$ref": "#/components/schemas/Tick"}}},
                {"name": "clock.unwatch", "paramStructure": "by-position", "params": [
                    {"name": "subscription", "required": true, "schema": {"$ref": "#/components/schemas/SubscriptionId"}}
                ], "result": {"name": "result", "schema": {"type": "boolean"}}, "x-unsubscribe-of": "clock.watch"},
                {"name": "old", "deprecated": true, "x-aliases": ["older"], "params": [
                    {"name": "points", "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Point"}}},
                    {"name": "mode", "schema": {"enum": ["a", "b"]}}
                ]}
            ],
            "components": {"schemas": {
                "SubscriptionId": {"type": ["string", "integer"]},
                "Tick": {"type": "object", "properties": {"at": {"$ref": "#/components/schemas/Point"}}},
                "Point": {"type": "object", "properties": {"x": {"type": "integer"}}}
            }}
        })
    }

    #[test]
    fn lines_mark_subscriptions_and_align() {
        assert_eq!(
            method_lines(&small()),
            "clock.watch(label: string, every?: integer | null) -> SubscriptionId  (subscription → clock.watched)  — Ticks.\n\
             clock.unwatch(subscription: SubscriptionId) -> boolean  (ends clock.watch)\n\
             old(points?: [Point], mode?: \"a\" | \"b\")  (deprecated)\n"
        );
    }

    #[test]
    fn detail_of_a_subscription() {
        let text = method_detail(&small(), "clock.watch").unwrap();
        assert_eq!(
            text,
            "clock.watch(label: string, every?: integer | null) -> SubscriptionId\n  \
             (subscription → clock.watched)\n\
             \n  Ticks.\n\
             \nparams (by position or by name):\n  \
             label: string, required\n      \
             Shown in each tick.\n      \
             schema: {\"minLength\":1,\"type\":\"string\"}\n  \
             every: integer | null, optional\n\
             \nresult: SubscriptionId\n      \
             SubscriptionId: {\"type\":[\"string\",\"integer\"]}\n\
             \nsubscription:\n  \
             items arrive as notifications `clock.watched`: {\"subscription\": id, \"result\": Tick}\n      \
             Tick: {\"properties\":{\"at\":{\"$ref\":\"#/components/schemas/Point\"}},\"type\":\"object\"}\n      \
             Point: {\"properties\":{\"x\":{\"type\":\"integer\"}},\"type\":\"object\"}\n  \
             ended by `clock.unwatch` with the subscription id\n"
        );
    }

    #[test]
    fn detail_by_alias_and_of_the_real_document() {
        let text = method_detail(&small(), "older").unwrap();
        assert!(text.starts_with("old(points?: [Point], mode?: \"a\" | \"b\")\n  (deprecated)\n  also called: older\n"), "{text}");
        assert!(text.contains("      Point: {"), "{text}");
        let text = method_detail(&spec_server(), "subtract").unwrap();
        assert!(text.contains("\nparams (by position or by name):\n  minuend: integer, required\n  subtrahend: integer, required\n"), "{text}");
        assert!(text.contains("\nresult: integer\n"), "{text}");
        assert!(text.contains("\nerrors:\n  1000  Overflow\n"), "{text}");
        assert_eq!(
            method_detail(&spec_server(), "get_dat").unwrap_err(),
            SchemaError::UnknownMethod {
                method: "get_dat".into(),
                suggestion: Some("get_data".into())
            }
        );
    }
}

//! Names in the generated module: identifiers made from the document's
//! names, the ones already taken, and comments.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

/// Names the runtime or the generated part declares, and globals the
/// runtime uses: a schema by one of these names is renamed (`Map_`), since
/// a module-level `type Map` would shadow the global the runtime needs.
pub(super) const TAKEN: &[&str] = &[
    "ErrorObject",
    "StandardError",
    "RpcError",
    "TransportError",
    "RpcResult",
    "Params",
    "MethodSpec",
    "Id",
    "Request",
    "Response",
    "RpcTransport",
    "Sink",
    "HttpTransport",
    "WebSocketLike",
    "WebSocketTransport",
    "Subscription",
    "BatchEntry",
    "BatchResults",
    "RpcClient",
    "Client",
    "Methods",
    "SUBSCRIPTIONS",
    "httpClient",
    "webSocketClient",
    "route",
    "trim",
    "settleResponse",
    "sequence",
    "Array",
    "AsyncIterable",
    "AsyncIterator",
    "Error",
    "IteratorResult",
    "JSON",
    "Map",
    "Promise",
    "Record",
    "String",
    "Symbol",
    "WebSocket",
    "fetch",
    "globalThis",
    "undefined",
];

/// Words TypeScript does not accept as a parameter or type name.
pub(super) const RESERVED: &[&str] = &[
    "any",
    "arguments",
    "boolean",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "never",
    "new",
    "null",
    "number",
    "object",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "string",
    "super",
    "switch",
    "symbol",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "unknown",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Members of `RpcClient` a method function must not replace.
pub(super) const CLIENT_MEMBERS: &[&str] = &[
    "batch",
    "call",
    "close",
    "constructor",
    "notification",
    "notify",
    "request",
    "settle",
    "subscribe",
    "subscriptions",
    "transport",
];

/// Type names handed out so far, so no two clash.
#[derive(Default)]
pub(super) struct Names {
    used: BTreeSet<String>,
}

impl Names {
    pub(super) fn claim(&mut self, wanted: &str) -> String {
        let mut name = wanted.to_owned();
        while TAKEN.contains(&name.as_str()) || !self.used.insert(name.clone()) {
            name.push('_');
        }
        name
    }
}

/// A string literal (JSON's escapes are TypeScript's).
pub(super) fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// An object key: bare when it is an identifier, quoted otherwise.
pub(super) fn property_key(name: &str) -> String {
    if is_ident(name) {
        name.to_owned()
    } else {
        quoted(name)
    }
}

pub(super) fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A name usable as a variable or member: other characters become `_`,
/// reserved words get a trailing `_`.
pub(super) fn value_ident(name: &str) -> String {
    let mut ident: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ident.is_empty() || ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, '_');
    }
    if RESERVED.contains(&ident.as_str()) {
        ident.push('_');
    }
    ident
}

/// A type name for a schema key (`Option_String`, `Map_`).
pub(super) fn type_ident(key: &str) -> String {
    value_ident(key)
}

/// `calc.divide` -> `CalcDivide`, `subscribe_count` -> `SubscribeCount`.
pub(super) fn pascal(name: &str) -> String {
    let words: String = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    let words = words.trim_start_matches(|c: char| c.is_ascii_digit());
    if words.is_empty() {
        "Method".to_owned()
    } else {
        words.to_owned()
    }
}

/// Text safe inside a comment: no `*/`, one line.
pub(super) fn comment_text(text: &str) -> String {
    text.replace("*/", "*\\/").replace(['\n', '\r'], " ")
}

/// A `/** … */` of the given texts (summary, description), if any.
pub(super) fn doc_comment(out: &mut String, indent: &str, texts: &[Option<&Value>]) {
    let lines: Vec<String> = texts
        .iter()
        .flatten()
        .filter_map(|text| text.as_str().map(str::to_owned))
        .flat_map(|text| {
            text.lines()
                .map(|line| line.replace("*/", "*\\/"))
                .collect::<Vec<_>>()
        })
        .collect();
    match lines.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(out, "{indent}/** {one} */");
        }
        many => {
            let _ = writeln!(out, "{indent}/**");
            for line in many {
                let _ = writeln!(out, "{indent} * {line}");
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

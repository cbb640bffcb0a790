//! How results are printed: `--output json|pretty|raw`, coloured only on
//! a terminal and never when `NO_COLOR` is set.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::Value;

use crate::exit::Failure;

/// Writes `text` on stdout, a newline after it unless it ends with one.
/// `print!` would panic on a closed pipe (`rpc … | head`).
pub(crate) fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    write!(out, "{text}{newline}")
        .and_then(|()| out.flush())
        .map_err(Failure::Stdout)
}

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    /// Compact JSON on one line.
    Json,
    /// Indented JSON (coloured on a terminal).
    Pretty,
    /// A string result as its bare text, anything else as compact JSON.
    Raw,
}

/// Whether to colour: only on a terminal, and not when `NO_COLOR` is set
/// to anything non-empty (<https://no-color.org>).
pub(crate) fn use_colour(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// `value` as `output` says, coloured when `colour`.
pub(crate) fn render(value: &Value, output: Output, colour: bool) -> String {
    match (output, value) {
        (Output::Raw, Value::String(text)) => text.clone(),
        (Output::Json | Output::Raw, _) => value.to_string(),
        (Output::Pretty, _) if colour => {
            let mut text = String::new();
            pretty(&mut text, value, 0);
            text
        }
        (Output::Pretty, _) => {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        }
    }
}

const KEY: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const LITERAL: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// serde_json's pretty layout, with keys, strings and literals coloured.
fn pretty(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (key, member)) in map.iter().enumerate() {
                indent(out, depth + 1);
                let _ = write!(out, "{KEY}{}{RESET}: ", Value::String(key.clone()));
                pretty(out, member, depth + 1);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                pretty(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        Value::String(_) => {
            let _ = write!(out, "{STRING}{value}{RESET}");
        }
        Value::Object(_) | Value::Array(_) => {
            let _ = write!(out, "{value}");
        }
        _ => {
            let _ = write!(out, "{LITERAL}{value}{RESET}");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(!use_colour(false, None));
        assert!(!use_colour(true, Some("1".as_ref())));
        assert!(use_colour(true, Some("".as_ref())));
    }

    #[test]
    fn coloured_pretty_is_serde_pretty_plus_escapes() {
        let value = json!({"a": [1, "x", null, {}], "b": {"c": true}, "d": []});
        let coloured = render(&value, Output::Pretty, true);
        assert!(coloured.contains("\x1b[1;34m\"a\"\x1b[0m: "));
        assert!(coloured.contains("\x1b[32m\"x\"\x1b[0m"));
        let stripped = coloured
            .replace(KEY, "")
            .replace(STRING, "")
            .replace(LITERAL, "")
            .replace(RESET, "");
        assert_eq!(stripped, serde_json::to_string_pretty(&value).unwrap());
        assert!(!render(&value, Output::Pretty, false).contains('\x1b'));
    }

    #[test]
    fn raw_and_json() {
        assert_eq!(render(&json!("hi"), Output::Raw, false), "hi");
        assert_eq!(render(&json!("hi"), Output::Json, false), "\"hi\"");
        assert_eq!(render(&json!([1, 2]), Output::Raw, false), "[1,2]");
    }
}

//! The arguments of a call as typed on the command line, httpie-style:
//! `42` and `'{"a":1}'` are JSON values, a bare word is a string,
//! `key=value` is a named string, `key:=json` a named JSON value.

use serde_json::Value;

/// One argument of `rpc call|notify|subscribe URL METHOD [ARGS…]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// By position. `typed` is false for a bare word taken as a string
    /// (it may still become a number when the method's schema says so).
    Positional {
        /// The value.
        value: Value,
        /// Written as JSON (not a bare word).
        typed: bool,
    },
    /// By name, `key=value` (a string, `typed` false) or `key:=json`.
    Named {
        /// The parameter's name.
        name: String,
        /// The value.
        value: Value,
        /// Written as JSON (`:=`).
        typed: bool,
    },
}

/// An argument that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgError {
    /// `key:=json` whose value is not JSON.
    #[error("argument `{arg}`: `{name}:=` needs a JSON value: {reason}")]
    NotJson {
        /// The argument as typed.
        arg: String,
        /// Its name.
        name: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// `=value` or `:=value` with no name.
    #[error("argument `{0}`: a named argument needs a name before `=`")]
    NoName(String),
    /// Positional and named arguments in one call (JSON-RPC params are
    /// one or the other).
    #[error(
        "arguments mix positions and names: JSON-RPC params are an array or an object, not both"
    )]
    Mixed,
}

/// Reads one argument.
///
/// ```
/// use rpc_cli::arg::{parse, Arg};
/// use serde_json::json;
/// assert_eq!(parse("42").unwrap(), Arg::Positional { value: json!(42), typed: true });
/// assert_eq!(parse("hello").unwrap(), Arg::Positional { value: json!("hello"), typed: false });
/// assert_eq!(parse("n=7").unwrap(), Arg::Named { name: "n".into(), value: json!("7"), typed: false });
/// assert_eq!(parse("n:=7").unwrap(), Arg::Named { name: "n".into(), value: json!(7), typed: true });
/// ```
///
/// # Errors
/// [`ArgError`] for `key:=` followed by something that is not JSON, or a
/// name missing before `=`.
pub fn parse(text: &str) -> Result<Arg, ArgError> {
    // A JSON text first: `{"a":"b=c"}` or `"x=y"` are values, not names.
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return Ok(Arg::Positional { value, typed: true });
    }
    if let Some((name, json)) = text.split_once(":=") {
        if is_name(name) {
            let value = serde_json::from_str(json).map_err(|error| ArgError::NotJson {
                arg: text.to_owned(),
                name: name.to_owned(),
                reason: error.to_string(),
            })?;
            return Ok(Arg::Named {
                name: name.to_owned(),
                value,
                typed: true,
            });
        }
        if name.is_empty() {
            return Err(ArgError::NoName(text.to_owned()));
        }
    }
    if let Some((name, value)) = text.split_once('=') {
        if is_name(name) {
            return Ok(Arg::Named {
                name: name.to_owned(),
                value: Value::String(value.to_owned()),
                typed: false,
            });
        }
        if name.is_empty() {
            return Err(ArgError::NoName(text.to_owned()));
        }
    }
    Ok(Arg::Positional {
        value: Value::String(text.to_owned()),
        typed: false,
    })
}

/// A parameter name: letters, digits, `_`, `-`, `.`, `$` (not a URL or a
/// sentence with an `=` in it).
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
}

/// Reads every argument and checks they are all positional or all named.
///
/// ```
/// use rpc_cli::arg::{parse_all, ArgError};
/// assert_eq!(parse_all(&["42".into(), "23".into()]).unwrap().len(), 2);
/// assert_eq!(parse_all(&["42".into(), "b=1".into()]).unwrap_err(), ArgError::Mixed);
/// ```
///
/// # Errors
/// As [`parse`], and [`ArgError::Mixed`].
pub fn parse_all(texts: &[String]) -> Result<Vec<Arg>, ArgError> {
    let args = texts
        .iter()
        .map(|text| parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let named = args
        .iter()
        .filter(|a| matches!(a, Arg::Named { .. }))
        .count();
    if named != 0 && named != args.len() {
        return Err(ArgError::Mixed);
    }
    Ok(args)
}

/// The params of the arguments as they are (no schema): an array, an
/// object, or none for no arguments.
///
/// ```
/// use rpc_cli::arg::{parse_all, params_as_given};
/// use serde_json::json;
/// let args = parse_all(&["42".into(), "x".into()]).unwrap();
/// assert_eq!(params_as_given(&args), Some(json!([42, "x"])));
/// let args = parse_all(&["a:=1".into(), "b=two".into()]).unwrap();
/// assert_eq!(params_as_given(&args), Some(json!({"a": 1, "b": "two"})));
/// assert_eq!(params_as_given(&[]), None);
/// ```
#[must_use]
pub fn params_as_given(args: &[Arg]) -> Option<Value> {
    if args.is_empty() {
        return None;
    }
    if args.iter().all(|a| matches!(a, Arg::Positional { .. })) {
        return Some(Value::Array(
            args.iter()
                .map(|a| match a {
                    Arg::Positional { value, .. } | Arg::Named { value, .. } => value.clone(),
                })
                .collect(),
        ));
    }
    let mut object = serde_json::Map::new();
    for arg in args {
        if let Arg::Named { name, value, .. } = arg {
            object.insert(name.clone(), value.clone());
        }
    }
    Some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn json_texts_win_over_names() {
        assert_eq!(
            parse(r#"{"a":"b=c"}"#).unwrap(),
            Arg::Positional {
                value: json!({"a": "b=c"}),
                typed: true
            }
        );
        assert_eq!(
            parse("https://x.example/?q=1").unwrap(),
            Arg::Positional {
                value: json!("https://x.example/?q=1"),
                typed: false
            }
        );
        assert!(matches!(
            parse("a:={").unwrap_err(),
            ArgError::NotJson { .. }
        ));
        assert_eq!(parse("=x").unwrap_err(), ArgError::NoName("=x".into()));
    }
}

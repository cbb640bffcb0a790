//! Checking and converting a call's arguments against the method's
//! OpenRPC description, before anything is sent.
//!
//! The checks are hand-written rather than a JSON Schema engine's because
//! a command-line user needs the message to name the param and say what
//! was expected, and a bare word needs converting (by the same schema)
//! before it can be checked at all. They cover the keywords our servers'
//! schemas use (draft-07 as schemars writes them): `$ref`, `type`, `enum`,
//! `const`, `anyOf`/`oneOf`/`allOf`, `properties`/`required`/
//! `additionalProperties`, `items` (one schema or a tuple), `prefixItems`,
//! `minItems`/`maxItems`, `minimum`/`maximum` (and the exclusive forms),
//! `minLength`/`maxLength`. Other keywords (`pattern`, `format`,
//! `multipleOf`, `uniqueItems`, `not`, ...) are left to the server.

use serde_json::{Map, Value};

use crate::arg::Arg;

/// Why the arguments do not fit the method (a local error: nothing was
/// sent).
///
/// ```
/// use rpc_cli::schema::SchemaError;
/// let error = SchemaError::MissingParam { method: "subtract".into(), param: "subtrahend".into() };
/// assert_eq!(error.to_string(), "`subtract`: missing required param `subtrahend`");
/// ```
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The document has no such method (nor alias); `suggestion` is the
    /// closest name when one is close.
    #[error("the server has no method `{method}`{}", did_you_mean(.suggestion.as_deref()))]
    UnknownMethod {
        /// The method asked for.
        method: String,
        /// A method of the document with a close name.
        suggestion: Option<String>,
    },
    /// More positional arguments than the method has params.
    #[error("`{method}` {}, got {given} argument{}", takes(.known), if *.given == 1 { "" } else { "s" })]
    TooManyParams {
        /// The method.
        method: String,
        /// How many arguments were given.
        given: usize,
        /// How many params the method has.
        max: usize,
        /// The params' names, in order.
        known: Vec<String>,
    },
    /// A required param was not given.
    #[error("`{method}`: missing required param `{param}`")]
    MissingParam {
        /// The method.
        method: String,
        /// The param's name.
        param: String,
    },
    /// A named argument the method has no param for.
    #[error("`{method}` has no param `{param}`; {}", known_params(.known))]
    UnknownParam {
        /// The method.
        method: String,
        /// The name given.
        param: String,
        /// The method's params, in order.
        known: Vec<String>,
    },
    /// The same name given twice.
    #[error("`{method}`: param `{param}` given twice")]
    DuplicateParam {
        /// The method.
        method: String,
        /// The param's name.
        param: String,
    },
    /// A value that does not fit the param's schema (or cannot be
    /// converted to it).
    #[error("`{method}`: `{param}` {reason}")]
    InvalidParam {
        /// The method.
        method: String,
        /// Where: the param's name, then `.field` and `[index]` into it.
        param: String,
        /// What was expected and what was got, e.g. ``must be an integer,
        /// got `4.5` ``.
        reason: String,
    },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |name| format!("; did you mean `{name}`?"))
}

fn takes(known: &[String]) -> String {
    match known.len() {
        0 => "takes no params".to_owned(),
        1 => format!("takes 1 param ({})", names(known)),
        n => format!("takes {n} params ({})", names(known)),
    }
}

fn names(known: &[String]) -> String {
    if known.is_empty() {
        return "none".to_owned();
    }
    known
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn known_params(known: &[String]) -> String {
    if known.is_empty() {
        "it takes no params".to_owned()
    } else {
        format!("its params are {}", names(known))
    }
}

/// The schema of a param that has none: any value.
pub(crate) static ANY: Value = Value::Bool(true);

/// How deep `$ref`s and nesting are followed: a recursive schema (a tree
/// type) must not loop.
const MAX_DEPTH: usize = 64;

/// The method object named `name` (or with `name` among its `x-aliases`)
/// in `doc`, or [`SchemaError::UnknownMethod`] with the closest name.
///
/// ```
/// use rpc_cli::schema::find_method;
/// let doc = serde_json::json!({"methods": [{"name": "subtract", "params": []}]});
/// assert_eq!(find_method(&doc, "subtract").unwrap()["name"], "subtract");
/// assert_eq!(
///     find_method(&doc, "substract").unwrap_err().to_string(),
///     "the server has no method `substract`; did you mean `subtract`?"
/// );
/// ```
///
/// # Errors
/// [`SchemaError::UnknownMethod`] when no method has that name.
pub fn find_method<'a>(doc: &'a Value, name: &str) -> Result<&'a Value, SchemaError> {
    let methods = methods(doc);
    let found = methods.iter().find(|method| {
        method_name(method) == name
            || method["x-aliases"]
                .as_array()
                .is_some_and(|aliases| aliases.iter().any(|alias| alias == name))
    });
    found.copied().ok_or_else(|| SchemaError::UnknownMethod {
        method: name.to_owned(),
        suggestion: closest(name, methods.iter().map(|m| method_name(m))),
    })
}

/// The method objects of `doc`, with content-descriptor-style `$ref`s
/// resolved.
pub(crate) fn methods(doc: &Value) -> Vec<&Value> {
    doc["methods"]
        .as_array()
        .map(|methods| methods.iter().map(|m| resolve(doc, m)).collect())
        .unwrap_or_default()
}

pub(crate) fn method_name(method: &Value) -> &str {
    method["name"].as_str().unwrap_or_default()
}

/// The closest of `names` to `name`: at most 2 edits away, or equal but
/// for case; `None` when nothing is close.
fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    names
        .map(|candidate| {
            let distance = if candidate.to_lowercase() == lower {
                0
            } else {
                edit_distance(name, candidate)
            };
            (distance, candidate)
        })
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// One param of a method, as the checks need it.
pub(crate) struct Param<'a> {
    pub(crate) name: &'a str,
    pub(crate) required: bool,
    pub(crate) schema: &'a Value,
    pub(crate) descriptor: &'a Value,
}

pub(crate) fn params_of<'a>(doc: &'a Value, method: &'a Value) -> Vec<Param<'a>> {
    method["params"]
        .as_array()
        .map(|params| {
            params
                .iter()
                .map(|param| {
                    let descriptor = resolve(doc, param);
                    Param {
                        name: descriptor["name"].as_str().unwrap_or_default(),
                        required: descriptor["required"].as_bool().unwrap_or(false),
                        schema: descriptor.get("schema").unwrap_or(&ANY),
                        descriptor,
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `value` with a local `$ref` (`#/components/...`) followed, repeatedly;
/// a `$ref` that points nowhere stays as it is.
pub(crate) fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..MAX_DEPTH {
        let Some(target) = value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer))
        else {
            break;
        };
        value = target;
    }
    value
}

/// The params for calling `method` with `args`, checked and converted
/// against the method's params in the OpenRPC document `doc` (a bare word
/// becomes a number or a boolean where the schema says so); `None` when
/// there are no params to send.
///
/// The form follows the method's `paramStructure`: `by-name` methods get
/// an object even from positional arguments (mapped by order), `by-position`
/// methods an array even from named ones (ordered as the document lists
/// them, a skipped optional param sent as `null`); `either` (or none said)
/// keeps the form the arguments were given in. Trailing optional params
/// not given are left out. Methods whose name begins with `rpc.` that the
/// document does not list (such as `rpc.discover` itself) pass unchecked,
/// and so does everything when `doc` has no `methods` array (it is not an
/// OpenRPC document).
///
/// ```
/// use rpc_cli::{arg::parse_all, schema::params_for};
/// use serde_json::json;
/// let doc = json!({"methods": [{"name": "subtract", "params": [
///     {"name": "minuend", "required": true, "schema": {"type": "integer"}},
///     {"name": "subtrahend", "required": true, "schema": {"type": "integer"}}
/// ]}]});
/// let args = parse_all(&["minuend=42".into(), "subtrahend=23".into()]).unwrap();
/// assert_eq!(
///     params_for(&doc, "subtract", &args).unwrap(),
///     Some(json!({"minuend": 42, "subtrahend": 23}))
/// );
/// let args = parse_all(&["42".into()]).unwrap();
/// assert_eq!(
///     params_for(&doc, "subtract", &args).unwrap_err().to_string(),
///     "`subtract`: missing required param `subtrahend`"
/// );
/// ```
///
/// # Errors
/// [`SchemaError`] when the method is unknown, a param is unknown,
/// missing, given twice, or of the wrong type.
pub fn params_for(doc: &Value, method: &str, args: &[Arg]) -> Result<Option<Value>, SchemaError> {
    if !doc["methods"].is_array() {
        // Not an OpenRPC document (some servers answer `rpc.discover` with
        // something else): nothing to check against.
        return Ok(crate::arg::params_as_given(args));
    }
    let found = match find_method(doc, method) {
        Ok(found) => found,
        Err(_) if method.starts_with("rpc.") => return Ok(crate::arg::params_as_given(args)),
        Err(error) => return Err(error),
    };
    if found["x-params-unknown"] == Value::Bool(true) {
        // A raw handler the server knows no params of: send them as given.
        return Ok(crate::arg::params_as_given(args));
    }
    let params = params_of(doc, found);
    let structure = found["paramStructure"].as_str().unwrap_or("either");
    let context = Context { doc, method };

    let positional = args.iter().all(|arg| matches!(arg, Arg::Positional { .. }));
    // Each param's value, in the document's order; `None` when not given.
    let values = if positional {
        context.by_position(&params, args)?
    } else {
        context.by_name(&params, args)?
    };
    if let Some(missing) = params
        .iter()
        .zip(&values)
        .find(|(param, value)| param.required && value.is_none())
    {
        return Err(SchemaError::MissingParam {
            method: method.to_owned(),
            param: missing.0.name.to_owned(),
        });
    }
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let as_object = match structure {
        "by-name" => true,
        "by-position" => false,
        _ => !positional,
    };
    Ok(Some(if as_object {
        Value::Object(
            params
                .iter()
                .zip(values)
                .filter_map(|(param, value)| Some((param.name.to_owned(), value?)))
                .collect::<Map<_, _>>(),
        )
    } else {
        let given = values
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        Value::Array(
            values
                .into_iter()
                .take(given)
                .map(|value| value.unwrap_or(Value::Null))
                .collect(),
        )
    }))
}

/// What every error names.
struct Context<'a> {
    doc: &'a Value,
    method: &'a str,
}

impl Context<'_> {
    fn by_position(
        &self,
        params: &[Param<'_>],
        args: &[Arg],
    ) -> Result<Vec<Option<Value>>, SchemaError> {
        if args.len() > params.len() {
            return Err(SchemaError::TooManyParams {
                method: self.method.to_owned(),
                given: args.len(),
                max: params.len(),
                known: params.iter().map(|p| p.name.to_owned()).collect(),
            });
        }
        let mut values = vec![None; params.len()];
        for ((param, arg), slot) in params.iter().zip(args).zip(&mut values) {
            *slot = Some(self.value_for(param, arg)?);
        }
        Ok(values)
    }

    fn by_name(
        &self,
        params: &[Param<'_>],
        args: &[Arg],
    ) -> Result<Vec<Option<Value>>, SchemaError> {
        let mut values = vec![None; params.len()];
        for arg in args {
            let Arg::Named { name, .. } = arg else {
                // parse_all refuses a mix; a positional one here has no name.
                continue;
            };
            let Some(index) = params.iter().position(|p| p.name == name) else {
                return Err(SchemaError::UnknownParam {
                    method: self.method.to_owned(),
                    param: name.clone(),
                    known: params.iter().map(|p| p.name.to_owned()).collect(),
                });
            };
            if values[index].is_some() {
                return Err(SchemaError::DuplicateParam {
                    method: self.method.to_owned(),
                    param: name.clone(),
                });
            }
            values[index] = Some(self.value_for(&params[index], arg)?);
        }
        Ok(values)
    }

    /// The argument's value for `param`: a bare word converted by the
    /// schema, then checked against it.
    fn value_for(&self, param: &Param<'_>, arg: &Arg) -> Result<Value, SchemaError> {
        let (Arg::Positional { value, typed } | Arg::Named { value, typed, .. }) = arg;
        let invalid = |(path, reason): (String, String)| SchemaError::InvalidParam {
            method: self.method.to_owned(),
            param: format!("{}{path}", param.name),
            reason,
        };
        let value = match (typed, value) {
            (false, Value::String(word)) => convert(self.doc, param.schema, word, 0)
                .map_err(|reason| invalid((String::new(), reason)))?,
            _ => value.clone(),
        };
        check(self.doc, param.schema, &value, 0).map_err(invalid)?;
        Ok(value)
    }
}

/// A bare word as the value `schema` wants: `"42"` becomes `42` for an
/// integer, `"true"` becomes `true` for a boolean; the alternatives of a
/// type list or `anyOf`/`oneOf` are tried in order, but a string last: it
/// takes any word, so first would leave the others unreachable (a
/// `string | integer` id given as `id=42` is the number 42). A schema
/// that says nothing of the type keeps the string.
fn convert(doc: &Value, schema: &Value, word: &str, depth: usize) -> Result<Value, String> {
    let schema = resolve(doc, schema);
    if depth > MAX_DEPTH {
        return Ok(Value::String(word.to_owned()));
    }
    let alternatives = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array);
    if let Some(alternatives) = alternatives {
        let mut as_string = None;
        for alternative in alternatives {
            if let Ok(value) = convert(doc, alternative, word, depth + 1) {
                if check(doc, alternative, &value, depth + 1).is_ok() {
                    if !value.is_string() {
                        return Ok(value);
                    }
                    as_string.get_or_insert(value);
                }
            }
        }
        return as_string
            .ok_or_else(|| format!("must be {}, got `{word}`", type_name(doc, schema)));
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // The first part that says something of the type decides.
        if let Some(part) = parts.iter().find(|part| !types_of(doc, part).is_empty()) {
            return convert(doc, part, word, depth + 1);
        }
    }
    let types = types_of(doc, schema);
    if types.is_empty() {
        // `enum`/`const` without a type: the listed value the word spells.
        let listed = schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(schema.get("const"));
        let spelled = serde_json::from_str::<Value>(word).ok();
        for candidate in listed {
            if candidate.as_str() == Some(word) || spelled.as_ref() == Some(candidate) {
                return Ok(candidate.clone());
            }
        }
        return Ok(Value::String(word.to_owned()));
    }
    let spelled = types.iter().filter(|kind| **kind != "string");
    for kind in spelled.chain(types.iter().filter(|kind| **kind == "string")) {
        if let Some(value) = convert_to(kind, word) {
            return Ok(value);
        }
    }
    let mut reason = format!("must be {}, got `{word}`", article_list(&types));
    if types.iter().any(|kind| matches!(*kind, "array" | "object")) {
        reason.push_str(" (give it as JSON, `name:=[...]` or `name:={...}`)");
    }
    Err(reason)
}

fn convert_to(kind: &str, word: &str) -> Option<Value> {
    match kind {
        "string" => Some(Value::String(word.to_owned())),
        "integer" => word
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| word.parse::<u64>().map(Value::from))
            .ok(),
        "number" => match serde_json::from_str::<Value>(word) {
            Ok(Value::Number(number)) => Some(Value::Number(number)),
            _ => None,
        },
        "boolean" => match word {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        "null" => (word == "null").then_some(Value::Null),
        _ => None,
    }
}

/// The `type`s a schema allows (after `$ref`), empty when it says none.
fn types_of<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a str> {
    match &resolve(doc, schema)["type"] {
        Value::String(kind) => vec![kind.as_str()],
        Value::Array(kinds) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `an integer`, `an integer or null`, `a string, a number or a boolean`.
fn article_list(types: &[&str]) -> String {
    let named: Vec<String> = types
        .iter()
        .map(|kind| match *kind {
            "null" => "null".to_owned(),
            "integer" | "object" | "array" => format!("an {kind}"),
            other => format!("a {other}"),
        })
        .collect();
    match named.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "anything".to_owned(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn is_type(value: &Value, kind: &str) -> bool {
    match (kind, value) {
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        ("number", Value::Number(_)) => true,
        _ => json_type(value) == kind,
    }
}

/// A value as an error message shows it: compact JSON, cut when long.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 60 {
        return text;
    }
    let cut: String = text.chars().take(57).collect();
    format!("{cut}...")
}

/// Where (`.field`, `[index]`, empty for the value itself) and why.
type Failure = (String, String);

fn fail(reason: String) -> Result<(), Failure> {
    Err((String::new(), reason))
}

fn within(path: String, result: Result<(), Failure>) -> Result<(), Failure> {
    result.map_err(|(inner, reason)| (format!("{path}{inner}"), reason))
}

/// Checks `value` against `schema` (the keywords listed in the module's
/// documentation).
fn check(doc: &Value, schema: &Value, value: &Value, depth: usize) -> Result<(), Failure> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let schema = resolve(doc, schema);
    let Value::Object(keywords) = schema else {
        return match schema {
            Value::Bool(false) => fail("is not allowed here".to_owned()),
            _ => Ok(()),
        };
    };
    let types = types_of(doc, schema);
    if !types.is_empty() && !types.iter().any(|kind| is_type(value, kind)) {
        return fail(format!(
            "must be {}, got {} `{}`",
            article_list(&types),
            json_type(value),
            shown(value)
        ));
    }
    if let Some(allowed) = keywords.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(|v| format!("`{v}`")).collect();
            return fail(format!(
                "must be one of {}, got `{}`",
                list.join(", "),
                shown(value)
            ));
        }
    }
    if let Some(constant) = keywords.get("const") {
        if constant != value {
            return fail(format!("must be `{constant}`, got `{}`", shown(value)));
        }
    }
    check_alternatives(doc, keywords, value, depth)?;
    match value {
        Value::Number(number) => check_number(keywords, number.as_f64().unwrap_or(0.0), value)?,
        Value::String(text) => check_length(keywords, text.chars().count())?,
        Value::Array(items) => check_array(doc, keywords, items, depth)?,
        Value::Object(object) => check_object(doc, keywords, object, depth)?,
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

fn check_alternatives(
    doc: &Value,
    keywords: &Map<String, Value>,
    value: &Value,
    depth: usize,
) -> Result<(), Failure> {
    for part in keywords
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        check(doc, part, value, depth + 1)?;
    }
    // `oneOf` is checked as `anyOf`: telling "matches two" from "matches
    // one" would only matter to the server.
    let alternatives = keywords
        .get("anyOf")
        .or_else(|| keywords.get("oneOf"))
        .and_then(Value::as_array);
    if let Some(alternatives) = alternatives {
        let mut failures = Vec::new();
        for alternative in alternatives {
            match check(doc, alternative, value, depth + 1) {
                Ok(()) => return Ok(()),
                Err(failure) => failures.push((alternative, failure)),
            }
        }
        // One alternative of the value's own type: its error says more.
        let same_type: Vec<_> = failures
            .iter()
            .filter(|(alternative, _)| {
                let types = types_of(doc, alternative);
                !types.is_empty() && types.iter().any(|kind| is_type(value, kind))
            })
            .collect();
        if let [(_, failure)] = same_type.as_slice() {
            return Err(failure.clone());
        }
        let names: Vec<String> = alternatives.iter().map(|a| type_name(doc, a)).collect();
        return fail(format!(
            "must be {}, got `{}`",
            names.join(" | "),
            shown(value)
        ));
    }
    Ok(())
}

fn check_number(keywords: &Map<String, Value>, number: f64, value: &Value) -> Result<(), Failure> {
    let bound = |key: &str| keywords.get(key).and_then(Value::as_f64);
    let exclusive = |key: &str| keywords.get(key).and_then(Value::as_f64);
    if let Some(minimum) = bound("minimum") {
        if number < minimum {
            return fail(format!(
                "must be at least {}, got `{value}`",
                keywords["minimum"]
            ));
        }
    }
    if let Some(maximum) = bound("maximum") {
        if number > maximum {
            return fail(format!(
                "must be at most {}, got `{value}`",
                keywords["maximum"]
            ));
        }
    }
    if let Some(minimum) = exclusive("exclusiveMinimum") {
        if number <= minimum {
            return fail(format!(
                "must be more than {}, got `{value}`",
                keywords["exclusiveMinimum"]
            ));
        }
    }
    if let Some(maximum) = exclusive("exclusiveMaximum") {
        if number >= maximum {
            return fail(format!(
                "must be less than {}, got `{value}`",
                keywords["exclusiveMaximum"]
            ));
        }
    }
    Ok(())
}

fn check_length(keywords: &Map<String, Value>, length: usize) -> Result<(), Failure> {
    let limit = |key: &str| keywords.get(key).and_then(Value::as_u64);
    if let Some(minimum) = limit("minLength") {
        if (length as u64) < minimum {
            return fail(format!(
                "must be at least {minimum} characters long, got {length}"
            ));
        }
    }
    if let Some(maximum) = limit("maxLength") {
        if (length as u64) > maximum {
            return fail(format!(
                "must be at most {maximum} characters long, got {length}"
            ));
        }
    }
    Ok(())
}

fn check_array(
    doc: &Value,
    keywords: &Map<String, Value>,
    items: &[Value],
    depth: usize,
) -> Result<(), Failure> {
    let limit = |key: &str| keywords.get(key).and_then(Value::as_u64);
    let length = items.len() as u64;
    if let Some(minimum) = limit("minItems") {
        if length < minimum {
            return fail(format!("must have at least {minimum} items, got {length}"));
        }
    }
    if let Some(maximum) = limit("maxItems") {
        if length > maximum {
            return fail(format!("must have at most {maximum} items, got {length}"));
        }
    }
    // A tuple: `items` as an array (draft-07) or `prefixItems` (2020-12);
    // the rest by `additionalItems` or `items`.
    let (tuple, rest) = match (keywords.get("prefixItems"), keywords.get("items")) {
        (Some(Value::Array(prefix)), rest) => (prefix.as_slice(), rest),
        (_, Some(Value::Array(prefix))) => (prefix.as_slice(), keywords.get("additionalItems")),
        (_, rest) => (&[][..], rest),
    };
    for (index, item) in items.iter().enumerate() {
        let schema = match tuple.get(index) {
            Some(schema) => schema,
            None => match rest {
                Some(schema) => schema,
                None => continue,
            },
        };
        within(format!("[{index}]"), check(doc, schema, item, depth + 1))?;
    }
    Ok(())
}

fn check_object(
    doc: &Value,
    keywords: &Map<String, Value>,
    object: &Map<String, Value>,
    depth: usize,
) -> Result<(), Failure> {
    let properties = keywords.get("properties").and_then(Value::as_object);
    for required in keywords
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(name) = required.as_str() {
            if !object.contains_key(name) {
                return fail(format!("is missing the required field `{name}`"));
            }
        }
    }
    for (name, field) in object {
        let schema = properties
            .and_then(|properties| properties.get(name))
            .or_else(|| keywords.get("additionalProperties"));
        let Some(schema) = schema else { continue };
        if schema == &Value::Bool(false) {
            let known: Vec<String> = properties
                .into_iter()
                .flat_map(|p| p.keys())
                .map(|key| format!("`{key}`"))
                .collect();
            return fail(format!(
                "has no field `{name}`; its fields are {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        }
        within(format!(".{name}"), check(doc, schema, field, depth + 1))?;
    }
    Ok(())
}

/// A short name for the values `schema` allows, as `rpc methods` shows
/// it: `integer`, `string`, `X` for a `$ref` to the components' `X`,
/// `[T]` for an array of `T`, `[T, U]` for a tuple, `T | null` for
/// alternatives, `"a" | "b"` for a string enum, `any` when it says
/// nothing.
///
/// ```
/// use rpc_cli::schema::type_name;
/// use serde_json::json;
/// let doc = json!({});
/// assert_eq!(type_name(&doc, &json!({"type": "integer"})), "integer");
/// assert_eq!(type_name(&doc, &json!({"type": ["string", "null"]})), "string | null");
/// assert_eq!(type_name(&doc, &json!({"type": "array", "items": {"$ref": "#/components/schemas/Point"}})), "[Point]");
/// assert_eq!(type_name(&doc, &json!({})), "any");
/// ```
#[must_use]
pub fn type_name(doc: &Value, schema: &Value) -> String {
    name_of(doc, schema, 0)
}

fn name_of(doc: &Value, schema: &Value, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return "...".to_owned();
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    let Value::Object(keywords) = schema else {
        return if schema == &Value::Bool(false) {
            "never"
        } else {
            "any"
        }
        .to_owned();
    };
    if let Some(constant) = keywords.get("const") {
        return constant.to_string();
    }
    if let Some(allowed) = keywords.get("enum").and_then(Value::as_array) {
        if !allowed.is_empty() && allowed.len() <= 6 {
            return allowed
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(" | ");
        }
    }
    let alternatives = keywords
        .get("anyOf")
        .or_else(|| keywords.get("oneOf"))
        .and_then(Value::as_array);
    if let Some(alternatives) = alternatives {
        return alternatives
            .iter()
            .map(|alternative| name_of(doc, alternative, depth + 1))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some([only]) = keywords
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        return name_of(doc, only, depth + 1);
    }
    let types: Vec<&str> = match keywords.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.is_empty() {
        return "any".to_owned();
    }
    types
        .iter()
        .map(|kind| match *kind {
            "array" => array_name(doc, keywords, depth),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn array_name(doc: &Value, keywords: &Map<String, Value>, depth: usize) -> String {
    let tuple = keywords
        .get("prefixItems")
        .or_else(|| keywords.get("items"))
        .and_then(Value::as_array);
    if let Some(tuple) = tuple {
        let names: Vec<String> = tuple
            .iter()
            .map(|item| name_of(doc, item, depth + 1))
            .collect();
        return format!("[{}]", names.join(", "));
    }
    match keywords.get("items") {
        Some(items) => {
            let name = name_of(doc, items, depth + 1);
            if name.contains(" | ") {
                format!("[({name})]")
            } else {
                format!("[{name}]")
            }
        }
        None => "[any]".to_owned(),
    }
}

/// Whether `schema` is named well enough by [`type_name`] alone (a plain
/// type, a `$ref`, an array of those): `rpc methods NAME` shows the
/// others' schema as JSON.
pub(crate) fn is_simple(schema: &Value) -> bool {
    let Value::Object(keywords) = schema else {
        return true;
    };
    keywords.iter().all(|(key, value)| match key.as_str() {
        "type" | "$ref" | "format" | "title" | "description" => true,
        "items" => is_simple(value),
        _ => false,
    })
}

#[cfg(test)]
mod unknown_params_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn params_of_a_method_marked_unknown_go_as_given() {
        let doc = serde_json::json!({"methods": [
            {"name": "sum", "params": [], "x-params-unknown": true},
            {"name": "none", "params": []}
        ]});
        let args = crate::arg::parse_all(&["1".into(), "2".into()]).unwrap();
        assert_eq!(
            params_for(&doc, "sum", &args).unwrap(),
            Some(serde_json::json!([1, 2]))
        );
        assert!(
            params_for(&doc, "none", &args).is_err(),
            "no params means none"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::arg::parse_all;
    use serde_json::json;

    fn spec_server() -> Value {
        serde_json::from_str(include_str!("../tests/data/spec_server.openrpc.json")).unwrap()
    }

    fn call(doc: &Value, method: &str, args: &[&str]) -> Result<Option<Value>, SchemaError> {
        let texts: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        params_for(doc, method, &parse_all(&texts).unwrap())
    }

    fn message(doc: &Value, method: &str, args: &[&str]) -> String {
        call(doc, method, args).unwrap_err().to_string()
    }

    #[test]
    fn subtract_on_the_real_document() {
        let doc = spec_server();
        assert_eq!(
            call(&doc, "subtract", &["42", "23"]).unwrap(),
            Some(json!([42, 23]))
        );
        assert_eq!(
            call(&doc, "subtract", &["minuend=42", "subtrahend=23"]).unwrap(),
            Some(json!({"minuend": 42, "subtrahend": 23}))
        );
        assert_eq!(
            call(&doc, "subtract", &["subtrahend:=23", "minuend=42"]).unwrap(),
            Some(json!({"minuend": 42, "subtrahend": 23}))
        );
        assert_eq!(
            message(&doc, "subtract", &["42"]),
            "`subtract`: missing required param `subtrahend`"
        );
        assert_eq!(
            message(&doc, "subtract", &["1", "2", "3"]),
            "`subtract` takes 2 params (`minuend`, `subtrahend`), got 3 arguments"
        );
        assert_eq!(
            message(&doc, "subtract", &["minuend=1", "sub=2"]),
            "`subtract` has no param `sub`; its params are `minuend`, `subtrahend`"
        );
        assert_eq!(
            message(&doc, "subtract", &["minuend=4.5", "subtrahend=1"]),
            "`subtract`: `minuend` must be an integer, got `4.5`"
        );
        assert_eq!(
            message(&doc, "subtract", &["forty", "1"]),
            "`subtract`: `minuend` must be an integer, got `forty`"
        );
        assert_eq!(
            message(&doc, "subtract", &["4.5", "1"]),
            "`subtract`: `minuend` must be an integer, got number `4.5`"
        );
        assert_eq!(
            message(&doc, "subtract", &["minuend=1", "minuend=2"]),
            "`subtract`: param `minuend` given twice"
        );
    }

    #[test]
    fn unknown_methods_suggest_a_close_name() {
        let doc = spec_server();
        assert_eq!(
            message(&doc, "substract", &[]),
            "the server has no method `substract`; did you mean `subtract`?"
        );
        assert_eq!(
            message(&doc, "Subtract", &[]),
            "the server has no method `Subtract`; did you mean `subtract`?"
        );
        assert_eq!(
            message(&doc, "frobnicate", &[]),
            "the server has no method `frobnicate`"
        );
        // Reserved names the document does not list pass unchecked.
        assert_eq!(call(&doc, "rpc.discover", &[]).unwrap(), None);
        // Not an OpenRPC document: the arguments as given.
        assert_eq!(
            call(&json!({"version": 1}), "anything", &["x", "2"]).unwrap(),
            Some(json!(["x", 2]))
        );
    }

    #[test]
    fn no_args_and_optional_params() {
        let doc = spec_server();
        assert_eq!(call(&doc, "get_data", &[]).unwrap(), None);
        assert_eq!(
            message(&doc, "get_data", &["1"]),
            "`get_data` takes no params, got 1 argument"
        );
        assert_eq!(call(&doc, "subscribe_topic", &[]).unwrap(), None);
        // `{}` schemas: a bare word stays a string, JSON stays JSON.
        assert_eq!(
            call(&doc, "subscribe_topic", &["news"]).unwrap(),
            Some(json!(["news"]))
        );
        assert_eq!(
            call(&doc, "publish", &["value:=5", "topic=news"]).unwrap(),
            Some(json!({"topic": "news", "value": 5}))
        );
        assert_eq!(
            message(&doc, "notify_hello", &[]),
            "`notify_hello`: missing required param `n`"
        );
        assert_eq!(
            call(&doc, "notify_hello", &["n=5"]).unwrap(),
            Some(json!({"n": 5}))
        );
    }

    fn data(name: &str) -> Value {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_subscription_and_its_ref_ids() {
        let doc = data("ticker.openrpc.json");
        assert_eq!(
            call(&doc, "subscribe_prices", &["ACME", "500"]).unwrap(),
            Some(json!(["ACME", 500]))
        );
        assert_eq!(
            call(&doc, "subscribe_prices", &["symbol=ACME", "every_ms=500"]).unwrap(),
            Some(json!({"symbol": "ACME", "every_ms": 500}))
        );
        assert_eq!(
            message(&doc, "subscribe_prices", &["ACME", "fast"]),
            "`subscribe_prices`: `every_ms` must be an integer, got `fast`"
        );
        assert_eq!(
            message(&doc, "subscribe_prices", &["symbol=ACME", "every_ms=-1"]),
            "`subscribe_prices`: `every_ms` must be at least 0, got `-1`"
        );
        // `string | integer`: a word spelling a number is the number.
        assert_eq!(
            call(&doc, "unsubscribe_prices", &["subscription=42"]).unwrap(),
            Some(json!({"subscription": 42}))
        );
        assert_eq!(
            call(&doc, "unsubscribe_prices", &["a1b2"]).unwrap(),
            Some(json!(["a1b2"]))
        );
        assert_eq!(
            message(&doc, "unsubscribe_prices", &["true"]),
            "`unsubscribe_prices`: `subscription` must be a string or an integer, got boolean `true`"
        );
    }

    #[test]
    fn numbers_and_optional_nulls_of_the_calculator() {
        let doc = data("calculator.openrpc.json");
        assert_eq!(
            call(&doc, "calc.scale", &["x=2.5", "factor=null"]).unwrap(),
            Some(json!({"x": 2.5, "factor": null}))
        );
        assert_eq!(
            call(&doc, "calc.scale", &["x=2"]).unwrap(),
            Some(json!({"x": 2}))
        );
        assert_eq!(call(&doc, "calc.scale", &["2"]).unwrap(), Some(json!([2])));
        assert_eq!(
            message(&doc, "calc.scale", &["x=two"]),
            "`calc.scale`: `x` must be a number, got `two`"
        );
        assert_eq!(
            message(&doc, "calc.ad", &["1", "2"]),
            "the server has no method `calc.ad`; did you mean `calc.add`?"
        );
    }

    fn small() -> Value {
        json!({
            "methods": [
                {"name": "move", "paramStructure": "by-name", "params": [
                    {"name": "to", "required": true, "schema": {"$ref": "#/components/schemas/Point"}},
                    {"name": "speed", "schema": {"type": ["number", "null"], "minimum": 0}},
                    {"name": "mode", "schema": {"type": "string", "enum": ["walk", "run"]}}
                ]},
                {"name": "tag", "paramStructure": "by-position", "params": [
                    {"name": "id", "required": true, "schema": {"type": "integer", "format": "uint32", "minimum": 0}},
                    {"name": "labels", "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 2}},
                    {"name": "strict", "schema": {"type": "boolean"}}
                ]},
                {"name": "pick", "params": [
                    {"name": "choice", "required": true, "schema": {"anyOf": [
                        {"$ref": "#/components/schemas/Point"},
                        {"type": "integer"},
                        {"type": "null"}
                    ]}}
                ]}
            ],
            "components": {"schemas": {"Point": {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "required": ["x", "y"],
                "additionalProperties": false
            }}}
        })
    }

    #[test]
    fn by_name_methods_get_an_object_from_positions() {
        let doc = small();
        assert_eq!(
            call(&doc, "move", &[r#"{"x":1,"y":2}"#, "1.5"]).unwrap(),
            Some(json!({"to": {"x": 1, "y": 2}, "speed": 1.5}))
        );
        assert_eq!(
            call(
                &doc,
                "move",
                &[r#"to:={"x":1,"y":2}"#, "speed=null", "mode=run"]
            )
            .unwrap(),
            Some(json!({"to": {"x": 1, "y": 2}, "speed": null, "mode": "run"}))
        );
    }

    #[test]
    fn by_position_methods_get_an_array_from_names() {
        let doc = small();
        assert_eq!(
            call(&doc, "tag", &["strict=true", "id=7"]).unwrap(),
            Some(json!([7, null, true]))
        );
        assert_eq!(call(&doc, "tag", &["id=7"]).unwrap(), Some(json!([7])));
        assert_eq!(
            message(&doc, "tag", &["id=-1"]),
            "`tag`: `id` must be at least 0, got `-1`"
        );
        assert_eq!(
            message(&doc, "tag", &["id=1", "strict=yes"]),
            "`tag`: `strict` must be a boolean, got `yes`"
        );
    }

    #[test]
    fn nested_values_are_checked_with_a_path() {
        let doc = small();
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1,"y":"2"}"#]),
            "`move`: `to.y` must be an integer, got string `\"2\"`"
        );
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1}"#]),
            "`move`: `to` is missing the required field `y`"
        );
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1,"y":2,"z":3}"#]),
            "`move`: `to` has no field `z`; its fields are `x`, `y`"
        );
        assert_eq!(
            message(&doc, "move", &["to=here"]),
            "`move`: `to` must be an object, got `here` (give it as JSON, `name:=[...]` or `name:={...}`)"
        );
        assert_eq!(
            message(&doc, "tag", &["1", r#"["a",2]"#]),
            "`tag`: `labels[1]` must be a string, got integer `2`"
        );
        assert_eq!(
            message(&doc, "tag", &["1", r#"["a","b","c"]"#]),
            "`tag`: `labels` must have at most 2 items, got 3"
        );
    }

    #[test]
    fn enums_and_number_bounds() {
        let doc = small();
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1,"y":2}"#, "null", "fly"]),
            "`move`: `mode` must be one of `\"walk\"`, `\"run\"`, got `\"fly\"`"
        );
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1,"y":2}"#, "-2"]),
            "`move`: `speed` must be at least 0, got `-2`"
        );
        assert_eq!(
            message(&doc, "move", &[r#"{"x":1,"y":2}"#, "fast"]),
            "`move`: `speed` must be a number or null, got `fast`"
        );
    }

    #[test]
    fn untyped_enums_take_the_listed_value_a_word_spells() {
        let doc = json!({"methods": [{"name": "level", "params": [
            {"name": "n", "required": true, "schema": {"enum": [1, 2, "high"]}}
        ]}]});
        assert_eq!(
            call(&doc, "level", &["n=2"]).unwrap(),
            Some(json!({"n": 2}))
        );
        assert_eq!(
            call(&doc, "level", &["high"]).unwrap(),
            Some(json!(["high"]))
        );
        assert_eq!(
            message(&doc, "level", &["n=3"]),
            "`level`: `n` must be one of `1`, `2`, `\"high\"`, got `\"3\"`"
        );
    }

    #[test]
    fn alternatives_are_tried_in_order() {
        let doc = small();
        assert_eq!(
            call(&doc, "pick", &["choice=5"]).unwrap(),
            Some(json!({"choice": 5}))
        );
        assert_eq!(
            call(&doc, "pick", &["choice=null"]).unwrap(),
            Some(json!({"choice": null}))
        );
        assert_eq!(
            call(&doc, "pick", &[r#"{"x":0,"y":0}"#]).unwrap(),
            Some(json!([{"x": 0, "y": 0}]))
        );
        assert_eq!(
            message(&doc, "pick", &["choice=five"]),
            "`pick`: `choice` must be Point | integer | null, got `five`"
        );
        // An object: the object alternative's own error.
        assert_eq!(
            message(&doc, "pick", &[r#"{"x":0}"#]),
            "`pick`: `choice` is missing the required field `y`"
        );
        assert_eq!(
            message(&doc, "pick", &["true"]),
            "`pick`: `choice` must be Point | integer | null, got `true`"
        );
    }

    #[test]
    fn recursive_refs_do_not_loop() {
        let doc = json!({
            "methods": [{"name": "walk", "params": [
                {"name": "tree", "required": true, "schema": {"$ref": "#/components/schemas/Tree"}}
            ]}],
            "components": {"schemas": {
                "Tree": {"type": "object", "properties": {
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}
                }},
                "Loop": {"$ref": "#/components/schemas/Loop"}
            }}
        });
        assert!(call(&doc, "walk", &[r#"{"children":[{"children":[]}]}"#]).is_ok());
        assert_eq!(
            message(&doc, "walk", &[r#"{"children":[{"children":5}]}"#]),
            "`walk`: `tree.children[0].children` must be an array, got integer `5`"
        );
        let looping = json!({"$ref": "#/components/schemas/Loop"});
        assert!(check(&doc, &looping, &json!(1), 0).is_ok());
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("substract", "subtract"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}

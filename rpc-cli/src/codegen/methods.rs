//! One OpenRPC method: its params, result, errors and subscription read
//! into TypeScript types, and its function on the generated `Client`.

use serde_json::Value;

use super::names::{comment_text, pascal, property_key, quoted, value_ident, Names};
use super::types::Gen;
use super::CodegenError;

/// One method, read from the document.
pub(super) struct MethodInfo {
    pub(super) name: String,
    /// Summary and description.
    pub(super) docs: [Option<Value>; 2],
    /// `(name, type, optional)` in order; `None` when `x-params-unknown`.
    pub(super) params: Option<Vec<(String, String, bool)>>,
    pub(super) structure: String,
    pub(super) params_type: String,
    pub(super) result: String,
    pub(super) error_type: String,
    /// `ErrorObject<CODE, DATA>` and the message, per declared error.
    pub(super) errors: Vec<(String, String)>,
    pub(super) notification: bool,
    pub(super) subscription: Option<(String, String)>,
    pub(super) item: Option<String>,
}

impl MethodInfo {
    pub(super) fn read(
        index: usize,
        method: &Value,
        gen: &Gen<'_>,
        names: &mut Names,
    ) -> Result<Self, CodegenError> {
        let bad = |why: &str| CodegenError::BadMethod {
            index,
            why: why.to_owned(),
        };
        let name = method
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("no `name`"))?
            .to_owned();
        let unknown = method.get("x-params-unknown") == Some(&Value::Bool(true));
        let params = if unknown {
            None
        } else {
            let list = match method.get("params") {
                None => Vec::new(),
                Some(Value::Array(list)) => list.clone(),
                Some(_) => return Err(bad("`params` is not an array")),
            };
            let mut read = Vec::with_capacity(list.len());
            for param in &list {
                let param_name = param
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("a param has no `name`"))?;
                let required = param.get("required") == Some(&Value::Bool(true));
                let ty = gen.ty(param.get("schema").unwrap_or(&Value::Bool(true)), "  ");
                read.push((param_name.to_owned(), ty, !required));
            }
            // Only trailing params can be left out by position.
            let mut trailing = true;
            for param in read.iter_mut().rev() {
                trailing &= param.2;
                param.2 = trailing;
            }
            Some(read)
        };
        let structure = method
            .get("paramStructure")
            .and_then(Value::as_str)
            .unwrap_or("either")
            .to_owned();
        let params_type = match &params {
            None => "Params".to_owned(),
            Some(list) => {
                let tuple = tuple_type(list);
                let named = named_type(list, &method["params"]);
                match structure.as_str() {
                    "by-position" => tuple,
                    "by-name" => named,
                    _ => format!("{tuple} | {named}"),
                }
            }
        };
        let notification = method.get("x-notification") == Some(&Value::Bool(true));
        let result = match method.get("result") {
            Some(result) if !notification => {
                gen.ty(result.get("schema").unwrap_or(&Value::Bool(true)), "")
            }
            _ => "undefined".to_owned(),
        };
        let mut errors = Vec::new();
        for error in method
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let code = error
                .get("code")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("an error has no integer `code`"))?;
            let message = error.get("message").and_then(Value::as_str).unwrap_or("");
            let variant = match error.get("data") {
                Some(data) => format!("ErrorObject<{code}, {}>", gen.ty(data, "")),
                None => format!("ErrorObject<{code}>"),
            };
            errors.push((variant, comment_text(message)));
        }
        let subscription = method.get("x-subscription").and_then(|spec| {
            let get = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_owned);
            Some((get("notification")?, get("unsubscribe")?))
        });
        let item = subscription.as_ref().map(|_| {
            gen.ty(
                method["x-subscription"]
                    .get("item")
                    .unwrap_or(&Value::Bool(true)),
                "",
            )
        });
        Ok(Self {
            error_type: names.claim(&format!("{}Error", pascal(&name))),
            docs: [
                method.get("summary").cloned(),
                method.get("description").cloned(),
            ],
            name,
            params,
            structure,
            params_type,
            result,
            errors,
            notification,
            subscription,
            item,
        })
    }

    /// The `Client` member: positional arguments (one object for
    /// `by-name`), delegating to the runtime.
    pub(super) fn function(&self, member: &str) -> String {
        let (args, params) = match &self.params {
            None => ("...params: unknown[]".to_owned(), "params".to_owned()),
            Some(list) if self.structure == "by-name" => {
                let optional = if list.iter().all(|p| p.2) { "?" } else { "" };
                let ty = named_type(list, &Value::Null);
                let value = if optional.is_empty() {
                    "params"
                } else {
                    "params ?? {}"
                };
                (format!("params{optional}: {ty}"), value.to_owned())
            }
            Some(list) => {
                let args: Vec<String> = list
                    .iter()
                    .map(|(name, ty, optional)| {
                        let ident = value_ident(name);
                        let optional = if *optional { "?" } else { "" };
                        format!("{ident}{optional}: {ty}")
                    })
                    .collect();
                let values: Vec<String> = list.iter().map(|p| value_ident(&p.0)).collect();
                (args.join(", "), format!("[{}]", values.join(", ")))
            }
        };
        let quoted_name = quoted(&self.name);
        let (returns, body) = if self.notification {
            (
                "Promise<void>".to_owned(),
                format!("this.notify({quoted_name}, {params})"),
            )
        } else if let Some(item) = &self.item {
            (
                format!("Promise<Subscription<{item}>>"),
                format!("this.subscribe({quoted_name}, {params})"),
            )
        } else {
            (
                format!("Promise<{}>", self.result),
                format!("this.call({quoted_name}, {params})"),
            )
        };
        format!("  {member}({args}): {returns} {{\n    return {body};\n  }}\n")
    }
}

/// `[a: A, b?: B]`: labelled, optional only at the end.
fn tuple_type(list: &[(String, String, bool)]) -> String {
    let members: Vec<String> = list
        .iter()
        .map(|(name, ty, optional)| {
            let optional = if *optional { "?" } else { "" };
            format!("{}{optional}: {ty}", value_ident(name))
        })
        .collect();
    format!("[{}]", members.join(", "))
}

/// `{ a: A; b?: B }`: optional where the param is not required (`params`
/// is the document's list; without it, `list`'s own optionality).
fn named_type(list: &[(String, String, bool)], params: &Value) -> String {
    if list.is_empty() {
        return "Record<string, never>".to_owned();
    }
    let members: Vec<String> = list
        .iter()
        .enumerate()
        .map(|(i, (name, ty, trailing_optional))| {
            let required = match params.get(i) {
                Some(param) => param.get("required") == Some(&Value::Bool(true)),
                None => !trailing_optional,
            };
            let optional = if required { "" } else { "?" };
            format!("{}{optional}: {ty}", property_key(name))
        })
        .collect();
    format!("{{ {} }}", members.join("; "))
}

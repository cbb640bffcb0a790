//! What `rpc methods` prints: the methods of an OpenRPC document, one
//! line each, or one in detail.

use serde_json::Value;

use crate::schema::SchemaError;

/// One line per method: name, params with types and optionality, result
/// type, summary.
#[must_use]
pub fn method_lines(doc: &Value) -> String {
    let _ = doc;
    String::new()
}

/// One method in detail: its params, result and errors.
///
/// # Errors
/// [`SchemaError::UnknownMethod`] when the document has no method `name`.
pub fn method_detail(doc: &Value, name: &str) -> Result<String, SchemaError> {
    let _ = doc;
    Err(SchemaError::UnknownMethod {
        method: name.to_owned(),
    })
}

//! The messages `rpc` writes (JSON-RPC 2.0, or 1.0 with `--jsonrpc1`) and
//! how it reads the answers.

use std::sync::Arc;

use rpc_client::IdGenerator;
use serde_json::Value;

use crate::exit::Failure;

/// Writes requests and notifications with fresh ids.
#[derive(Clone)]
pub(crate) struct Envelope {
    /// JSON-RPC 1.0: no `jsonrpc` member, params always an array,
    /// notifications with `"id": null`, answers carry both `result` and `error`.
    pub(crate) jsonrpc1: bool,
    /// Where ids come from (`--id-kind`).
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl Envelope {
    /// A request and the id it carries.
    pub(crate) fn request(&self, method: &str, params: Option<&Value>) -> (String, Value) {
        let id_text = self.ids.next_id().as_json().to_owned();
        let id = serde_json::from_str(&id_text).unwrap_or(Value::Null);
        (self.write(method, params, Some(&id_text)), id)
    }

    /// A notification (no answer expected).
    pub(crate) fn notification(&self, method: &str, params: Option<&Value>) -> String {
        self.write(method, params, None)
    }

    fn write(&self, method: &str, params: Option<&Value>, id: Option<&str>) -> String {
        // Written by hand so members come in the usual order on the wire
        // (and in `-v`): jsonrpc, method, params, id.
        let method = Value::String(method.to_owned());
        let mut text = String::from("{");
        if !self.jsonrpc1 {
            text.push_str(r#""jsonrpc":"2.0","#);
        }
        text.push_str(&format!(r#""method":{method}"#));
        match (params, self.jsonrpc1) {
            (Some(params), _) => text.push_str(&format!(r#","params":{params}"#)),
            // 1.0 requires params, always an array.
            (None, true) => text.push_str(r#","params":[]"#),
            (None, false) => {}
        }
        match (id, self.jsonrpc1) {
            (Some(id), _) => text.push_str(&format!(r#","id":{id}"#)),
            (None, true) => text.push_str(r#","id":null"#),
            (None, false) => {}
        }
        text.push('}');
        text
    }
}

/// The result of a reply to the request with `id`, or why there is none.
pub(crate) fn read_reply(text: &str, id: &Value) -> Result<Value, Failure> {
    let reply: Value = serde_json::from_str(text)
        .map_err(|error| Failure::InvalidResponse(format!("not JSON ({error}): {text}")))?;
    read_response(&reply, Some(id))
}

/// The result of one response object; its id is checked when `id` is given.
pub(crate) fn read_response(reply: &Value, id: Option<&Value>) -> Result<Value, Failure> {
    let invalid = |why: &str| Failure::InvalidResponse(format!("{why}: {reply}"));
    let Some(object) = reply.as_object() else {
        return Err(invalid("not a JSON-RPC response object"));
    };
    if let Some(id) = id {
        if object.get("id") != Some(id) && !is_id_null_error(object) {
            return Err(invalid(&format!("not the answer to id {id}")));
        }
    }
    // 1.0 answers carry both members, one of them null.
    let error = object.get("error").filter(|e| !e.is_null());
    match (object.get("result"), error) {
        (_, Some(error)) => Err(Failure::Rpc(error.clone())),
        (Some(result), None) => Ok(result.clone()),
        (None, None) => Err(invalid("neither `result` nor `error`")),
    }
}

/// A server that cannot read a request answers an error with id null.
fn is_id_null_error(object: &serde_json::Map<String, Value>) -> bool {
    object.get("id").is_some_and(Value::is_null)
        && object.get("error").is_some_and(Value::is_object)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use rpc_client::id::DecimalIds;
    use serde_json::json;

    use super::*;

    fn envelope(jsonrpc1: bool) -> Envelope {
        Envelope {
            jsonrpc1,
            ids: Arc::new(DecimalIds::new()),
        }
    }

    #[test]
    fn writes_2_0_and_1_0() {
        let (text, id) = envelope(false).request("subtract", Some(&json!([42, 23])));
        assert_eq!(
            text,
            r#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#
        );
        assert_eq!(id, json!(1));
        assert_eq!(
            envelope(false).notification("log", None),
            r#"{"jsonrpc":"2.0","method":"log"}"#
        );
        let (text, _) = envelope(true).request("echo", None);
        assert_eq!(text, r#"{"method":"echo","params":[],"id":1}"#);
        assert_eq!(
            envelope(true).notification("log", None),
            r#"{"method":"log","params":[],"id":null}"#
        );
    }

    #[test]
    fn reads_results_errors_and_nonsense() {
        let id = json!(1);
        assert_eq!(
            read_reply(r#"{"jsonrpc":"2.0","result":19,"id":1}"#, &id).unwrap(),
            json!(19)
        );
        assert_eq!(
            read_reply(r#"{"result":19,"error":null,"id":1}"#, &id).unwrap(),
            json!(19)
        );
        assert!(matches!(
            read_reply(
                r#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"x"},"id":1}"#,
                &id
            ),
            Err(Failure::Rpc(_))
        ));
        assert!(matches!(
            read_reply("nope", &id),
            Err(Failure::InvalidResponse(_))
        ));
        assert!(matches!(
            read_reply(r#"{"jsonrpc":"2.0","result":1,"id":2}"#, &id),
            Err(Failure::InvalidResponse(_))
        ));
        assert!(matches!(
            read_reply(r#"{"jsonrpc":"2.0","id":1}"#, &id),
            Err(Failure::InvalidResponse(_))
        ));
    }
}

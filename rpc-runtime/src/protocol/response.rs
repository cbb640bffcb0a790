use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::value::RawValue;

use super::raw::{self, RawItem, RawMessage, RawObject};
use super::{ErrorObject, Id, Version};

/// A response to a call: its id and either a result or an error.
///
/// Non-exhaustive: [`parse_response`] makes it, and a response may come to
/// carry more than these members.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Response<'a> {
    /// The protocol version it was written in.
    pub version: Version,
    /// The id of the call it answers (`null` when the server could not read one).
    pub id: Id<'a>,
    /// The result or the error.
    pub payload: ResponsePayload<'a>,
}

/// What a response carries.
///
/// Non-exhaustive, so a `match` needs a `_` arm: another protocol version
/// may carry something else.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ResponsePayload<'a> {
    /// The call succeeded with this result (raw JSON).
    Result(&'a RawValue),
    /// The call failed.
    Error(ErrorObject<'a>),
}

/// Why a peer's answer is not a valid response.
///
/// ```
/// use std::error::Error as _;
/// use rpc_runtime::protocol::{parse_response, ResponseError};
/// let error = parse_response(r#"{"jsonrpc":"2.0","id":1}"#).unwrap_err();
/// assert_eq!(error.to_string(), r#"invalid response: a response must have "result" or "error""#);
/// let error = parse_response("<html>").unwrap_err();
/// assert!(matches!(error, ResponseError::Unparsable(_)));
/// assert!(error.source().unwrap().is::<serde_json::Error>());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The text is not JSON.
    #[error("unparsable response: {0}")]
    Unparsable(#[source] serde_json::Error),
    /// The text is JSON but not a valid JSON-RPC response.
    #[error("invalid response: {0}")]
    Invalid(#[source] InvalidResponse),
}

/// What is wrong with an answer that is JSON but not a valid JSON-RPC
/// response, or not the one that was expected (a wrong id, a missing
/// member of a batch, no body at all).
///
/// Opaque, so that more about the fault can be told later; its text says
/// what is wrong.
///
/// ```
/// use rpc_runtime::protocol::InvalidResponse;
/// let error = InvalidResponse::new("no response for id 7");
/// assert_eq!(error.to_string(), "no response for id 7");
/// assert_eq!(error.reason(), "no response for id 7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidResponse {
    reason: Cow<'static, str>,
}

impl InvalidResponse {
    /// A fault described by `reason` (what is wrong, in a few words).
    #[must_use]
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// What is wrong with the response.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Parses and validates one response object.
///
/// ```
/// use rpc_runtime::protocol::{parse_response, ResponsePayload};
/// let resp = parse_response(r#"{"jsonrpc":"2.0","result":19,"id":1}"#).unwrap();
/// assert!(matches!(resp.payload, ResponsePayload::Result(r) if r.get() == "19"));
/// assert!(parse_response(r#"{"jsonrpc":"2.0","id":1}"#).is_err());
/// ```
///
/// # Errors
/// When the text is not JSON, or not exactly one valid response object.
pub fn parse_response(text: &str) -> Result<Response<'_>, ResponseError> {
    match raw::parse(text, usize::MAX, |item| item) {
        Ok(RawMessage::Object(obj)) => from_raw(&obj),
        Ok(_) => Err(invalid("a response must be a JSON object")),
        Err(raw::RawError::Syntax(e)) => Err(ResponseError::Unparsable(e)),
        Err(raw::RawError::TooLong) => Err(invalid("response too long")),
    }
}

/// Parses the answer to a batch: an array of responses, or a single error
/// response (a server answers a batch it could not read with one error).
///
/// # Errors
/// When the text is not JSON, or a member is not a valid response.
pub fn parse_responses(text: &str) -> Result<Vec<Response<'_>>, ResponseError> {
    let member = |item| match item {
        RawItem::Object(obj) => from_raw(&obj),
        RawItem::NotAnObject => Err(invalid("a batch response member must be an object")),
    };
    match raw::parse(text, usize::MAX, member) {
        Ok(RawMessage::Object(obj)) => Ok(vec![from_raw(&obj)?]),
        Ok(RawMessage::Array(items)) => items.into_iter().collect(),
        Ok(RawMessage::Other) => Err(invalid("a response must be an object or an array")),
        Err(raw::RawError::Syntax(e)) => Err(ResponseError::Unparsable(e)),
        Err(raw::RawError::TooLong) => Err(invalid("response too long")),
    }
}

fn invalid(why: &'static str) -> ResponseError {
    ResponseError::Invalid(InvalidResponse::new(why))
}

pub(crate) fn from_raw<'a>(obj: &RawObject<'a>) -> Result<Response<'a>, ResponseError> {
    if let Some(member) = obj.duplicate {
        return Err(ResponseError::Invalid(InvalidResponse::new(format!(
            "duplicate member \"{member}\""
        ))));
    }
    let id = obj.id.ok_or_else(|| invalid("missing member \"id\""))?;
    let id =
        Id::from_raw(id).ok_or_else(|| invalid("\"id\" must be a string, a number or null"))?;
    let is_null = |v: Option<&RawValue>| v.is_some_and(|v| v.get() == "null");
    let (version, result, error) = match &obj.jsonrpc {
        Some(v) if v.is("2.0") => (Version::V2, obj.result, obj.error),
        Some(_) => return Err(invalid("\"jsonrpc\" must be \"2.0\"")),
        // JSON-RPC 1.0 sends both members, one of them null.
        None if obj.result.is_some() && obj.error.is_some() => {
            if is_null(obj.error) {
                (Version::V1, obj.result, None)
            } else if is_null(obj.result) {
                (Version::V1, None, obj.error)
            } else {
                return Err(invalid(
                    "a JSON-RPC 1.0 response must have a null \"result\" or \"error\"",
                ));
            }
        }
        None => return Err(invalid("missing member \"jsonrpc\": \"2.0\"")),
    };
    let payload = match (result, error) {
        (Some(result), None) => ResponsePayload::Result(result),
        (None, Some(error)) => ResponsePayload::Error(
            serde_json::from_str::<ErrorObject<'a>>(error.get()).map_err(|e| {
                ResponseError::Invalid(InvalidResponse::new(format!(
                    "malformed \"error\" member: {e}"
                )))
            })?,
        ),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "a response must not have both \"result\" and \"error\"",
            ))
        }
        (None, None) => return Err(invalid("a response must have \"result\" or \"error\"")),
    };
    Ok(Response {
        version,
        id,
        payload,
    })
}

/// Appends a success response for `id` whose result is the JSON text `result`.
///
/// ```
/// use rpc_runtime::protocol::{write_success_response, Id, Version};
/// let mut out = String::new();
/// write_success_response(&mut out, Version::V2, &Id::number(1), "19");
/// assert_eq!(out, r#"{"jsonrpc":"2.0","result":19,"id":1}"#);
/// ```
pub fn write_success_response(out: &mut String, version: Version, id: &Id<'_>, result: &str) {
    begin_success(out, version);
    out.push_str(result);
    end_success(out, version, id);
}

/// Turns `result`, a result's JSON text, into the success response for `id`
/// in place: the head is inserted before it and the tail appended, so an
/// answer that was written into a buffer of its own (an asynchronous
/// handler's, one that passed layers) costs no second buffer and no copy
/// beyond moving the result up by the head's length.
pub(crate) fn into_success_response(mut result: String, version: Version, id: &Id<'_>) -> String {
    let head = match version {
        Version::V2 => r#"{"jsonrpc":"2.0","result":"#,
        Version::V1 => r#"{"result":"#,
    };
    // `,"error":null` + `,"id":` + `}`.
    let tail = 13 + 6 + id.as_json().len() + 1;
    result.reserve(head.len() + tail);
    result.insert_str(0, head);
    end_success(&mut result, version, id);
    result
}

/// Writes a success response up to where the result goes, so a handler can
/// serialize its result straight into the response.
pub(crate) fn begin_success(out: &mut String, version: Version) {
    match version {
        Version::V2 => out.push_str(r#"{"jsonrpc":"2.0","result":"#),
        Version::V1 => out.push_str(r#"{"result":"#),
    }
}

/// Closes a response begun with [`begin_success`] once the result is written.
pub(crate) fn end_success(out: &mut String, version: Version, id: &Id<'_>) {
    if version == Version::V1 {
        out.push_str(r#","error":null"#);
    }
    out.push_str(r#","id":"#);
    out.push_str(id.as_json());
    out.push('}');
}

/// Appends an error response for `id`.
///
/// ```
/// use rpc_runtime::protocol::{write_error_response, ErrorObject, Id, Version};
/// let mut out = String::new();
/// write_error_response(&mut out, Version::V2, &Id::null(), &ErrorObject::parse_error());
/// assert_eq!(out, r#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}"#);
/// ```
pub fn write_error_response(
    out: &mut String,
    version: Version,
    id: &Id<'_>,
    error: &ErrorObject<'_>,
) {
    match version {
        Version::V2 => out.push_str(r#"{"jsonrpc":"2.0","error":"#),
        Version::V1 => out.push_str(r#"{"result":null,"error":"#),
    }
    let _ = write!(out, r#"{{"code":{},"message":"#, error.code);
    push_json_str(out, &error.message);
    if let Some(data) = &error.data {
        out.push_str(r#","data":"#);
        out.push_str(data.get());
    }
    out.push_str(r#"},"id":"#);
    out.push_str(id.as_json());
    out.push('}');
}

/// Appends a request (`id` given) or a notification (`id` is `None`).
///
/// ```
/// use rpc_runtime::protocol::{write_request, Id};
/// let mut out = String::new();
/// write_request(&mut out, "add", Some("[1,2]"), Some(&Id::number(3)));
/// assert_eq!(out, r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":3}"#);
/// ```
pub fn write_request(out: &mut String, method: &str, params: Option<&str>, id: Option<&Id<'_>>) {
    out.push_str(r#"{"jsonrpc":"2.0","method":"#);
    push_json_str(out, method);
    if let Some(params) = params {
        out.push_str(r#","params":"#);
        out.push_str(params);
    }
    if let Some(id) = id {
        out.push_str(r#","id":"#);
        out.push_str(id.as_json());
    }
    out.push('}');
}

/// Appends a notification: a request without an id.
///
/// ```
/// use rpc_runtime::protocol::write_notification;
/// let mut out = String::new();
/// write_notification(&mut out, "log", None);
/// assert_eq!(out, r#"{"jsonrpc":"2.0","method":"log"}"#);
/// ```
pub fn write_notification(out: &mut String, method: &str, params: Option<&str>) {
    write_request(out, method, params, None);
}

fn push_json_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Serializing a `&str` cannot fail.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_shape() {
        let cases = [
            (
                r#"{"result":1,"id":1}"#,
                "missing member \"jsonrpc\": \"2.0\"",
            ),
            (
                r#"{"jsonrpc":"2.0","result":1,"error":{"code":1,"message":"x"},"id":1}"#,
                "both",
            ),
            (r#"{"jsonrpc":"2.0","id":1}"#, "must have"),
            (r#"{"jsonrpc":"2.0","result":1}"#, "missing member \"id\""),
            (
                r#"{"jsonrpc":"2.0","error":{"code":"x"},"id":1}"#,
                "malformed",
            ),
        ];
        for (text, why) in cases {
            match parse_response(text) {
                Err(ResponseError::Invalid(msg)) => {
                    assert!(msg.reason().contains(why), "{text}: {msg}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_response("<html>"),
            Err(ResponseError::Unparsable(_))
        ));
    }

    #[test]
    fn reads_v1_responses() {
        let resp =
            parse_response(r#"{"result":null,"error":{"code":1,"message":"no"},"id":1}"#).unwrap();
        assert!(matches!(resp.payload, ResponsePayload::Error(e) if e.code == 1));
        let resp = parse_response(r#"{"result":5,"error":null,"id":1}"#).unwrap();
        assert!(matches!(resp.payload, ResponsePayload::Result(r) if r.get() == "5"));
    }

    #[test]
    fn error_messages_are_escaped() {
        let mut out = String::new();
        let err = ErrorObject::new(1, "say \"hi\"\n");
        write_error_response(&mut out, Version::V1, &Id::string("x"), &err);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["error"]["message"], "say \"hi\"\n");
        assert!(v["result"].is_null());
        assert!(v.get("jsonrpc").is_none());
    }
}

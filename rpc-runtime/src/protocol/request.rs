use std::borrow::Cow;

use super::raw::{self, RawItem, RawMessage, RawObject, StrMember};
use super::{ErrorObject, ErrorObjectOwned, Id, Version};
use crate::params::Params;

/// How strictly [`parse_message`] reads a message.
///
/// Non-exhaustive (more options may come): start from
/// [`ParseOptions::default()`] (or a router's
/// [`parse_options`](crate::Router::parse_options)) and set fields.
///
/// ```
/// use rpc_runtime::protocol::{parse_message, MessageError, ParseOptions};
/// let mut options = ParseOptions::default();
/// options.max_batch_len = 1;
/// let two = r#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#;
/// assert_eq!(parse_message(two, options).unwrap_err(), MessageError::BatchTooLong { limit: 1 });
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ParseOptions {
    /// Accept JSON-RPC 1.0 requests (no `jsonrpc` member, or `"1.0"`).
    pub jsonrpc1_compat: bool,
    /// The longest batch accepted; a longer one is rejected whole.
    pub max_batch_len: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            jsonrpc1_compat: false,
            max_batch_len: 1024,
        }
    }
}

/// A valid request or notification, borrowing from the message text.
///
/// Non-exhaustive: the parser makes it, and a request may come to carry
/// more than these members.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Request<'a> {
    /// The protocol version it was sent with.
    pub version: Version,
    /// The method name.
    pub method: Cow<'a, str>,
    /// The parameters, still raw JSON.
    pub params: Params<'a>,
    /// The id; `None` for a notification, which gets no response.
    pub id: Option<Id<'a>>,
}

impl Request<'_> {
    /// Whether this is a notification (no id: no response, even on error).
    #[must_use]
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

/// A member that is not a valid request; it is answered with `-32600`.
///
/// Non-exhaustive: the parser makes it, and may say more about the member
/// later.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InvalidEntry<'a> {
    /// The id to answer with: the request's id when it had a valid one,
    /// otherwise `null`.
    pub id: Id<'a>,
    /// What is wrong with it, for the error's `data`.
    pub reason: Cow<'static, str>,
}

impl InvalidEntry<'_> {
    /// The `-32600` error object this entry is answered with.
    #[must_use]
    pub fn error(&self) -> ErrorObjectOwned {
        invalid_request(self.reason.clone())
    }
}

/// One member of a message: a request, or something that is not one.
///
/// Non-exhaustive: a kind of member may be added (responses were, for
/// bidirectional connections), so a `match` needs a `_` arm.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Entry<'a> {
    /// A valid request or notification.
    Request(Request<'a>),
    /// A response to a call this side made (on a bidirectional connection).
    Response(super::Response<'a>),
    /// Not a valid request.
    Invalid(InvalidEntry<'a>),
}

impl<'a> Entry<'a> {
    /// The request, if this entry is one.
    ///
    /// ```
    /// use rpc_runtime::protocol::{parse_message, Message, ParseOptions};
    /// let Ok(Message::Single(entry)) = parse_message(
    ///     r#"{"jsonrpc":"2.0","method":"ping","id":1}"#, ParseOptions::default()) else { panic!() };
    /// assert_eq!(entry.into_request().unwrap().method, "ping");
    /// ```
    #[must_use]
    pub fn into_request(self) -> Option<Request<'a>> {
        match self {
            Entry::Request(request) => Some(request),
            _ => None,
        }
    }
}

/// A parsed message: one entry, or a batch of them.
///
/// Non-exhaustive, so that a form of message a later revision or an
/// extension brings can be added without breaking a `match`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Message<'a> {
    /// A single object.
    Single(Entry<'a>),
    /// A non-empty array of entries.
    Batch(Vec<Entry<'a>>),
}

/// Why a text is not a message, answered with a single error object.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// Not valid JSON: `-32700`.
    #[error("parse error: {0}")]
    Parse(String),
    /// Valid JSON, but neither an object nor an array: `-32600`.
    #[error("a message must be an object or an array")]
    NotStructured,
    /// `[]`: `-32600`.
    #[error("a batch must not be empty")]
    EmptyBatch,
    /// More members than the limit: `-32600`.
    #[error("batch longer than the limit of {limit} calls")]
    BatchTooLong {
        /// The configured limit.
        limit: usize,
    },
}

impl MessageError {
    /// The error object this failure is answered with (id `null`).
    #[must_use]
    pub fn to_error_object(&self) -> ErrorObjectOwned {
        match self {
            MessageError::Parse(_) => ErrorObject::parse_error(),
            other => invalid_request(Cow::Owned(other.to_string())),
        }
    }
}

fn invalid_request(reason: Cow<'static, str>) -> ErrorObjectOwned {
    let err = ErrorObject::invalid_request();
    // A string always serializes.
    err.clone().with_data(&reason).unwrap_or(err)
}

/// Parses one message (a single request or a batch) in one pass.
///
/// ```
/// use rpc_runtime::protocol::{parse_message, Entry, Message, ParseOptions};
/// let msg = parse_message(r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":7}"#,
///     ParseOptions::default()).unwrap();
/// let Message::Single(Entry::Request(req)) = msg else { panic!() };
/// assert_eq!(req.method, "add");
/// assert_eq!(req.id.unwrap().as_json(), "7");
/// ```
///
/// # Errors
/// When the text is not JSON, not an object or array, an empty array, or a
/// batch longer than [`ParseOptions::max_batch_len`].
pub fn parse_message(text: &str, opts: ParseOptions) -> Result<Message<'_>, MessageError> {
    let member = |item| match item {
        RawItem::Object(obj) => entry(obj, opts),
        RawItem::NotAnObject => Entry::Invalid(InvalidEntry {
            id: Id::null(),
            reason: Cow::Borrowed("a batch member must be an object"),
        }),
    };
    let parsed = raw::parse(text, opts.max_batch_len, member).map_err(|e| match e {
        raw::RawError::Syntax(error) => MessageError::Parse(error.to_string()),
        raw::RawError::TooLong => MessageError::BatchTooLong {
            limit: opts.max_batch_len,
        },
    })?;
    match parsed {
        RawMessage::Object(obj) => Ok(Message::Single(entry(obj, opts))),
        RawMessage::Array(items) if items.is_empty() => Err(MessageError::EmptyBatch),
        RawMessage::Array(entries) => Ok(Message::Batch(entries)),
        RawMessage::Other => Err(MessageError::NotStructured),
    }
}

fn entry<'a>(obj: RawObject<'a>, opts: ParseOptions) -> Entry<'a> {
    if obj.method.is_none() && (obj.result.is_some() || obj.error.is_some()) {
        if let Ok(response) = super::response::from_raw(&obj) {
            return Entry::Response(response);
        }
    }
    match request(obj, opts) {
        Ok(req) => Entry::Request(req),
        Err(invalid) => Entry::Invalid(invalid),
    }
}

fn request<'a>(obj: RawObject<'a>, opts: ParseOptions) -> Result<Request<'a>, InvalidEntry<'a>> {
    let id = match obj.id {
        None => None,
        Some(raw) => Some(Id::from_raw(raw).ok_or_else(|| InvalidEntry {
            id: Id::null(),
            reason: Cow::Borrowed("\"id\" must be a string, a number or null"),
        })?),
    };
    let invalid = |reason: &'static str| InvalidEntry {
        id: id.clone().unwrap_or_else(Id::null),
        reason: Cow::Borrowed(reason),
    };
    if let Some(member) = obj.duplicate {
        return Err(InvalidEntry {
            id: id.clone().unwrap_or_else(Id::null),
            reason: Cow::Owned(format!("duplicate member \"{member}\"")),
        });
    }
    let version = match &obj.jsonrpc {
        Some(v) if v.is("2.0") => Version::V2,
        Some(v) if opts.jsonrpc1_compat && v.is("1.0") => Version::V1,
        None if opts.jsonrpc1_compat => Version::V1,
        Some(_) => return Err(invalid("\"jsonrpc\" must be \"2.0\"")),
        None => return Err(invalid("missing member \"jsonrpc\": \"2.0\"")),
    };
    let method = match obj.method {
        None => return Err(invalid("missing member \"method\"")),
        Some(StrMember::Str(method)) => method,
        Some(StrMember::NotAString) => return Err(invalid("\"method\" must be a string")),
    };
    let params = match obj.params {
        None => Params::none(),
        Some(raw) => Params::from_raw(raw)
            .ok_or_else(|| invalid("\"params\" must be an array or an object"))?,
    };
    if version == Version::V1 && params.is_named() {
        return Err(invalid("JSON-RPC 1.0 \"params\" must be an array"));
    }
    // In 1.0 a notification is a request whose id is null.
    let id = match (version, id) {
        (Version::V1, Some(id)) if id.is_null() => None,
        (_, id) => id,
    };
    Ok(Request {
        version,
        method,
        params,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(text: &str, opts: ParseOptions) -> Entry<'_> {
        match parse_message(text, opts) {
            Ok(Message::Single(e)) => e,
            other => panic!("expected a single entry, got {other:?}"),
        }
    }

    fn reason(entry: Entry<'_>) -> (String, String) {
        match entry {
            Entry::Invalid(inv) => (inv.id.as_json().to_string(), inv.reason.to_string()),
            other => panic!("expected an invalid entry, got {other:?}"),
        }
    }

    #[test]
    fn params_must_be_structured() {
        let e = single(
            r#"{"jsonrpc":"2.0","method":"m","params":"bar","id":1}"#,
            ParseOptions::default(),
        );
        assert_eq!(
            reason(e),
            (
                "1".into(),
                "\"params\" must be an array or an object".into()
            )
        );
        let e = single(
            r#"{"jsonrpc":"2.0","method":"m","params":null,"id":1}"#,
            ParseOptions::default(),
        );
        assert_eq!(reason(e).1, "\"params\" must be an array or an object");
    }

    #[test]
    fn bad_ids_answer_with_null() {
        for id in ["{}", "[]", "true"] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"m","id":{id}}}"#);
            let (id, why) = reason(single(&text, ParseOptions::default()));
            assert_eq!(id, "null");
            assert!(why.contains("\"id\""), "{why}");
        }
    }

    #[test]
    fn version_is_strict_unless_compat() {
        let text = r#"{"method":"m","params":[1],"id":1}"#;
        assert_eq!(
            reason(single(text, ParseOptions::default())).1,
            "missing member \"jsonrpc\": \"2.0\""
        );
        let compat = ParseOptions {
            jsonrpc1_compat: true,
            ..ParseOptions::default()
        };
        let Entry::Request(req) = single(text, compat) else {
            panic!()
        };
        assert_eq!(req.version, Version::V1);
        let e = single(r#"{"jsonrpc":"1.9","method":"m","id":1}"#, compat);
        assert_eq!(reason(e).1, "\"jsonrpc\" must be \"2.0\"");
    }

    #[test]
    fn v1_null_id_is_a_notification() {
        let compat = ParseOptions {
            jsonrpc1_compat: true,
            ..ParseOptions::default()
        };
        let Entry::Request(req) = single(r#"{"method":"m","params":[],"id":null}"#, compat) else {
            panic!()
        };
        assert!(req.is_notification());
        let Entry::Request(req) = single(r#"{"jsonrpc":"2.0","method":"m","id":null}"#, compat)
        else {
            panic!()
        };
        assert!(!req.is_notification());
    }

    #[test]
    fn duplicate_members_are_invalid() {
        let e = single(
            r#"{"jsonrpc":"2.0","method":"a","method":"b","id":1}"#,
            ParseOptions::default(),
        );
        assert_eq!(
            reason(e),
            ("1".into(), "duplicate member \"method\"".into())
        );
    }

    #[test]
    fn escaped_method_names_are_decoded() {
        let Entry::Request(req) = single(
            r#"{"jsonrpc":"2.0","method":"a\u002eb","id":1}"#,
            ParseOptions::default(),
        ) else {
            panic!()
        };
        assert_eq!(req.method, "a.b");
    }

    #[test]
    fn message_level_errors() {
        let opts = ParseOptions {
            max_batch_len: 2,
            ..ParseOptions::default()
        };
        assert!(matches!(
            parse_message("{", opts),
            Err(MessageError::Parse(_))
        ));
        assert!(matches!(
            parse_message("", opts),
            Err(MessageError::Parse(_))
        ));
        assert!(matches!(
            parse_message("1", opts),
            Err(MessageError::NotStructured)
        ));
        assert!(matches!(
            parse_message("\"x\"", opts),
            Err(MessageError::NotStructured)
        ));
        assert!(matches!(
            parse_message("[]", opts),
            Err(MessageError::EmptyBatch)
        ));
        assert!(matches!(
            parse_message("[1,2,3]", opts),
            Err(MessageError::BatchTooLong { limit: 2 })
        ));
        assert!(matches!(parse_message("[1,2]", opts), Ok(Message::Batch(v)) if v.len() == 2));
        assert!(matches!(
            parse_message("{} x", opts),
            Err(MessageError::Parse(_))
        ));
    }

    #[test]
    fn deep_nesting_is_a_parse_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_message(&deep, ParseOptions::default()),
            Err(MessageError::Parse(_))
        ));
        // Deep params are skipped over without recursion and stay raw; decoding
        // them later meets serde_json's depth limit, not the stack's end.
        let text = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":[{}1{}],"id":1}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let Ok(Message::Single(Entry::Request(req))) =
            parse_message(&text, ParseOptions::default())
        else {
            panic!()
        };
        let err = req
            .params
            .decode::<(serde_json::Value,)>(&["deep"])
            .unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
    }
}

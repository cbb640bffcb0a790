use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// What kind of JSON value an [`Id`] is.
///
/// Exhaustive on purpose: the JSON-RPC 2.0 specification (section 4)
/// allows exactly these three, so a `match` on all of them is complete
/// and stays so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// `null`.
    Null,
    /// A JSON number, kept exactly as written (any size, any sign).
    Number,
    /// A JSON string.
    String,
}

/// A request id: a JSON string, number or `null`.
///
/// The id keeps the exact text it was sent with, so a response echoes it
/// byte for byte: `1` and `"1"` stay distinct, and `18446744073709551616`
/// (beyond `u64`) or `-1` come back as written.
///
/// ```
/// use rpc_runtime::protocol::{Id, IdKind};
/// let big = Id::from_json("18446744073709551616").unwrap();
/// assert_eq!(big.kind(), IdKind::Number);
/// assert_eq!(big.as_json(), "18446744073709551616");
/// assert_ne!(Id::number(1), Id::string("1"));
/// assert!(Id::from_json("{}").is_none());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Id<'a> {
    raw: Cow<'a, str>,
    kind: IdKind,
}

impl<'a> Id<'a> {
    /// The `null` id.
    #[must_use]
    pub const fn null() -> Self {
        Id {
            raw: Cow::Borrowed("null"),
            kind: IdKind::Null,
        }
    }

    /// A numeric id.
    #[must_use]
    pub fn number(n: impl Into<i128>) -> Id<'static> {
        Id {
            raw: Cow::Owned(n.into().to_string()),
            kind: IdKind::Number,
        }
    }

    /// A string id.
    #[must_use]
    pub fn string(s: &str) -> Id<'static> {
        // Serializing a `&str` to JSON cannot fail.
        let raw = serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""));
        Id {
            raw: Cow::Owned(raw),
            kind: IdKind::String,
        }
    }

    /// Reads an id from its JSON text; `None` if it is not a string, number
    /// or `null` (objects, arrays and booleans are not ids).
    ///
    /// The text is trusted to be one well-formed JSON value, as a parser's
    /// `RawValue` is; surrounding whitespace is ignored.
    #[must_use]
    pub fn from_json(text: &'a str) -> Option<Self> {
        Self::classify(text.trim_matches(|c: char| c.is_ascii_whitespace()))
    }

    pub(crate) fn from_raw(raw: &'a RawValue) -> Option<Self> {
        let text = raw.get();
        let bytes = text.as_bytes();
        // A parsed `RawValue` never has surrounding whitespace (one made by
        // `RawValue::from_string` may): checking its ends is cheaper than
        // trimming.
        match (bytes.first(), bytes.last()) {
            (Some(first), Some(last))
                if !first.is_ascii_whitespace() && !last.is_ascii_whitespace() =>
            {
                Self::classify(text)
            }
            _ => Self::from_spaced(text),
        }
    }

    /// [`from_json`](Self::from_json), kept out of line: inlined into
    /// [`from_raw`](Self::from_raw), the trimming made the single-pass
    /// reader too large to inline.
    #[cold]
    #[inline(never)]
    fn from_spaced(text: &'a str) -> Option<Self> {
        Self::from_json(text)
    }

    /// The id whose text is `raw`, already trimmed.
    fn classify(raw: &'a str) -> Option<Self> {
        let kind = match raw.as_bytes().first()? {
            b'"' => IdKind::String,
            b'n' if raw == "null" => IdKind::Null,
            b'-' | b'0'..=b'9' => IdKind::Number,
            _ => return None,
        };
        Some(Id {
            raw: Cow::Borrowed(raw),
            kind,
        })
    }

    /// The id's kind.
    #[must_use]
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// Whether the id is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.kind == IdKind::Null
    }

    /// The id as JSON text, exactly as it was received or generated.
    #[must_use]
    pub fn as_json(&self) -> &str {
        &self.raw
    }

    /// The number, if the id is an integer that fits `u64`.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self.kind {
            IdKind::Number => self.raw.parse().ok(),
            _ => None,
        }
    }

    /// The string's value (escapes decoded), if the id is a string.
    #[must_use]
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        if self.kind != IdKind::String {
            return None;
        }
        let inner = &self.raw[1..self.raw.len() - 1];
        if inner.contains('\\') {
            serde_json::from_str::<String>(&self.raw)
                .ok()
                .map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// A key that is equal for ids a peer may have re-encoded: a string with
    /// or without escapes, a number as written. Clients match responses on it.
    #[must_use]
    pub fn match_key(&self) -> String {
        match self.kind {
            IdKind::String => {
                let mut key = String::from("s");
                key.push_str(&self.as_str().unwrap_or_default());
                key
            }
            IdKind::Number => format!("n{}", self.raw),
            IdKind::Null => String::from("null"),
        }
    }

    /// Copies whatever is borrowed.
    #[must_use]
    pub fn into_owned(self) -> Id<'static> {
        Id {
            raw: Cow::Owned(self.raw.into_owned()),
            kind: self.kind,
        }
    }
}

impl fmt::Debug for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.raw)
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for Id<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.raw.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Id<'static> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Id::from_json(raw.get())
            .map(Id::into_owned)
            .ok_or_else(|| serde::de::Error::custom("an id must be a string, a number or null"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_value_with_surrounding_whitespace_is_trimmed() {
        let spaced = RawValue::from_string(" 7 \n".to_owned()).unwrap();
        let id = Id::from_raw(&spaced).unwrap();
        assert_eq!((id.as_json(), id.kind()), ("7", IdKind::Number));
        let parsed: &RawValue = serde_json::from_str(" \"a\" ").unwrap();
        let id = Id::from_raw(parsed).unwrap();
        assert_eq!((id.as_json(), id.kind()), ("\"a\"", IdKind::String));
        let object = RawValue::from_string("{}".to_owned()).unwrap();
        assert!(Id::from_raw(&object).is_none());
    }

    #[test]
    fn kinds_follow_the_first_byte() {
        assert_eq!(Id::from_json("-1").map(|i| i.kind()), Some(IdKind::Number));
        assert_eq!(Id::from_json("1.5").map(|i| i.kind()), Some(IdKind::Number));
        assert_eq!(
            Id::from_json("\"1\"").map(|i| i.kind()),
            Some(IdKind::String)
        );
        assert_eq!(Id::from_json("null").map(|i| i.kind()), Some(IdKind::Null));
        for bad in ["{}", "[]", "true", "false", ""] {
            assert!(Id::from_json(bad).is_none(), "{bad} is not an id");
        }
    }

    #[test]
    fn text_is_kept_as_written() {
        let id = Id::from_json("18446744073709551616").unwrap();
        assert_eq!(id.as_json(), "18446744073709551616");
        assert_eq!(id.as_u64(), None);
        assert_eq!(Id::number(-1).as_json(), "-1");
        assert_eq!(Id::string("a\"b").as_json(), r#""a\"b""#);
    }

    #[test]
    fn match_key_sees_through_escapes() {
        let plain = Id::from_json("\"1\"").unwrap();
        let escaped = Id::from_json("\"\\u0031\"").unwrap();
        assert_ne!(plain, escaped);
        assert_eq!(plain.match_key(), escaped.match_key());
        assert_ne!(plain.match_key(), Id::number(1).match_key());
    }
}

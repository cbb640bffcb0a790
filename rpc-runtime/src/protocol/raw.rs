//! One pass over a message's text into borrowed `RawValue` members.
//!
//! Requests and responses share this shape; [`super::request`] and
//! [`super::response`] give the members their meaning.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// The members of one JSON object that JSON-RPC gives a meaning to.
#[derive(Default)]
pub(crate) struct RawObject<'a> {
    pub(crate) jsonrpc: Option<StrMember<'a>>,
    pub(crate) method: Option<StrMember<'a>>,
    pub(crate) params: Option<&'a RawValue>,
    pub(crate) id: Option<&'a RawValue>,
    pub(crate) result: Option<&'a RawValue>,
    pub(crate) error: Option<&'a RawValue>,
    /// The first member that appeared twice: such an object is invalid,
    /// since which of the two values counts would be a guess.
    pub(crate) duplicate: Option<&'static str>,
}

/// A member that must be a string: read straight as one (borrowed unless it
/// has escapes), or noted as something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StrMember<'a> {
    Str(Cow<'a, str>),
    NotAString,
}

impl StrMember<'_> {
    pub(crate) fn is(&self, expected: &str) -> bool {
        matches!(self, StrMember::Str(s) if s == expected)
    }
}

/// One member of a batch: an object, or any other JSON value.
pub(crate) enum RawItem<'a> {
    Object(RawObject<'a>),
    NotAnObject,
}

/// A whole message: one object, an array of items (each already turned
/// into a `T`), or another JSON value.
pub(crate) enum RawMessage<'a, T> {
    Object(RawObject<'a>),
    Array(Vec<T>),
    Other,
}

/// Why the text is not a message at all.
pub(crate) enum RawError {
    /// Not JSON.
    Syntax(serde_json::Error),
    /// An array longer than the limit.
    TooLong,
}

/// Parses `text` into its raw members; arrays longer than `max_len` stop
/// the parse early rather than being read in full. Each member of an array
/// is handed to `item` as soon as it is read, so a batch is built in one go
/// rather than converted afterwards.
pub(crate) fn parse<'de, T>(
    text: &'de str,
    max_len: usize,
    item: impl Fn(RawItem<'de>) -> T,
) -> Result<RawMessage<'de, T>, RawError> {
    let too_long = Cell::new(false);
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = TopSeed {
        max_len,
        too_long: &too_long,
        item,
    }
    .deserialize(&mut de)
    .and_then(|m| {
        de.end()?;
        Ok(m)
    });
    parsed.map_err(|e| {
        if too_long.get() {
            RawError::TooLong
        } else {
            RawError::Syntax(e)
        }
    })
}

struct TopSeed<'c, F> {
    max_len: usize,
    too_long: &'c Cell<bool>,
    item: F,
}

impl<'de, T, F: Fn(RawItem<'de>) -> T> DeserializeSeed<'de> for TopSeed<'_, F> {
    type Value = RawMessage<'de, T>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! not_structured {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method<E: de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Ok(<Self::Value as OtherValue>::OTHER)
        })*
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(<Self::Value as OtherValue>::OTHER)
        }
    };
}

trait OtherValue {
    const OTHER: Self;
}

impl<T> OtherValue for RawMessage<'_, T> {
    const OTHER: Self = RawMessage::Other;
}

impl OtherValue for RawItem<'_> {
    const OTHER: Self = RawItem::NotAnObject;
}

impl<'de, T, F: Fn(RawItem<'de>) -> T> Visitor<'de> for TopSeed<'_, F> {
    type Value = RawMessage<'de, T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    not_structured!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ObjectVisitor.visit_map(map).map(RawMessage::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max_len));
        while let Some(item) = seq.next_element_seed(ItemSeed)? {
            if items.len() == self.max_len {
                self.too_long.set(true);
                return Err(de::Error::custom("batch too long"));
            }
            items.push((self.item)(item));
        }
        Ok(RawMessage::Array(items))
    }
}

struct ItemSeed;

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = RawItem<'de>;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = RawItem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message")
    }

    not_structured!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64, visit_str: &str);

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ObjectVisitor.visit_map(map).map(RawItem::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawItem::NotAnObject)
    }
}

/// The members JSON-RPC gives a meaning to, by name; any other is `Other`.
pub(crate) enum Field {
    Jsonrpc,
    Method,
    Params,
    Id,
    Result,
    Error,
    Other,
}

impl<'de> de::Deserialize<'de> for Field {
    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(FieldVisitor)
    }
}

struct FieldVisitor;

impl Visitor<'_> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    #[inline]
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
        Ok(match key {
            "jsonrpc" => Field::Jsonrpc,
            "method" => Field::Method,
            "params" => Field::Params,
            "id" => Field::Id,
            "result" => Field::Result,
            "error" => Field::Error,
            _ => Field::Other,
        })
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut obj = RawObject::default();
        while let Some(field) = map.next_key::<Field>()? {
            let (slot, name) = match field {
                Field::Jsonrpc | Field::Method => {
                    let (slot, name) = match field {
                        Field::Jsonrpc => (&mut obj.jsonrpc, "jsonrpc"),
                        _ => (&mut obj.method, "method"),
                    };
                    let value = map.next_value_seed(StrSeed)?;
                    if slot.replace(value).is_some() && obj.duplicate.is_none() {
                        obj.duplicate = Some(name);
                    }
                    continue;
                }
                Field::Params => (&mut obj.params, "params"),
                Field::Id => (&mut obj.id, "id"),
                Field::Result => (&mut obj.result, "result"),
                Field::Error => (&mut obj.error, "error"),
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = map.next_value::<&'de RawValue>()?;
            if slot.replace(value).is_some() && obj.duplicate.is_none() {
                obj.duplicate = Some(name);
            }
        }
        Ok(obj)
    }
}

struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = StrMember<'de>;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl OtherValue for StrMember<'_> {
    const OTHER: Self = StrMember::NotAString;
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = StrMember<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    not_structured!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_f64: f64);

    #[inline]
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(StrMember::Str(Cow::Borrowed(v)))
    }

    #[inline]
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(StrMember::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(StrMember::NotAString)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(StrMember::NotAString)
    }
}

//! The fast path for the common message: one plain request whose params are
//! decoded straight into the called method's argument types, in the same
//! pass over the text as the rest of the request.
//!
//! The general parser cannot do that: it meets the params before it knows
//! whose argument types they must become, so it keeps them raw and the
//! handler reads them a second time. Here a cheap scan finds the method name
//! first ([`method_name`]); the router looks the method up, and the method's
//! own monomorphised parser ([`parse_call`]) reads the request once.
//!
//! Nothing here decides what a malformed or unusual message means. Anything
//! but a plain, valid 2.0 request with exactly the members `jsonrpc`,
//! `method`, `params` and `id` (escaped strings, duplicates, extra members,
//! params that do not decode, a syntax error) makes [`parse_call`] decline,
//! and the message takes the general path, which answers it precisely. So
//! both paths give the same answer to every text; a property test and the
//! fuzz target check that.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::raw::Field;
use super::{Id, Request, Version};
use crate::params::{FromParams, Params};

/// The value of a message's top-level `"method"` member, if the message is
/// an object whose members before it are plain strings or scalars.
///
/// This only scans; it does not validate. A text it misreads fails the
/// comparison [`parse_call`] makes with the method name it parses itself.
#[must_use]
pub(crate) fn method_name(text: &str) -> Option<&str> {
    // How most clients begin a request, ours included; checked first since
    // it costs a comparison where the scan below costs a loop per member.
    const USUAL_START: &str = r#"{"jsonrpc":"2.0","method":""#;
    if let Some(rest) = text.strip_prefix(USUAL_START) {
        let end = rest.bytes().position(|b| b == b'"' || b == b'\\')?;
        return (rest.as_bytes()[end] == b'"').then(|| &rest[..end]);
    }
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    loop {
        at = skip_space(bytes, at + 1);
        let (key, after_key) = plain_string(bytes, at)?;
        at = skip_space(bytes, after_key);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_space(bytes, at + 1);
        if &bytes[key] == b"method" {
            let (value, _) = plain_string(bytes, at)?;
            // Both ends are ASCII quotes, so they are character boundaries.
            return text.get(value);
        }
        at = match bytes.get(at)? {
            b'"' => plain_string(bytes, at)?.1,
            b'{' | b'[' => return None,
            _ => scalar_end(bytes, at),
        };
        at = skip_space(bytes, at);
        if bytes.get(at) != Some(&b',') {
            return None;
        }
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The content range of a string starting at `at`, and the index after its
/// closing quote; `None` if there is no string there or it has escapes.
fn plain_string(bytes: &[u8], at: usize) -> Option<(std::ops::Range<usize>, usize)> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let start = at + 1;
    let len = bytes
        .get(start..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\')?;
    let end = start + len;
    (bytes[end] == b'"').then_some((start..end, end + 1))
}

/// The index after a number or literal starting at `at`.
fn scalar_end(bytes: &[u8], at: usize) -> usize {
    let rest = &bytes[at..];
    at + rest
        .iter()
        .position(|&b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(rest.len())
}

/// A request read in one pass, its arguments already decoded.
pub(crate) struct Call<'a, A> {
    /// The id; `None` for a notification.
    pub(crate) id: Option<Id<'a>>,
    /// The method's arguments.
    pub(crate) args: A,
}

/// Parses `text` as a 2.0 request to `method` whose params decode into `A`;
/// `None` when the message needs the general path.
pub(crate) fn parse_call<'a, A: FromParams<'a>>(
    text: &'a str,
    method: &str,
    names: &[&'static str],
) -> Option<Call<'a, A>> {
    let seed = ArgsSeed {
        names,
        _args: PhantomData,
    };
    let found = parse_plain(text, seed)?;
    if found.method != method {
        return None;
    }
    let id = found.id()?;
    let args = match found.params {
        Some(args) => args,
        None => A::from_params(Params::none(), names).ok()?,
    };
    Some(Call { id, args })
}

/// Parses `text` as a plain 2.0 request (the same members [`parse_call`]
/// takes), its params left raw: how a router with layers reads a single
/// call, whatever its method, before the layers see it and the method
/// decodes the params. `None` when the message needs the general path.
pub(crate) fn parse_request(text: &str) -> Option<Request<'_>> {
    let found = parse_plain(text, PhantomData::<&RawValue>)?;
    let id = found.id()?;
    let params = match found.params {
        None => Params::none(),
        Some(raw) => Params::from_raw(raw)?,
    };
    Some(Request {
        version: Version::V2,
        method: Cow::Borrowed(found.method),
        params,
        id,
    })
}

/// Reads `text` as a plain 2.0 request, its params read by `seed`.
fn parse_plain<'a, S: DeserializeSeed<'a>>(text: &'a str, seed: S) -> Option<Plain<'a, S::Value>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = de::Deserializer::deserialize_map(&mut deserializer, PlainVisitor(seed)).ok()?;
    deserializer.end().ok()?;
    Some(found)
}

/// The members of a plain request: the method as written (borrowed, so an
/// escaped name declines), the params as the seed read them, the raw id.
struct Plain<'a, P> {
    method: &'a str,
    params: Option<P>,
    id: Option<&'a RawValue>,
}

impl<'a, P> Plain<'a, P> {
    /// The id (`None` inside for a notification); `None` for an id that is
    /// not a string, a number or null.
    fn id(&self) -> Option<Option<Id<'a>>> {
        match self.id {
            None => Some(None),
            Some(raw) => Id::from_raw(raw).map(Some),
        }
    }
}

struct PlainVisitor<S>(S);

/// Declines the fast path; the message is answered by the general one.
fn decline<E: de::Error>() -> E {
    E::custom("not a plain request")
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for PlainVisitor<S> {
    type Value = Plain<'de, S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC request")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut seed = Some(self.0);
        let mut version = false;
        let (mut method, mut params, mut id) = (None, None, None);
        while let Some(member) = map.next_key::<Field>()? {
            match member {
                Field::Jsonrpc if !version => {
                    version = true;
                    if map.next_value::<&str>()? != "2.0" {
                        return Err(decline());
                    }
                }
                Field::Method if method.is_none() => method = Some(map.next_value::<&str>()?),
                // The seed is there once: a second `params` declines.
                Field::Params => match seed.take() {
                    Some(seed) => params = Some(map.next_value_seed(seed)?),
                    None => return Err(decline()),
                },
                Field::Id if id.is_none() => id = Some(map.next_value()?),
                _ => return Err(decline()),
            }
        }
        match method {
            Some(method) if version => Ok(Plain { method, params, id }),
            _ => Err(decline()),
        }
    }
}

struct ArgsSeed<'n, A> {
    names: &'n [&'static str],
    _args: PhantomData<A>,
}

impl<'de, A: FromParams<'de>> DeserializeSeed<'de> for ArgsSeed<'_, A> {
    type Value = A;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<A, D::Error> {
        A::from_deserializer(deserializer, self.names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_method_after_plain_members() {
        let cases = [
            (
                r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
                Some("add"),
            ),
            (
                r#" { "id" : 7 , "jsonrpc":"2.0", "method" : "a.b" }"#,
                Some("a.b"),
            ),
            (r#"{"id":-1.5e3,"method":"m"}"#, Some("m")),
            (r#"{"id":"x,y}","method":"m"}"#, Some("m")),
            (r#"{"params":[1],"method":"m"}"#, None),
            (r#"{"method":"a\u0062"}"#, None),
            (r#"{"id":"\"","method":"m"}"#, None),
            (r#"[{"method":"m"}]"#, None),
            (r#"{"method":1}"#, None),
            (r#"{"method""#, None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(method_name(text), want, "{text}");
        }
    }

    /// The id's text and the arguments `add(a, b?)` was called with.
    type Read = (Option<String>, (i64, Option<i64>));

    fn call(text: &str) -> Option<Read> {
        let call = parse_call::<(i64, Option<i64>)>(text, "add", &["a", "b"])?;
        Some((call.id.map(|id| id.as_json().to_owned()), call.args))
    }

    #[test]
    fn plain_requests_are_read_in_one_pass() {
        assert_eq!(
            call(r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#),
            Some((Some("1".into()), (1, Some(2))))
        );
        assert_eq!(
            call(r#"{"id":"x","params":{"b":2,"a":1},"method":"add","jsonrpc":"2.0"}"#),
            Some((Some("\"x\"".into()), (1, Some(2))))
        );
        assert_eq!(
            call(r#"{"jsonrpc":"2.0","method":"add","params":[1]}"#),
            Some((None, (1, None)))
        );
    }

    #[test]
    fn anything_unusual_declines() {
        for text in [
            r#"{"jsonrpc":"2.0","method":"sub","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"1.0","method":"add","params":[1,2],"id":1}"#,
            r#"{"method":"add","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1,"x":0}"#,
            r#"{"jsonrpc":"2.0","method":"add","method":"add","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1,"id":2}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,"x"],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2,3],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"c":2},"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":null,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{}}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":true}"#,
            r#"{"jsonrpc":"2.0","method":"a\u0064d","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1} x"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,,2],"id":1}"#,
            r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}]"#,
        ] {
            assert!(call(text).is_none(), "{text}");
        }
    }
}

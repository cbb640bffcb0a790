use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::SeqAccessDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use super::{Params, ParamsError, ParamsKind};

/// A method's argument list, decodable from positional or named params.
///
/// Implemented for tuples of up to 16 `Deserialize` types; the `#[rpc]`
/// macro decodes every method's arguments through it, in one pass over the
/// params, straight into the argument types.
///
/// ```
/// use rpc_runtime::params::{FromParams, Params};
/// let p = Params::from_json("[2.5]").unwrap();
/// let (x, factor) = <(f64, Option<f64>)>::from_params(p, &["x", "factor"]).unwrap();
/// assert_eq!((x, factor), (2.5, None));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be decoded as a method's parameter list",
    note = "every argument of an RPC method must implement `serde::Deserialize`"
)]
pub trait FromParams<'de>: Sized {
    /// Decodes the arguments; `names` are their JSON names, in order.
    ///
    /// # Errors
    /// A [`ParamsError`] naming the parameter at fault.
    fn from_params(params: Params<'de>, names: &[&'static str]) -> Result<Self, ParamsError>;

    /// How many arguments, when fixed: a method registered with the wrong
    /// number of names is refused at registration.
    #[doc(hidden)]
    const ARITY: Option<usize> = None;

    /// Decodes the arguments straight from the params value of a request
    /// being parsed, so the params are read once, in the same pass as the
    /// rest of the request.
    ///
    /// Any failure only means "take the slow path": the router then decodes
    /// through [`FromParams::from_params`], whose errors name the parameter.
    /// The default always declines.
    #[doc(hidden)]
    fn from_deserializer<D: de::Deserializer<'de>>(
        deserializer: D,
        names: &[&'static str],
    ) -> Result<Self, D::Error> {
        let _ = (deserializer, names);
        Err(de::Error::custom("no single-pass decoder"))
    }
}

impl<'de> FromParams<'de> for () {
    const ARITY: Option<usize> = Some(0);

    fn from_params(params: Params<'de>, _names: &[&'static str]) -> Result<Self, ParamsError> {
        let Some(json) = params.as_json() else {
            return Ok(());
        };
        let whole = |e: serde_json::Error| ParamsError::Whole(e.to_string());
        match params.kind() {
            ParamsKind::Positional => {
                let found = serde_json::from_str::<Vec<IgnoredAny>>(json)
                    .map_err(whole)?
                    .len();
                if found > 0 {
                    return Err(ParamsError::TooMany {
                        names: Vec::new(),
                        found,
                    });
                }
            }
            ParamsKind::Named => {
                let keys =
                    serde_json::from_str::<std::collections::BTreeMap<String, IgnoredAny>>(json)
                        .map_err(whole)?;
                if let Some(key) = keys.into_keys().next() {
                    return Err(ParamsError::Unknown {
                        key,
                        names: Vec::new(),
                    });
                }
            }
            ParamsKind::None => {}
        }
        Ok(())
    }

    fn from_deserializer<D: de::Deserializer<'de>>(
        deserializer: D,
        _names: &[&'static str],
    ) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoArguments)
    }
}

/// Accepts `[]` and `{}` only: the params of a method without arguments.
struct NoArguments;

impl<'de> Visitor<'de> for NoArguments {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no parameters")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(de::Error::custom("too many parameters")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match map.next_key::<IgnoredAny>()? {
            None => Ok(()),
            Some(_) => Err(de::Error::custom("unknown parameter")),
        }
    }
}

/// Decodes one argument, remembering which parameter failed and why.
struct ArgSeed<'c, T> {
    name: &'static str,
    failure: &'c Cell<Option<ParamsError>>,
    _t: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ArgSeed<'_, T> {
    type Value = T;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::deserialize(d).inspect_err(|e| {
            self.failure
                .set(Some(ParamsError::from_decoder(self.name, &e.to_string())));
        })
    }
}

fn arg<'c, T>(name: &'static str, failure: &'c Cell<Option<ParamsError>>) -> ArgSeed<'c, T> {
    ArgSeed {
        name,
        failure,
        _t: PhantomData,
    }
}

/// A missing argument: `Option<T>` becomes `None`, anything else is an error.
fn missing<'de, T: Deserialize<'de>>(name: &'static str) -> Result<T, ParamsError> {
    T::deserialize(Missing).map_err(|_: de::value::Error| ParamsError::Missing(name))
}

struct Missing;

impl<'de> de::Deserializer<'de> for Missing {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("missing"))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a parameter name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Fills a tuple of `Option` slots from an array or an object.
struct Fill<'s, 'c, S> {
    slots: &'s mut S,
    names: &'s [&'static str],
    failure: &'c Cell<Option<ParamsError>>,
    /// The last slot is variadic: it takes every remaining positional param.
    rest: bool,
}

impl<S> Fill<'_, '_, S> {
    fn fail<E: de::Error>(&self, error: ParamsError) -> E {
        let message = error.to_string();
        self.failure.set(Some(error));
        E::custom(message)
    }
}

fn run<'de, S>(
    params: Params<'de>,
    names: &[&'static str],
    slots: &mut S,
    rest: bool,
) -> Result<(), ParamsError>
where
    for<'s, 'c> Fill<'s, 'c, S>: Visitor<'de, Value = ()>,
{
    let Some(json) = params.as_json() else {
        return Ok(());
    };
    let failure = Cell::new(None);
    let mut de = serde_json::Deserializer::from_str(json);
    let fill = Fill {
        slots,
        names,
        failure: &failure,
        rest,
    };
    let result = match params.kind() {
        ParamsKind::Positional => de.deserialize_seq(fill),
        ParamsKind::Named => de.deserialize_map(fill),
        ParamsKind::None => Ok(()),
    };
    result.map_err(|e| {
        failure
            .take()
            .unwrap_or_else(|| ParamsError::Whole(super::error::strip_position(&e.to_string())))
    })
}

macro_rules! tuple_impls {
    ($( ($($idx:tt $T:ident),+) )+) => {$(
        impl<'s, 'c, 'de, $($T: Deserialize<'de>),+> Visitor<'de> for Fill<'s, 'c, ($(Option<$T>,)+)> {
            type Value = ();

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or an object of parameters")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                $(
                    if self.rest && $idx + 1 == self.names.len() {
                        let rest = SeqAccessDeserializer::new(&mut seq);
                        self.slots.$idx = Some(arg::<$T>(self.names[$idx], self.failure).deserialize(rest)?);
                        return Ok(());
                    }
                    match seq.next_element_seed(arg::<$T>(self.names[$idx], self.failure))? {
                        Some(value) => self.slots.$idx = Some(value),
                        None => return Ok(()),
                    }
                )+
                let mut surplus = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    surplus += 1;
                }
                if surplus > 0 {
                    let names = self.names.iter().copied().filter(|n| !n.is_empty()).collect::<Vec<_>>();
                    let found = self.names.len() + surplus;
                    return Err(self.fail(ParamsError::TooMany { names, found }));
                }
                Ok(())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match self.names.iter().position(|name| !name.is_empty() && **name == *key) {
                        $(Some($idx) => {
                            if self.slots.$idx.is_some() {
                                return Err(self.fail(ParamsError::Duplicate(self.names[$idx])));
                            }
                            self.slots.$idx = Some(map.next_value_seed(arg::<$T>(self.names[$idx], self.failure))?);
                        })+
                        _ => {
                            let names = self.names.iter().copied().filter(|n| !n.is_empty()).collect();
                            return Err(self.fail(ParamsError::Unknown { key: key.into_owned(), names }));
                        }
                    }
                }
                Ok(())
            }
        }

        impl<'de, $($T: Deserialize<'de>),+> Arguments<'de> for ($($T,)+) {
            fn decode(params: Params<'de>, names: &[&'static str], rest: bool) -> Result<Self, ParamsError> {
                let mut slots = ($(None::<$T>,)+);
                let names = checked_names(names, [$($idx),+].len());
                run(params, names, &mut slots, rest)?;
                Ok(($(
                    match slots.$idx.take() {
                        Some(value) => value,
                        None => absent::<$T>(names[$idx], rest && $idx + 1 == names.len())?,
                    },
                )+))
            }

            fn decode_from<D: de::Deserializer<'de>>(
                deserializer: D,
                names: &[&'static str],
                rest: bool,
            ) -> Result<Self, D::Error> {
                let mut slots = ($(None::<$T>,)+);
                let names = checked_names(names, [$($idx),+].len());
                let failure = Cell::new(None);
                deserializer.deserialize_any(Fill {
                    slots: &mut slots,
                    names,
                    failure: &failure,
                    rest,
                })?;
                Ok(($(
                    match slots.$idx.take() {
                        Some(value) => value,
                        None => absent::<$T>(names[$idx], rest && $idx + 1 == names.len())
                            .map_err(|_| de::Error::custom("missing"))?,
                    },
                )+))
            }
        }
    )+};
}

/// A tuple of arguments, decoded with or without a variadic last one.
trait Arguments<'de>: Sized {
    fn decode(params: Params<'de>, names: &[&'static str], rest: bool)
        -> Result<Self, ParamsError>;
    fn decode_from<D: de::Deserializer<'de>>(
        deserializer: D,
        names: &[&'static str],
        rest: bool,
    ) -> Result<Self, D::Error>;
}

macro_rules! from_params_impls {
    ($( ($($T:ident),+) )+) => {$(
        impl<'de, $($T: Deserialize<'de>),+> FromParams<'de> for ($($T,)+) {
            const ARITY: Option<usize> = Some([$(stringify!($T)),+].len());

            fn from_params(params: Params<'de>, names: &[&'static str]) -> Result<Self, ParamsError> {
                Arguments::decode(params, names, false)
            }

            fn from_deserializer<D: de::Deserializer<'de>>(
                deserializer: D,
                names: &[&'static str],
            ) -> Result<Self, D::Error> {
                Arguments::decode_from(deserializer, names, false)
            }
        }

        impl<'de, $($T: Deserialize<'de>),+> FromParams<'de> for Variadic<($($T,)+)> {
            const ARITY: Option<usize> = Some([$(stringify!($T)),+].len());

            fn from_params(params: Params<'de>, names: &[&'static str]) -> Result<Self, ParamsError> {
                Arguments::decode(params, names, true).map(Variadic)
            }

            fn from_deserializer<D: de::Deserializer<'de>>(
                deserializer: D,
                names: &[&'static str],
            ) -> Result<Self, D::Error> {
                Arguments::decode_from(deserializer, names, true).map(Variadic)
            }
        }
    )+};
}

/// Arguments whose last one is variadic: given positionally, it takes every
/// param after the others (none at all included), so its type is a sequence
/// such as `Vec<T>`; given by name, its value is an array. `#[rpc]` uses it
/// for an argument marked `#[param(variadic)]`.
///
/// ```
/// use rpc_runtime::params::{FromParams, Params, Variadic};
/// let sum = |json| {
///     let Variadic((scale, values)) = <Variadic<(i64, Vec<i64>)>>::from_params(
///         Params::from_json(json).unwrap(), &["scale", "values"]).unwrap();
///     scale * values.iter().sum::<i64>()
/// };
/// assert_eq!(sum("[10, 1, 2, 4]"), 70);
/// assert_eq!(sum("[10]"), 0);
/// assert_eq!(sum(r#"{"scale": 10, "values": [1, 2]}"#), 30);
/// assert_eq!(sum(r#"{"scale": 10}"#), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variadic<A>(pub A);

/// An argument with no param: a variadic one is empty, an `Option` is
/// `None`, anything else is missing.
fn absent<'de, T: Deserialize<'de>>(name: &'static str, variadic: bool) -> Result<T, ParamsError> {
    if variadic {
        let empty =
            de::value::SeqDeserializer::<_, de::value::Error>::new(std::iter::empty::<()>());
        if let Ok(value) = T::deserialize(empty) {
            return Ok(value);
        }
    }
    missing(name)
}

/// The macro always passes one name per argument; a hand-written call that
/// passes too few gets unnamed parameters rather than a panic.
fn checked_names<'n>(names: &'n [&'static str], arity: usize) -> &'n [&'static str] {
    const UNNAMED: [&str; 16] = [""; 16];
    if names.len() >= arity {
        &names[..arity]
    } else {
        &UNNAMED[..arity]
    }
}

from_params_impls! {
    (T0)
    (T0, T1)
    (T0, T1, T2)
    (T0, T1, T2, T3)
    (T0, T1, T2, T3, T4)
    (T0, T1, T2, T3, T4, T5)
    (T0, T1, T2, T3, T4, T5, T6)
    (T0, T1, T2, T3, T4, T5, T6, T7)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14)
    (T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15)
}

tuple_impls! {
    (0 T0)
    (0 T0, 1 T1)
    (0 T0, 1 T1, 2 T2)
    (0 T0, 1 T1, 2 T2, 3 T3)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10, 11 T11)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10, 11 T11, 12 T12)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10, 11 T11, 12 T12, 13 T13)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10, 11 T11, 12 T12, 13 T13, 14 T14)
    (0 T0, 1 T1, 2 T2, 3 T3, 4 T4, 5 T5, 6 T6, 7 T7, 8 T8, 9 T9, 10 T10, 11 T11, 12 T12, 13 T13, 14 T14, 15 T15)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode<'a, T: FromParams<'a>>(json: &'a str, names: &[&'static str]) -> Result<T, String> {
        let params = Params::from_json(json).ok_or("not params")?;
        T::from_params(params, names).map_err(|e| e.to_string())
    }

    const AB: &[&str] = &["a", "b"];

    #[test]
    fn positional_and_named_agree() {
        assert_eq!(decode::<(i64, i64)>("[1, 2]", AB), Ok((1, 2)));
        assert_eq!(decode::<(i64, i64)>(r#"{"b": 2, "a": 1}"#, AB), Ok((1, 2)));
    }

    #[test]
    fn trailing_options_may_be_omitted() {
        assert_eq!(decode::<(i64, Option<i64>)>("[1]", AB), Ok((1, None)));
        assert_eq!(decode::<(i64, Option<i64>)>("[1, null]", AB), Ok((1, None)));
        assert_eq!(
            decode::<(i64, Option<i64>)>(r#"{"a": 1}"#, AB),
            Ok((1, None))
        );
        assert_eq!(
            <(i64, Option<i64>)>::from_params(Params::none(), AB).map_err(|e| e.to_string()),
            Err("missing required parameter \"a\"".to_string())
        );
    }

    #[test]
    fn every_failure_names_the_parameter() {
        let cases: &[(&str, &str)] = &[
            ("[1]", "missing required parameter \"b\""),
            (r#"{"a": 1}"#, "missing required parameter \"b\""),
            (
                "[1, 2, 3]",
                "too many parameters: expected at most 2 (a, b), found 3",
            ),
            (
                r#"{"a": 1, "b": 2, "c": 3}"#,
                "unknown parameter \"c\", expected one of: a, b",
            ),
            (r#"{"a": 1, "a": 2, "b": 3}"#, "duplicate parameter \"a\""),
            (
                r#"[1, "x"]"#,
                "invalid type for parameter \"b\": expected i64, found string \"x\"",
            ),
            (
                r#"{"b": true, "a": 1}"#,
                "invalid type for parameter \"b\": expected i64, found boolean `true`",
            ),
            (
                "[1, 1e400]",
                "invalid value for parameter \"b\": number out of range",
            ),
        ];
        for (json, want) in cases {
            assert_eq!(decode::<(i64, i64)>(json, AB).unwrap_err(), *want, "{json}");
        }
    }

    #[test]
    fn no_arguments() {
        assert_eq!(decode::<()>("[]", &[]), Ok(()));
        assert_eq!(decode::<()>("{}", &[]), Ok(()));
        assert_eq!(
            decode::<()>("[1]", &[]).unwrap_err(),
            "too many parameters: expected at most 0 (none), found 1"
        );
        assert_eq!(
            decode::<()>(r#"{"x":1}"#, &[]).unwrap_err(),
            "unknown parameter \"x\", expected one of: none"
        );
    }
}

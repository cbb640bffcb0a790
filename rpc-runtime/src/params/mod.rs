//! Method parameters: decoding on the server side, encoding on the client side.
//!
//! Every method accepts both forms the specification allows: positional
//! (`[1, 2]`) and named (`{"a": 1, "b": 2}`). Trailing `Option<T>` arguments
//! may be left out. Surplus, unknown, duplicate or missing parameters and
//! values of the wrong type are each a `-32602` whose message names the
//! parameter and the problem.

mod decode;
mod encode;
mod error;

pub use decode::{FromParams, Variadic};
pub use encode::{EncodeError, EncodedParams, NamedParams, PositionalParams};
pub use error::ParamsError;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::protocol::ErrorObjectOwned;

/// Which form a request's params take.
///
/// Exhaustive on purpose: the specification (section 4.2) allows params to
/// be absent, an array or an object, and nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamsKind {
    /// No `params` member.
    None,
    /// An array.
    Positional,
    /// An object.
    Named,
}

/// A request's params, still raw JSON borrowed from the message.
///
/// ```
/// use rpc_runtime::params::Params;
/// let params = Params::from_json(r#"{"b": 2, "a": 1}"#).unwrap();
/// let (a, b): (i64, Option<i64>) = params.decode(&["a", "b"]).unwrap();
/// assert_eq!((a, b), (1, Some(2)));
///
/// let err = Params::from_json(r#"[1, "x"]"#).unwrap().decode::<(i64, i64)>(&["a", "b"]).unwrap_err();
/// assert_eq!(err.message, r#"invalid type for parameter "b": expected i64, found string "x""#);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Params<'a> {
    raw: Option<&'a RawValue>,
    kind: ParamsKind,
}

impl<'a> Params<'a> {
    /// No params at all.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            raw: None,
            kind: ParamsKind::None,
        }
    }

    /// Params from a raw JSON value; `None` unless it is an array or object.
    #[must_use]
    pub fn from_raw(raw: &'a RawValue) -> Option<Self> {
        let kind = match raw.get().as_bytes().first()? {
            b'[' => ParamsKind::Positional,
            b'{' => ParamsKind::Named,
            _ => return None,
        };
        Some(Self {
            raw: Some(raw),
            kind,
        })
    }

    /// Params from JSON text; `None` unless it is a JSON array or object.
    #[must_use]
    pub fn from_json(text: &'a str) -> Option<Self> {
        let raw: &RawValue = serde_json::from_str(text).ok()?;
        Self::from_raw(raw)
    }

    /// Which form the params take.
    #[must_use]
    pub fn kind(&self) -> ParamsKind {
        self.kind
    }

    /// Whether the params are an object.
    #[must_use]
    pub fn is_named(&self) -> bool {
        self.kind == ParamsKind::Named
    }

    /// The params' JSON text, if any were sent.
    #[must_use]
    pub fn as_json(&self) -> Option<&'a str> {
        self.raw.map(RawValue::get)
    }

    /// Decodes a method's arguments, given their JSON names in order.
    ///
    /// # Errors
    /// `-32602` naming the parameter when an argument is missing, has the
    /// wrong type, is unknown or duplicated, or there are too many.
    pub fn decode<T: FromParams<'a>>(&self, names: &[&'static str]) -> Result<T, ErrorObjectOwned> {
        T::from_params(*self, names).map_err(|e| e.to_error_object())
    }

    /// Decodes the params as a whole into `T` (a `Vec` for a variadic method,
    /// a struct for named params). Absent params decode as `[]`.
    ///
    /// ```
    /// use rpc_runtime::params::Params;
    /// let nums: Vec<i64> = Params::from_json("[1, 2, 4]").unwrap().parse().unwrap();
    /// assert_eq!(nums.iter().sum::<i64>(), 7);
    /// assert_eq!(Params::none().parse::<Vec<i64>>().unwrap(), Vec::<i64>::new());
    /// ```
    ///
    /// # Errors
    /// `-32602` with the decoder's message when the params are not a valid `T`.
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, ErrorObjectOwned> {
        serde_json::from_str(self.as_json().unwrap_or("[]")).map_err(|e| {
            ParamsError::Whole(error::strip_position(&e.to_string())).to_error_object()
        })
    }
}

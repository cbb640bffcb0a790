use std::fmt;

use serde::Serialize;

/// A value could not be encoded as a parameter.
#[derive(Debug, thiserror::Error)]
#[error("cannot encode parameter \"{name}\": {source}")]
pub struct EncodeError {
    name: String,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl EncodeError {
    fn new(name: &str, source: serde_json::Error) -> Self {
        Self {
            name: name.to_owned(),
            source: Box::new(source),
        }
    }
}

/// Params encoded as JSON text for a request: absent, an array or an object.
///
/// ```
/// use rpc_runtime::params::{EncodedParams, PositionalParams};
/// let mut p = PositionalParams::new();
/// p.push("a", &1).unwrap();
/// p.push("b", &"two").unwrap();
/// assert_eq!(p.finish().as_json(), Some(r#"[1,"two"]"#));
/// assert_eq!(EncodedParams::none().as_json(), None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct EncodedParams(Option<String>);

impl EncodedParams {
    /// No `params` member.
    pub const fn none() -> Self {
        Self(None)
    }

    /// Encodes any value that serializes to a JSON array or object.
    ///
    /// ```
    /// use rpc_runtime::params::EncodedParams;
    /// assert_eq!(EncodedParams::from_value(&(1, 2)).unwrap().as_json(), Some("[1,2]"));
    /// assert!(EncodedParams::from_value(&5).is_err());
    /// ```
    ///
    /// # Errors
    /// When `value` does not serialize, or not to an array or object.
    pub fn from_value<T: Serialize + ?Sized>(value: &T) -> Result<Self, EncodeError> {
        let json = serde_json::to_string(value).map_err(|e| EncodeError::new("params", e))?;
        if json.starts_with('[') || json.starts_with('{') {
            Ok(Self(Some(json)))
        } else {
            Err(EncodeError::new(
                "params",
                serde::ser::Error::custom("params must be an array or an object"),
            ))
        }
    }

    /// The JSON text, if any.
    #[must_use]
    pub fn as_json(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// These params and one more, `since` = `position`: the last of
    /// positional params, member `"since"` of named ones (replacing one
    /// there), or alone by position when there were none. How a
    /// resubscription asks to resume after a position.
    ///
    /// ```
    /// use rpc_runtime::params::EncodedParams;
    /// let at = "e:4-0";
    /// assert_eq!(EncodedParams::from_value(&["news"]).unwrap().with_since(at).as_json(), Some(r#"["news","e:4-0"]"#));
    /// assert_eq!(EncodedParams::from_value(&[0; 0]).unwrap().with_since(at).as_json(), Some(r#"["e:4-0"]"#));
    /// let named = serde_json::json!({"topic": "news", "since": "e:1-0"});
    /// assert_eq!(EncodedParams::from_value(&named).unwrap().with_since(at).as_json(), Some(r#"{"since":"e:4-0","topic":"news"}"#));
    /// assert_eq!(EncodedParams::none().with_since(at).as_json(), Some(r#"["e:4-0"]"#));
    /// ```
    pub fn with_since(&self, position: &str) -> EncodedParams {
        let value = serde_json::Value::String(position.to_owned());
        let params = self
            .0
            .as_deref()
            .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok());
        let params = match params {
            Some(serde_json::Value::Object(mut members)) => {
                members.insert("since".to_owned(), value);
                serde_json::Value::Object(members)
            }
            Some(serde_json::Value::Array(mut items)) => {
                items.push(value);
                serde_json::Value::Array(items)
            }
            _ => serde_json::Value::Array(vec![value]),
        };
        Self(Some(params.to_string()))
    }
}

impl fmt::Debug for EncodedParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json().unwrap_or("<none>"))
    }
}

/// Builds positional params (`[a, b]`) one argument at a time.
#[derive(Debug)]
#[must_use = "call `finish` to get the params"]
pub struct PositionalParams {
    buf: Vec<u8>,
}

impl Default for PositionalParams {
    fn default() -> Self {
        Self::new()
    }
}

impl PositionalParams {
    /// An empty list.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(32);
        buf.push(b'[');
        Self { buf }
    }

    /// Appends an argument; `name` is only used in the error message.
    ///
    /// # Errors
    /// When the value does not serialize.
    pub fn push<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), EncodeError> {
        if self.buf.len() > 1 {
            self.buf.push(b',');
        }
        serde_json::to_writer(&mut self.buf, value).map_err(|e| EncodeError::new(name, e))
    }

    /// Appends every element of `values`, which must serialize to an
    /// array, as arguments of their own: how a variadic argument is sent.
    /// `name` is only used in the error message.
    ///
    /// ```
    /// use rpc_runtime::params::PositionalParams;
    /// let mut p = PositionalParams::new();
    /// p.push("scale", &10).unwrap();
    /// p.extend("values", &[1, 2, 4]).unwrap();
    /// p.extend("more", &Vec::<i64>::new()).unwrap();
    /// assert_eq!(p.finish().as_json(), Some("[10,1,2,4]"));
    /// assert!(PositionalParams::new().extend("x", &5).is_err());
    /// ```
    ///
    /// # Errors
    /// When the value does not serialize, or not to an array.
    pub fn extend<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        values: &T,
    ) -> Result<(), EncodeError> {
        let start = self.buf.len();
        serde_json::to_writer(&mut self.buf, values).map_err(|e| EncodeError::new(name, e))?;
        // serde_json writes compact JSON: an array is exactly `[...]`.
        let array = &self.buf[start..];
        if array.first() != Some(&b'[') || array.last() != Some(&b']') {
            self.buf.truncate(start);
            return Err(EncodeError::new(
                name,
                serde::ser::Error::custom("a variadic argument must serialize to an array"),
            ));
        }
        self.buf.pop();
        if self.buf.len() == start + 1 {
            // An empty array adds nothing.
            self.buf.truncate(start);
        } else if start == 1 {
            self.buf.remove(start);
        } else {
            self.buf[start] = b',';
        }
        Ok(())
    }

    /// The encoded array.
    pub fn finish(mut self) -> EncodedParams {
        self.buf.push(b']');
        EncodedParams(String::from_utf8(self.buf).ok())
    }
}

/// Builds named params (`{"a": 1}`) one argument at a time.
///
/// ```
/// use rpc_runtime::params::NamedParams;
/// let mut p = NamedParams::new();
/// p.insert("minuend", &42).unwrap();
/// p.insert("subtrahend", &23).unwrap();
/// assert_eq!(p.finish().as_json(), Some(r#"{"minuend":42,"subtrahend":23}"#));
/// ```
#[derive(Debug)]
#[must_use = "call `finish` to get the params"]
pub struct NamedParams {
    buf: Vec<u8>,
}

impl Default for NamedParams {
    fn default() -> Self {
        Self::new()
    }
}

impl NamedParams {
    /// An empty object.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(48);
        buf.push(b'{');
        Self { buf }
    }

    /// Adds an argument under its JSON name.
    ///
    /// # Errors
    /// When the value does not serialize.
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Result<(), EncodeError> {
        if self.buf.len() > 1 {
            self.buf.push(b',');
        }
        serde_json::to_writer(&mut self.buf, name).map_err(|e| EncodeError::new(name, e))?;
        self.buf.push(b':');
        serde_json::to_writer(&mut self.buf, value).map_err(|e| EncodeError::new(name, e))
    }

    /// The encoded object.
    pub fn finish(mut self) -> EncodedParams {
        self.buf.push(b'}');
        EncodedParams(String::from_utf8(self.buf).ok())
    }
}

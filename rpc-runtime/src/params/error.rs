use std::fmt;

use crate::protocol::{ErrorObject, ErrorObjectOwned};

/// Why params could not be decoded; each becomes a `-32602` whose message
/// names the parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A required parameter is absent.
    #[error("missing required parameter \"{0}\"")]
    Missing(&'static str),
    /// A parameter's value has the wrong type.
    #[error("invalid type for parameter \"{name}\": expected {expected}, found {found}")]
    InvalidType {
        /// The parameter.
        name: &'static str,
        /// What the method takes.
        expected: String,
        /// What was sent.
        found: String,
    },
    /// A parameter's value is of the right type but not acceptable.
    #[error("invalid value for parameter \"{name}\": {reason}")]
    InvalidValue {
        /// The parameter.
        name: &'static str,
        /// The decoder's explanation.
        reason: String,
    },
    /// More positional params than the method takes.
    #[error("too many parameters: expected at most {} ({}), found {found}", .names.len(), NameList(.names))]
    TooMany {
        /// The method's parameters.
        names: Vec<&'static str>,
        /// How many were sent.
        found: usize,
    },
    /// A named param the method does not have.
    #[error("unknown parameter \"{key}\", expected one of: {}", NameList(.names))]
    Unknown {
        /// The name that was sent.
        key: String,
        /// The method's parameters.
        names: Vec<&'static str>,
    },
    /// The same named param twice.
    #[error("duplicate parameter \"{0}\"")]
    Duplicate(&'static str),
    /// The params as a whole are not what the method takes.
    #[error("invalid params: {0}")]
    Whole(String),
}

impl ParamsError {
    /// The `-32602` error object for this failure.
    #[must_use]
    pub fn to_error_object(&self) -> ErrorObjectOwned {
        ErrorObject::invalid_params(self.to_string())
    }

    /// Classifies a decoder's message about one parameter.
    #[cold]
    pub(crate) fn from_decoder(name: &'static str, message: &str) -> Self {
        let message = strip_position(message);
        let split = |prefix: &str| {
            let rest = message.strip_prefix(prefix)?;
            let (found, expected) = rest.split_once(", expected ")?;
            Some((found.to_string(), expected.to_string()))
        };
        if let Some((found, expected)) = split("invalid type: ") {
            ParamsError::InvalidType {
                name,
                expected,
                found,
            }
        } else if let Some((found, expected)) = split("invalid value: ") {
            ParamsError::InvalidValue {
                name,
                reason: format!("expected {expected}, found {found}"),
            }
        } else {
            ParamsError::InvalidValue {
                name,
                reason: message,
            }
        }
    }
}

struct NameList<'a>(&'a [&'static str]);

impl fmt::Display for NameList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// Drops serde_json's " at line L column C": positions inside the params are
/// noise to a caller, who is told the parameter's name instead.
pub(crate) fn strip_position(message: &str) -> String {
    if let Some(at) = message.rfind(" at line ") {
        let tail = &message[at + " at line ".len()..];
        if let Some((line, col)) = tail.split_once(" column ") {
            if line.bytes().all(|b| b.is_ascii_digit()) && col.bytes().all(|b| b.is_ascii_digit()) {
                return message[..at].to_string();
            }
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_decoder_messages() {
        let e = ParamsError::from_decoder(
            "b",
            "invalid type: string \"x\", expected i64 at line 1 column 3",
        );
        assert_eq!(
            e.to_string(),
            r#"invalid type for parameter "b": expected i64, found string "x""#
        );
        let e = ParamsError::from_decoder("p", "missing field `x`");
        assert_eq!(
            e.to_string(),
            "invalid value for parameter \"p\": missing field `x`"
        );
    }
}

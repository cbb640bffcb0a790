//! How messages are cut from a byte stream.

use std::fmt;
use std::str::FromStr;

/// How messages are delimited on a byte stream (TCP, Unix socket), chosen
/// per endpoint; both ends must use the same.
///
/// ```
/// use rpc_runtime::stream::Framing;
/// assert_eq!("newline".parse::<Framing>().unwrap(), Framing::Newline);
/// assert_eq!("content-length".parse::<Framing>().unwrap(), Framing::ContentLength);
/// assert_eq!("LSP".parse::<Framing>().unwrap(), Framing::ContentLength);
/// assert_eq!(Framing::default(), Framing::Newline);
/// assert_eq!(Framing::ContentLength.to_string(), "content-length");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Framing {
    /// Newline-delimited JSON: one message per line. A `\r` before the
    /// `\n` is tolerated and lines holding only whitespace are skipped; a
    /// line that is not JSON is a message like any other (the core answers
    /// it `-32700`). Messages sent never contain a raw newline (JSON never
    /// needs one: every `\n` and `\r` of a hand-made message is sent as a
    /// space, which is the same JSON).
    #[default]
    Newline,
    /// The LSP base protocol: `Content-Length: N\r\n\r\n` then N bytes of
    /// body. Other headers (`Content-Type`) are tolerated, names are
    /// case-insensitive; a header block that cannot be read closes the
    /// connection after a `-32700`, as the stream cannot be resynchronised.
    ContentLength,
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Framing::Newline => "newline",
            Framing::ContentLength => "content-length",
        })
    }
}

/// A framing name that is neither `newline` nor `content-length`.
///
/// ```
/// assert!("json-seq".parse::<rpc_runtime::stream::Framing>().is_err());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("unknown framing {0:?} (expected \"newline\" or \"content-length\")")]
pub struct UnknownFraming(String);

/// Reads `newline` (also `ndjson`, `lines`) and `content-length` (also
/// `lsp`), in any case.
impl FromStr for Framing {
    type Err = UnknownFraming;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "newline" | "ndjson" | "lines" => Ok(Framing::Newline),
            "content-length" | "lsp" => Ok(Framing::ContentLength),
            _ => Err(UnknownFraming(name.to_owned())),
        }
    }
}

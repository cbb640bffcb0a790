//! Where an item stands in a topic's history: what a reconnecting client
//! hands back to resume.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The place of one item in a topic that keeps history, written
/// `EPOCH:MAJOR-MINOR` on the wire (a Redis stream id after the epoch, or
/// a sequence number and `0` in process).
///
/// The epoch names one life of the history: an in-process topic draws a
/// new one when it is created, a Redis topic keeps one in Redis next to its
/// stream. A position of another epoch cannot be resumed from (the history
/// it pointed into is gone), so resuming from it is an unrecoverable gap.
/// Within an epoch, offsets grow with every item.
///
/// ```
/// use rpc_runtime::subscription::Position;
/// let p: Position = "5f3a:1733065000000-2".parse()?;
/// assert_eq!((p.epoch(), p.offset()), ("5f3a", (1_733_065_000_000, 2)));
/// assert_eq!(p.to_string(), "5f3a:1733065000000-2");
/// let q = Position::new("5f3a", 1_733_065_000_000, 3);
/// assert!(q.follows(&p) && !p.follows(&q));
/// assert!("no-colon".parse::<Position>().is_err());
/// # Ok::<(), rpc_runtime::subscription::PositionError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    epoch: Arc<str>,
    offset: (u64, u64),
}

/// Text that is not a [`Position`].
///
/// ```
/// use rpc_runtime::subscription::Position;
/// let error = "e:12-x".parse::<Position>().unwrap_err();
/// assert_eq!(error.to_string(), "not a position (EPOCH:MAJOR-MINOR): `e:12-x`");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("not a position (EPOCH:MAJOR-MINOR): `{0}`")]
pub struct PositionError(String);

impl Position {
    /// The position `offset` (`major-minor`) in `epoch`.
    ///
    /// ```
    /// use rpc_runtime::subscription::Position;
    /// assert_eq!(Position::new("e1", 7, 0).to_string(), "e1:7-0");
    /// ```
    #[must_use]
    pub fn new(epoch: &str, major: u64, minor: u64) -> Self {
        Self {
            epoch: Arc::from(epoch),
            offset: (major, minor),
        }
    }

    /// The history's epoch.
    ///
    /// ```
    /// use rpc_runtime::subscription::Position;
    /// assert_eq!(Position::new("e1", 7, 0).epoch(), "e1");
    /// ```
    #[must_use]
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The offset within the epoch, `(major, minor)`.
    ///
    /// ```
    /// use rpc_runtime::subscription::Position;
    /// assert_eq!(Position::new("e1", 7, 1).offset(), (7, 1));
    /// ```
    #[must_use]
    pub fn offset(&self) -> (u64, u64) {
        self.offset
    }

    /// Whether this comes after `other` in the same epoch (`false` across
    /// epochs: they are not ordered).
    ///
    /// ```
    /// use rpc_runtime::subscription::Position;
    /// assert!(Position::new("a", 2, 0).follows(&Position::new("a", 1, 9)));
    /// assert!(!Position::new("b", 2, 0).follows(&Position::new("a", 1, 0)));
    /// ```
    #[must_use]
    pub fn follows(&self, other: &Position) -> bool {
        self.epoch == other.epoch && self.offset > other.offset
    }

    /// The offset as Redis writes a stream id, `MAJOR-MINOR`.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn stream_id(&self) -> String {
        format!("{}-{}", self.offset.0, self.offset.1)
    }

    /// Parses a Redis stream id `MAJOR-MINOR` (or `MAJOR`) in `epoch`.
    pub(crate) fn from_stream_id(epoch: &str, id: &str) -> Option<Self> {
        let (major, minor) = id.split_once('-').unwrap_or((id, "0"));
        Some(Self::new(epoch, major.parse().ok()?, minor.parse().ok()?))
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}-{}", self.epoch, self.offset.0, self.offset.1)
    }
}

impl FromStr for Position {
    type Err = PositionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (epoch, id) = text
            .rsplit_once(':')
            .ok_or_else(|| PositionError(text.to_owned()))?;
        if epoch.is_empty() {
            return Err(PositionError(text.to_owned()));
        }
        Self::from_stream_id(epoch, id).ok_or_else(|| PositionError(text.to_owned()))
    }
}

impl serde::Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openrpc")]
impl schemars::JsonSchema for Position {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Position".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^.+:[0-9]+-[0-9]+$",
            "description": "A place in a topic's history (EPOCH:MAJOR-MINOR)"
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let p = Position::new("ab", 3, 4);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#""ab:3-4""#);
        assert_eq!(serde_json::from_str::<Position>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Position>(r#""ab:3-""#).is_err());
        assert!(serde_json::from_str::<Position>(r#"":3-4""#).is_err());
    }
}

//! Subscription ids: what the subscribe call answers and every notification
//! of the subscription names.

use std::fmt;
use std::sync::Arc;

use rand::distr::{Alphanumeric, SampleString as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A subscription's id: a JSON string (random by default) or a number.
///
/// ```
/// use rpc_runtime::subscription::SubscriptionId;
/// let id = SubscriptionId::random();
/// assert_eq!(id.to_string().len(), 24);
/// assert_ne!(id, SubscriptionId::random());
/// assert_eq!(serde_json::to_string(&SubscriptionId::number(7)).unwrap(), "7");
/// let back: SubscriptionId = serde_json::from_str(r#""abc""#).unwrap();
/// assert_eq!(back, SubscriptionId::string("abc"));
/// assert_eq!((back.to_json(), SubscriptionId::number(7).to_json()), (r#""abc""#.to_owned(), "7".to_owned()));
/// ```
///
/// Exhaustive on purpose: like a request id, a subscription id is a JSON
/// string or number, and a `match` on both is complete.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum SubscriptionId {
    /// A string id.
    Str(Arc<str>),
    /// A number id.
    Num(u64),
}

impl SubscriptionId {
    /// A string id.
    #[must_use]
    pub fn string(id: &str) -> Self {
        Self::Str(id.into())
    }

    /// A number id.
    #[must_use]
    pub fn number(id: u64) -> Self {
        Self::Num(id)
    }

    /// 24 random letters and digits (about 143 bits) from the thread's
    /// cryptographically secure generator: not guessable, and in practice
    /// never the same twice.
    #[must_use]
    pub fn random() -> Self {
        Self::Str(Alphanumeric.sample_string(&mut rand::rng(), 24).into())
    }

    /// The id as JSON text: `"abc"` or `7`.
    #[must_use]
    pub fn to_json(&self) -> String {
        match self {
            // Serializing a string cannot fail.
            Self::Str(id) => serde_json::to_string(&**id).unwrap_or_default(),
            Self::Num(id) => id.to_string(),
        }
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(id) => f.write_str(id),
            Self::Num(id) => write!(f, "{id}"),
        }
    }
}

impl fmt::Debug for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl Serialize for SubscriptionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(id) => serializer.serialize_str(id),
            Self::Num(id) => serializer.serialize_u64(*id),
        }
    }
}

impl<'de> Deserialize<'de> for SubscriptionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SubscriptionId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a subscription id (a string or a non-negative integer)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SubscriptionId::string(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(SubscriptionId::Num(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(SubscriptionId::Num)
                    .map_err(|_| E::custom("a subscription id is never negative"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(feature = "openrpc")]
impl schemars::JsonSchema for SubscriptionId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SubscriptionId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A subscription id, as the subscribe call answered it",
            "type": ["string", "integer"]
        })
    }
}

/// Makes the ids of a connection's subscriptions, instead of
/// [`SubscriptionId::random`]. An id still in use on the connection is
/// never handed out twice: the maker is asked again.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use rpc_runtime::subscription::{SubscriptionId, SubscriptionIds};
/// let next = AtomicU64::new(1);
/// let ids = SubscriptionIds::new(move || SubscriptionId::number(next.fetch_add(1, Ordering::Relaxed)));
/// assert_eq!(ids.make(), SubscriptionId::number(1));
/// ```
#[derive(Clone)]
pub struct SubscriptionIds(Arc<dyn Fn() -> SubscriptionId + Send + Sync>);

impl SubscriptionIds {
    /// Ids from `make`.
    pub fn new(make: impl Fn() -> SubscriptionId + Send + Sync + 'static) -> Self {
        Self(Arc::new(make))
    }

    /// The next id.
    #[must_use]
    pub fn make(&self) -> SubscriptionId {
        (self.0)()
    }
}

impl Default for SubscriptionIds {
    fn default() -> Self {
        Self::new(SubscriptionId::random)
    }
}

impl fmt::Debug for SubscriptionIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubscriptionIds(..)")
    }
}

//! Request id generators, shared by every transport of this crate.
//!
//! A client asks its generator for a fresh id for each call (and each call
//! in a batch). The default is [`DecimalIds`]: `1`, `2`, `3`, … Any
//! `Fn() -> Id<'static> + Send + Sync` closure is a generator too.
//!
//! ```
//! use rpc_client::id::{DecimalIds, HexIds, IdGenerator};
//! use rpc_runtime::protocol::Id;
//!
//! let decimal = DecimalIds::new();
//! assert_eq!(decimal.next_id(), Id::number(1));
//! assert_eq!(decimal.next_id(), Id::number(2));
//!
//! let hex = HexIds::new();
//! let ids: Vec<_> = (0..11).map(|_| hex.next_id()).collect();
//! assert_eq!(ids[10], Id::string("b"));
//!
//! let constant = || Id::string("mine");
//! assert_eq!(constant.next_id(), Id::string("mine"));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use rand::distr::{Alphanumeric, SampleString};
use rpc_runtime::protocol::Id;

/// Makes the id of each outgoing call.
///
/// Ids must be unique among the calls a client has in flight (and within a
/// batch), or responses cannot be matched to calls. Clients hold their
/// generator as an `Arc<dyn IdGenerator>`, so one generator can be shared by
/// several clients (for instance an HTTP and a WebSocket client).
pub trait IdGenerator: Send + Sync {
    /// The id for the next call.
    fn next_id(&self) -> Id<'static>;
}

impl<F> IdGenerator for F
where
    F: Fn() -> Id<'static> + Send + Sync,
{
    fn next_id(&self) -> Id<'static> {
        self()
    }
}

/// Numeric ids counting up from 1: `1`, `2`, `3`, … (the default).
///
/// ```
/// use rpc_client::id::{DecimalIds, IdGenerator};
/// let ids = DecimalIds::starting_at(41);
/// assert_eq!(ids.next_id().as_json(), "41");
/// assert_eq!(ids.next_id().as_json(), "42");
/// ```
#[derive(Debug)]
pub struct DecimalIds {
    next: AtomicU64,
}

impl DecimalIds {
    /// Counts from 1.
    #[must_use]
    pub fn new() -> Self {
        Self::starting_at(1)
    }

    /// Counts from `first`.
    #[must_use]
    pub fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first),
        }
    }
}

impl Default for DecimalIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGenerator for DecimalIds {
    fn next_id(&self) -> Id<'static> {
        Id::number(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// String ids counting up from 1 in lowercase hexadecimal: `"1"`, … `"9"`,
/// `"a"`, `"b"`, …
///
/// ```
/// use rpc_client::id::{HexIds, IdGenerator};
/// let ids = HexIds::starting_at(255);
/// assert_eq!(ids.next_id().as_json(), r#""ff""#);
/// assert_eq!(ids.next_id().as_json(), r#""100""#);
/// ```
#[derive(Debug)]
pub struct HexIds {
    next: AtomicU64,
}

impl HexIds {
    /// Counts from 1.
    #[must_use]
    pub fn new() -> Self {
        Self::starting_at(1)
    }

    /// Counts from `first`.
    #[must_use]
    pub fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first),
        }
    }
}

impl Default for HexIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGenerator for HexIds {
    fn next_id(&self) -> Id<'static> {
        Id::string(&format!("{:x}", self.next.fetch_add(1, Ordering::Relaxed)))
    }
}

/// Random UUID v4 string ids, e.g. `"67e55044-10b1-426f-9247-bb680e5fe0c8"`.
///
/// ```
/// use rpc_client::id::{IdGenerator, UuidIds};
/// let id = UuidIds.next_id();
/// let text = id.as_str().unwrap();
/// assert_eq!(text.len(), 36);
/// assert_eq!(&text[14..15], "4"); // the version nibble
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct UuidIds;

impl IdGenerator for UuidIds {
    fn next_id(&self) -> Id<'static> {
        Id::string(&uuid::Uuid::new_v4().to_string())
    }
}

/// Random string ids of `len` ASCII letters and digits.
///
/// Collisions are possible with short lengths: 62^len ids in all (16 chars
/// give about 95 bits).
///
/// ```
/// use rpc_client::id::{IdGenerator, RandomIds};
/// let id = RandomIds::new(12).next_id();
/// let text = id.as_str().unwrap();
/// assert_eq!(text.len(), 12);
/// assert!(text.chars().all(|c| c.is_ascii_alphanumeric()));
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RandomIds {
    /// How many characters each id has.
    pub len: usize,
}

impl RandomIds {
    /// Ids of `len` characters.
    #[must_use]
    pub fn new(len: usize) -> Self {
        Self { len }
    }
}

impl IdGenerator for RandomIds {
    fn next_id(&self) -> Id<'static> {
        Id::string(&Alphanumeric.sample_string(&mut rand::rng(), self.len))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashSet;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn decimal_ids_count_from_one() {
        let ids = DecimalIds::new();
        let got: Vec<_> = (0..3).map(|_| ids.next_id().as_u64().unwrap()).collect();
        assert_eq!(got, [1, 2, 3]);
    }

    #[test]
    fn hex_ids_are_strings_in_base_16() {
        let ids = HexIds::starting_at(9);
        let got: Vec<_> = (0..3)
            .map(|_| ids.next_id().as_str().unwrap().into_owned())
            .collect();
        assert_eq!(got, ["9", "a", "b"]);
    }

    #[test]
    fn random_ids_differ() {
        let ids = RandomIds::new(16);
        let set: HashSet<_> = (0..100).map(|_| ids.next_id().match_key()).collect();
        assert_eq!(set.len(), 100);
    }

    #[test]
    fn uuid_ids_parse_as_v4() {
        let id = UuidIds.next_id();
        let uuid = uuid::Uuid::parse_str(&id.as_str().unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
    }

    #[test]
    fn generators_share_behind_an_arc() {
        let shared: Arc<dyn IdGenerator> = Arc::new(DecimalIds::new());
        let other = Arc::clone(&shared);
        assert_eq!(shared.next_id().as_u64(), Some(1));
        assert_eq!(other.next_id().as_u64(), Some(2));
    }
}

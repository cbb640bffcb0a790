//! [`RetryPolicy`]: how often and how long apart to retry.

use std::time::Duration;

use rand::Rng;

/// How many times [`RetryLayer`](super::RetryLayer) retries and how long it
/// waits between attempts: exponential backoff with full jitter. Before
/// retry `n` (counted from 0) it waits a random time between zero and
/// `min(max_backoff, initial_backoff × 2ⁿ)`.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::middleware::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(4)
///     .initial_backoff(Duration::from_millis(50))
///     .max_backoff(Duration::from_secs(2));
/// assert_eq!(policy.backoff_ceiling(0), Duration::from_millis(50));
/// assert_eq!(policy.backoff_ceiling(3), Duration::from_millis(400));
/// assert_eq!(policy.backoff_ceiling(10), Duration::from_secs(2));
/// assert!(policy.backoff(3) <= Duration::from_millis(400));
/// ```
///
/// It may gain settings: start from [`Default`] and set what differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (`0`: never retry).
    pub max_retries: u32,
    /// The ceiling of the first wait.
    pub initial_backoff: Duration,
    /// The ceiling of every wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, waits up to 100 ms, 200 ms, 400 ms (at most 5 s).
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Sets [`max_retries`](Self::max_retries): retries after the first
    /// attempt.
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets [`initial_backoff`](Self::initial_backoff): the ceiling of the
    /// first wait.
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// Sets [`max_backoff`](Self::max_backoff): the ceiling of every wait.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest wait before retry `retry` (from 0):
    /// `min(max_backoff, initial_backoff × 2^retry)`.
    #[must_use]
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 1_u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry` (from 0): uniformly random between
    /// zero and [`backoff_ceiling`](Self::backoff_ceiling) ("full jitter").
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = u64::try_from(self.backoff_ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=ceiling))
    }
}

use std::time::Duration;

use rand::Rng;

/// When and how often a [`WsClient`](super::WsClient) reconnects after its
/// connection drops. Calls pending at the drop fail at once either way; the
/// policy only gives new calls a connection again.
///
/// The waits grow exponentially, `initial × 2ⁿ` before attempt `n` up to
/// `max` ([`delay`](Self::delay)), with "equal jitter": the client waits a
/// random time between half of that and all of it
/// ([`wait`](Self::wait)), so many clients dropped by one server restart
/// do not all come back at the same instant, and none comes back sooner
/// than half the delay. [`with_jitter(false)`](Self::with_jitter) waits the
/// delay exactly.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::ReconnectPolicy;
/// let policy = ReconnectPolicy::exponential(Duration::from_millis(100), Duration::from_secs(5))
///     .with_max_attempts(Some(10));
/// assert_eq!(policy.delay(0), Duration::from_millis(100));
/// assert_eq!(policy.delay(2), Duration::from_millis(400));
/// assert_eq!(policy.delay(30), Duration::from_secs(5));
/// let wait = policy.wait(2);
/// assert!(wait >= Duration::from_millis(200) && wait <= Duration::from_millis(400));
/// assert_eq!(policy.with_jitter(false).wait(2), Duration::from_millis(400));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ReconnectPolicy {
    initial: Duration,
    max: Duration,
    max_attempts: Option<u32>,
    jitter: bool,
}

impl ReconnectPolicy {
    /// Waits about `initial`, then twice as long after each failed attempt,
    /// up to `max` between attempts (jittered, see the type's docs);
    /// retries forever unless [`with_max_attempts`](Self::with_max_attempts)
    /// says otherwise.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            max_attempts: None,
            jitter: true,
        }
    }

    /// Waits about `delay` before every attempt (between half of it and
    /// all of it, unless [`with_jitter(false)`](Self::with_jitter)).
    pub fn fixed(delay: Duration) -> Self {
        Self::exponential(delay, delay)
    }

    /// Gives up after `attempts` failed attempts in a row (`None`: never).
    pub fn with_max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Whether to randomize the waits (default on).
    pub fn with_jitter(mut self, enabled: bool) -> Self {
        self.jitter = enabled;
        self
    }

    /// The longest wait before attempt number `attempt` (counting from 0):
    /// `min(max, initial × 2^attempt)`.
    #[must_use]
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// The wait the client makes before attempt number `attempt`: with
    /// jitter uniformly random in `[delay / 2, delay]`, without it `delay`.
    #[must_use]
    pub fn wait(&self, attempt: u32) -> Duration {
        let delay = self.delay(attempt);
        if !self.jitter {
            return delay;
        }
        let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos))
    }

    /// Whether attempt number `attempt` (counting from 0) may be made.
    #[must_use]
    pub fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempt < max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jittered_waits_spread_between_half_the_delay_and_all_of_it() {
        let policy = ReconnectPolicy::fixed(Duration::from_millis(100));
        let waits: Vec<Duration> = (0..200).map(|_| policy.wait(0)).collect();
        assert!(waits
            .iter()
            .all(|w| *w >= Duration::from_millis(50) && *w <= Duration::from_millis(100)));
        // 200 draws from a 50 ms range: not all alike.
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 100, "{} distinct waits", distinct.len());
    }
}

use std::time::Duration;

/// When and how often a [`WsClient`](super::WsClient) reconnects after its
/// connection drops. Calls pending at the drop fail at once either way; the
/// policy only gives new calls a connection again.
///
/// ```
/// use std::time::Duration;
/// use rpc_client::ReconnectPolicy;
/// let policy = ReconnectPolicy::exponential(Duration::from_millis(100), Duration::from_secs(5))
///     .with_max_attempts(Some(10));
/// assert_eq!(policy.delay(0), Duration::from_millis(100));
/// assert_eq!(policy.delay(2), Duration::from_millis(400));
/// assert_eq!(policy.delay(30), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ReconnectPolicy {
    initial: Duration,
    max: Duration,
    max_attempts: Option<u32>,
}

impl ReconnectPolicy {
    /// Waits `initial`, then twice as long after each failed attempt, up to
    /// `max` between attempts; retries forever unless
    /// [`with_max_attempts`](Self::with_max_attempts) says otherwise.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            max_attempts: None,
        }
    }

    /// Waits `delay` before every attempt.
    pub fn fixed(delay: Duration) -> Self {
        Self::exponential(delay, delay)
    }

    /// Gives up after `attempts` failed attempts in a row (`None`: never).
    pub fn with_max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The wait before attempt number `attempt` (counting from 0).
    #[must_use]
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// Whether attempt number `attempt` (counting from 0) may be made.
    #[must_use]
    pub fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempt < max)
    }
}

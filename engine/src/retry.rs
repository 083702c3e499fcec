//! Retry policy of a step: exponential backoff with jitter and a bounded number of attempts.

use std::time::Duration;

/// How a failing step is retried. Defaults: 1 s initial delay, factor 2, 5 min cap, 5 attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay before the second attempt.
    pub initial_delay: Duration,
    /// Multiplier applied per further attempt.
    pub factor: f64,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// Attempts in all, the first included; at least 1.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(300),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn no_retry() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay after the given failed attempt (1-based), with ±20 % jitter.
    pub fn delay_after(&self, attempt: i32) -> Duration {
        let exp = self.factor.powi((attempt - 1).max(0));
        let base = self.initial_delay.as_secs_f64() * exp;
        let capped = base.min(self.max_delay.as_secs_f64());
        let jitter = rand::random_range(0.8..1.2);
        Duration::from_secs_f64((capped * jitter).min(self.max_delay.as_secs_f64()))
    }

    /// Whether another attempt is allowed after `attempt` failed.
    pub fn allows_retry_after(&self, attempt: i32) -> bool {
        attempt < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_exponentially_and_is_capped() {
        let p = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            factor: 2.0,
            max_delay: Duration::from_millis(500),
            max_attempts: 10,
        };
        let d1 = p.delay_after(1).as_secs_f64();
        let d3 = p.delay_after(3).as_secs_f64();
        assert!((0.08..=0.12).contains(&d1), "{d1}");
        assert!((0.32..=0.48).contains(&d3), "{d3}");
        assert!(p.delay_after(9).as_secs_f64() <= 0.5);
    }

    #[test]
    fn retries_stop_at_max_attempts() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(p.allows_retry_after(2));
        assert!(!p.allows_retry_after(3));
        assert!(!RetryPolicy::no_retry().allows_retry_after(1));
    }
}

//! Retry policy of a step: a per-attempt timeout, exponential backoff with jitter and a bounded
//! number of attempts.

use std::time::Duration;

use crate::{Error, Result};

/// Longest delay or timeout a policy may name (about ten years): beyond it instants overflow.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How a failing step is retried. Defaults: 10 min timeout per attempt, 1 s initial delay, factor 2,
/// 5 min cap, 5 attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Longest one attempt of the step may run; a hung attempt is cancelled and counts as a
    /// retryable failure. A heartbeat alone never keeps a step alive past it.
    pub timeout: Duration,
    /// Delay before the second attempt.
    pub initial_delay: Duration,
    /// Multiplier applied per further attempt (at least 1).
    pub factor: f64,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// Attempts in all, the first included; at least 1.
    pub max_attempts: i32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
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

    /// Checks the policy and names the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, message: &str| {
            Err(Error::InvalidOption {
                name,
                message: message.to_owned(),
            })
        };
        if self.max_attempts < 1 {
            return bad("retry.max_attempts", "must be at least 1");
        }
        if !self.factor.is_finite() || self.factor < 1.0 {
            return bad("retry.factor", "must be a finite number of at least 1");
        }
        if self.timeout.is_zero() || self.timeout > LONGEST {
            return bad("retry.timeout", "must be positive and at most ten years");
        }
        if self.initial_delay > self.max_delay || self.max_delay > LONGEST {
            return bad(
                "retry.max_delay",
                "must be at least the initial delay and at most ten years",
            );
        }
        Ok(())
    }

    /// The delay after the given failed attempt (1-based), with ±20 % jitter, never above
    /// `max_delay`. Total for any policy, valid or not: it never panics.
    pub fn delay_after(&self, attempt: i32) -> Duration {
        let cap = self.max_delay.min(LONGEST).as_secs_f64();
        let factor = if self.factor.is_finite() {
            self.factor.max(1.0)
        } else {
            1.0
        };
        let exp = factor.powi(attempt.saturating_sub(1).clamp(0, 1000));
        let base = (self.initial_delay.as_secs_f64() * exp).min(cap);
        let jitter = rand::random_range(0.8..1.2);
        let secs = (base * jitter).min(cap);
        if secs.is_finite() && secs >= 0.0 {
            Duration::from_secs_f64(secs)
        } else {
            Duration::from_secs_f64(cap)
        }
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
            max_delay: Duration::from_millis(500),
            max_attempts: 10,
            ..RetryPolicy::default()
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

    #[test]
    fn a_bad_policy_is_refused_by_name_and_its_delays_never_panic() {
        let bad = [
            (
                RetryPolicy {
                    factor: f64::NAN,
                    ..RetryPolicy::default()
                },
                "retry.factor",
            ),
            (
                RetryPolicy {
                    max_attempts: 0,
                    ..RetryPolicy::default()
                },
                "retry.max_attempts",
            ),
            (
                RetryPolicy {
                    max_delay: Duration::MAX,
                    ..RetryPolicy::default()
                },
                "retry.max_delay",
            ),
            (
                RetryPolicy {
                    timeout: Duration::ZERO,
                    ..RetryPolicy::default()
                },
                "retry.timeout",
            ),
        ];
        for (policy, field) in bad {
            match policy.validate() {
                Err(Error::InvalidOption { name, .. }) => assert_eq!(name, field),
                other => panic!("{policy:?} gave {other:?}"),
            }
            for attempt in [i32::MIN, 0, 1, 50, i32::MAX] {
                assert!(policy.delay_after(attempt) <= LONGEST);
            }
        }
        assert!(RetryPolicy::default().validate().is_ok());
    }
}

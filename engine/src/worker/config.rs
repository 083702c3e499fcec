//! Worker settings, validated when the worker is built.

use std::{sync::Arc, time::Duration};

use crate::{Clock, Error, Hooks, Result, RetryPolicy, SystemClock};

/// How a worker process claims and runs work.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Queues to serve and the number of concurrent runs (slots) for each.
    pub queues: Vec<(String, usize)>,
    /// Lease length; a dead worker's runs are rescued within about this long (default 10 s).
    pub lease: Duration,
    /// Lease renewal period (default lease / 3).
    pub heartbeat: Duration,
    /// Fallback poll period when no notification arrives (default 1 s).
    pub poll_interval: Duration,
    /// Period of the maintenance leader's rescue, timeout and cron sweeps (default 500 ms).
    pub maintenance_interval: Duration,
    /// How long the maintenance leader's role lasts unrenewed; another process takes over after
    /// it (default 5 s).
    pub leader_ttl: Duration,
    /// Period of the concurrency slot accounting check (default 30 s).
    pub slot_check_interval: Duration,
    /// Times a run is handed back unrun (its kind unknown here, or its code newer) before it is
    /// parked (default 3).
    pub max_skips: i32,
    /// Rescues without step progress before a run is stopped as crash-looping (default 3).
    pub max_rescues: i32,
    /// How a workflow that panics outside any step is retried before its run fails (default: the
    /// default step policy, 5 attempts).
    pub panic_policy: RetryPolicy,
    /// How long a soft stop lets running steps finish before cancelling them (default 10 s).
    pub shutdown_grace: Duration,
    /// Finished runs older than this are pruned (default 30 days).
    pub retention: Duration,
    /// Largest serialized step output (default 1 MiB).
    pub max_payload_bytes: usize,
    /// Most tasks claimed in one query (default 100).
    pub claim_batch: usize,
    /// Tasks a queue claims beyond its free slots, to start as soon as a slot frees (graphile-
    /// worker's local queue; ADR 0024). They hold their lease while they wait, so another worker
    /// cannot start them meanwhile: leave it 0 (the default) for long runs, raise it (to a few
    /// times the slots) for many short ones, where it lets each claim and commit batch hundreds.
    pub prefetch: usize,
    /// Identity written into leases, for audit (default host-pid-random).
    pub worker_id: String,
    /// The process clock (tests inject one that disagrees with the database's).
    pub clock: Arc<dyn Clock>,
    /// Test hooks; none in production.
    pub hooks: Hooks,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        Self {
            queues: vec![("default".into(), 10)],
            lease: Duration::from_secs(10),
            heartbeat: Duration::from_millis(3333),
            poll_interval: Duration::from_secs(1),
            maintenance_interval: Duration::from_millis(500),
            leader_ttl: Duration::from_secs(5),
            slot_check_interval: Duration::from_secs(30),
            max_skips: 3,
            max_rescues: 3,
            panic_policy: RetryPolicy::default(),
            shutdown_grace: Duration::from_secs(10),
            retention: Duration::from_secs(30 * 24 * 3600),
            max_payload_bytes: 1 << 20,
            claim_batch: 100,
            prefetch: 0,
            worker_id: format!(
                "{host}-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
            clock: Arc::new(SystemClock),
            hooks: Hooks::default(),
        }
    }
}

impl WorkerConfig {
    /// Checks the settings and names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, message: &str| {
            Err(Error::InvalidOption {
                name,
                message: message.to_owned(),
            })
        };
        if self.queues.is_empty() {
            return bad("queues", "at least one queue is needed");
        }
        if self.queues.iter().any(|(q, n)| q.is_empty() || *n == 0) {
            return bad(
                "queues",
                "queue names must be non-empty and slots at least 1",
            );
        }
        if self.lease < Duration::from_secs(1) {
            return bad("lease", "must be at least 1 s");
        }
        if self.heartbeat.is_zero() || self.heartbeat >= self.lease {
            return bad("heartbeat", "must be positive and shorter than the lease");
        }
        if self.poll_interval.is_zero() || self.maintenance_interval.is_zero() {
            return bad("poll_interval", "intervals must be positive");
        }
        if self.leader_ttl <= self.maintenance_interval {
            return bad("leader_ttl", "must be longer than the maintenance interval");
        }
        if self.slot_check_interval.is_zero() {
            return bad("slot_check_interval", "must be positive");
        }
        if self.max_skips < 1 {
            return bad("max_skips", "must be at least 1");
        }
        self.panic_policy.validate()?;
        if self.max_rescues < 1 {
            return bad("max_rescues", "must be at least 1");
        }
        if self.claim_batch == 0 {
            return bad("claim_batch", "must be at least 1");
        }
        Ok(())
    }
}

//! Prometheus metrics of the engine: queue depth and oldest ready age per served queue, parked
//! runs, claims and claim polls, step latency, finished, parked and pruned runs, lease rescues,
//! slot drift and the maintenance leader. Labels are bounded (queue, step name without its
//! trailing number, status, reason).
//!
//! The gauges are refreshed by every worker's maintenance loop; a refresh that fails, or none for
//! [`GAUGES_STALE_AFTER`], removes them from the exposition rather than repeating an old value.

use std::{
    sync::{Mutex, atomic::AtomicU64},
    time::{Duration, Instant},
};

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

type Labels = Vec<(&'static str, String)>;

/// Queue gauges and the parked count older than this are left out of the exposition: the
/// maintenance loop refreshes them every few seconds, so their absence means it stopped or the
/// database does not answer.
pub(crate) const GAUGES_STALE_AFTER: Duration = Duration::from_secs(30);

/// The step label: the name without a trailing round or wait number (`probe_agent_12`,
/// `relaunch_agent_2`, `add_labels#1` are `probe_agent`, `relaunch_agent`, `add_labels`), so a
/// long run's numbered steps do not make one series each.
pub(crate) fn step_label(name: &str) -> &str {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() == name.len() || trimmed.is_empty() {
        return name;
    }
    trimmed.trim_end_matches(['_', '#', '-', ':'])
}

fn step_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 20,
    ))
}

/// The engine's metrics, registered under the `codex_k8s` prefix. Cheap to share behind an `Arc`.
pub struct Metrics {
    registry: Registry,
    claims: Family<Labels, Counter>,
    step_duration: Family<Labels, Histogram, fn() -> Histogram>,
    runs_finished: Family<Labels, Counter>,
    rescues: Counter,
    queue_depth: Family<Labels, Gauge>,
    queue_oldest_age: Family<Labels, Gauge<f64, AtomicU64>>,
    claim_polls: Family<Labels, Counter>,
    parked: Family<Labels, Counter>,
    slot_drift: Counter,
    pruned: Counter,
    leader: Gauge,
    parked_now: Gauge,
    /// When the gauges were last refreshed (none: never, or the last refresh failed).
    gauges_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with all engine metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("codex_k8s");
        let claims = Family::<Labels, Counter>::default();
        let step_duration = Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(
            step_histogram as fn() -> Histogram,
        );
        let runs_finished = Family::<Labels, Counter>::default();
        let rescues = Counter::default();
        let queue_depth = Family::<Labels, Gauge>::default();
        let queue_oldest_age = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        registry.register("claims", "Tasks claimed, per queue", claims.clone());
        registry.register_with_unit(
            "step_duration",
            "Duration of step attempts",
            prometheus_client::registry::Unit::Seconds,
            step_duration.clone(),
        );
        registry.register(
            "runs_finished",
            "Runs finished, per final status",
            runs_finished.clone(),
        );
        registry.register("lease_rescues", "Expired leases rescued", rescues.clone());
        registry.register("queue_depth", "Ready tasks per queue", queue_depth.clone());
        registry.register_with_unit(
            "queue_oldest_ready_age",
            "Age of the oldest ready task per queue",
            prometheus_client::registry::Unit::Seconds,
            queue_oldest_age.clone(),
        );
        let claim_polls = Family::<Labels, Counter>::default();
        let parked = Family::<Labels, Counter>::default();
        let slot_drift = Counter::default();
        let pruned = Counter::default();
        let leader = Gauge::default();
        let parked_now = Gauge::default();
        registry.register(
            "claim_polls",
            "Claim queries made, per queue (a spinning claimer shows here)",
            claim_polls.clone(),
        );
        registry.register(
            "runs_parked",
            "Runs parked, per reason (nondeterministic, unknown_kind, code_version_ahead)",
            parked.clone(),
        );
        registry.register(
            "slot_drift",
            "Concurrency keys whose active count disagreed with the runs holding them, repaired",
            slot_drift.clone(),
        );
        registry.register(
            "runs_pruned",
            "Finished runs deleted by retention",
            pruned.clone(),
        );
        registry.register(
            "maintenance_leader",
            "1 while this process is the maintenance leader",
            leader.clone(),
        );
        registry.register(
            "parked_runs",
            "Runs parked now, waiting for an operator's retry or cancel (all queues)",
            parked_now.clone(),
        );
        Self {
            registry,
            parked_now,
            gauges_at: Mutex::new(None),
            claim_polls,
            parked,
            slot_drift,
            pruned,
            leader,
            claims,
            step_duration,
            runs_finished,
            rescues,
            queue_depth,
            queue_oldest_age,
        }
    }

    /// The registry, to add more metrics or serve them.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The text exposition format, for `/metrics`.
    pub fn encode(&self) -> String {
        if self.gauges_stale(Instant::now()) {
            self.clear_gauges();
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn claimed(&self, queue: &str, n: u64) {
        self.claims
            .get_or_create(&vec![("queue", queue.to_owned())])
            .inc_by(n);
    }

    pub(crate) fn observe_step(&self, step: &str, d: Duration) {
        self.step_duration
            .get_or_create(&vec![("step", step_label(step).to_owned())])
            .observe(d.as_secs_f64());
    }

    pub(crate) fn finished(&self, status: &str) {
        self.runs_finished
            .get_or_create(&vec![("status", status.to_owned())])
            .inc();
    }

    pub(crate) fn rescued(&self, n: u64) {
        self.rescues.inc_by(n);
    }

    pub(crate) fn claim_polled(&self, queue: &str) {
        self.claim_polls
            .get_or_create(&vec![("queue", queue.to_owned())])
            .inc();
    }

    pub(crate) fn parked(&self, reason: &str) {
        self.parked
            .get_or_create(&vec![("reason", reason.to_owned())])
            .inc();
    }

    pub(crate) fn slot_drift(&self, n: u64) {
        self.slot_drift.inc_by(n);
    }

    pub(crate) fn pruned(&self, n: u64) {
        self.pruned.inc_by(n);
    }

    pub(crate) fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    pub(crate) fn set_queue(&self, queue: &str, depth: i64, oldest_age_s: f64) {
        let labels = vec![("queue", queue.to_owned())];
        self.queue_depth.get_or_create(&labels).set(depth);
        self.queue_oldest_age
            .get_or_create(&labels)
            .set(oldest_age_s);
    }

    pub(crate) fn set_parked(&self, parked: i64) {
        self.parked_now.set(parked);
    }

    /// The gauges were just refreshed (after every `set_queue` and `set_parked` of one sweep).
    pub(crate) fn gauges_refreshed(&self, at: Instant) {
        *self.gauges_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// A refresh failed: the gauges go away until the next one succeeds.
    pub(crate) fn gauges_failed(&self) {
        *self.gauges_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.clear_gauges();
    }

    fn gauges_stale(&self, now: Instant) -> bool {
        let at = *self.gauges_at.lock().unwrap_or_else(|e| e.into_inner());
        at.is_none_or(|at| now.saturating_duration_since(at) > GAUGES_STALE_AFTER)
    }

    fn clear_gauges(&self) {
        self.queue_depth.clear();
        self.queue_oldest_age.clear();
        self.parked_now.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_steps_share_one_label() {
        for (name, label) in [
            ("probe_agent_12", "probe_agent"),
            ("relaunch_agent_2", "relaunch_agent"),
            ("pickup_reaction#1", "pickup_reaction"),
            ("open_question_0", "open_question"),
            ("launch_agent", "launch_agent"),
            ("finish_applied", "finish_applied"),
            ("42", "42"),
        ] {
            assert_eq!(step_label(name), label, "{name}");
        }
    }

    #[test]
    fn gauges_leave_the_exposition_once_stale_or_after_a_failed_refresh() {
        let m = Metrics::new();
        m.set_queue("stages", 3, 1.5);
        m.set_parked(2);
        let fresh = Instant::now();
        m.gauges_refreshed(fresh);
        let text = m.encode();
        assert!(
            text.contains("codex_k8s_queue_depth{queue=\"stages\"} 3"),
            "{text}"
        );
        assert!(text.contains("codex_k8s_parked_runs 2"), "{text}");
        assert!(!m.gauges_stale(fresh + GAUGES_STALE_AFTER));
        assert!(m.gauges_stale(fresh + GAUGES_STALE_AFTER + Duration::from_secs(1)));

        // A refresh 31 s ago (the maintenance loop stopped): the old depth is not served.
        m.gauges_refreshed(fresh - GAUGES_STALE_AFTER - Duration::from_secs(1));
        let text = m.encode();
        assert!(!text.contains("codex_k8s_queue_depth{"), "{text}");
        assert!(text.contains("codex_k8s_parked_runs 0"), "{text}");

        m.set_queue("stages", 1, 0.0);
        m.gauges_refreshed(Instant::now());
        assert!(
            m.encode()
                .contains("codex_k8s_queue_depth{queue=\"stages\"} 1")
        );
        m.gauges_failed();
        assert!(!m.encode().contains("codex_k8s_queue_depth{"));
    }
}

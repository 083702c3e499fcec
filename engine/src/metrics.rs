//! Prometheus metrics of the engine: queue depth and oldest ready age per served queue, claims and
//! claim polls, step latency, finished, parked and pruned runs, lease rescues, slot drift and the
//! maintenance leader. Labels are bounded (queue, step name, status, reason).

use std::{sync::atomic::AtomicU64, time::Duration};

use prometheus_client::{
    encoding::text::encode,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

type Labels = Vec<(&'static str, String)>;

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
        Self {
            registry,
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
            .get_or_create(&vec![("step", step.to_owned())])
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
}

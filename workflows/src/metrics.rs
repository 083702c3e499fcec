//! The domain's Prometheus metrics: deliveries routed, approvals, finished agent runs and the
//! code-host calls ([`crate::github`]'s own module). Each process counts what it does itself (the
//! API server the approvals it opens and decides, a worker the routing, the stage runs and most
//! code-host calls), so the families are process-wide and [`register`] adds them to the registry a
//! process serves on `/metrics`.
//!
//! Labels are bounded: an event from [`EVENTS`] (else `other`), an outcome or reason code the code
//! defines, a stage from the policy's catalog, an approval kind and state, an operation name and an
//! HTTP status. Never an id, a URL or error text.

use std::sync::LazyLock;

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::{Registry, Unit},
};

/// The GitHub webhook events the platform subscribes to (the runbook's list) and `ping`; any
/// other event name is counted as `other`.
pub const EVENTS: &[&str] = &[
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
    "ping",
];

/// The metric label of a webhook event name: itself when it is one of [`EVENTS`], else `other`.
pub fn event_label(event: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|e| **e == event)
        .copied()
        .unwrap_or("other")
}

/// Outcomes a routed delivery records (`webhook_deliveries.outcome`); anything else is `other`.
const ROUTED_OUTCOMES: &[&str] = &[
    "run_started",
    "duplicate",
    "ignored",
    "conflict",
    "need_input",
    "failed",
    "recorded",
    "cleanup",
    "warned",
    "failed_precondition",
];

/// Terminal statuses of an agent run (`agent_runs.status`).
const RUN_OUTCOMES: &[&str] = &["succeeded", "failed", "cancelled", "timed_out"];

fn bounded(value: &str, allowed: &[&'static str]) -> &'static str {
    allowed
        .iter()
        .find(|a| **a == value)
        .copied()
        .unwrap_or("other")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    event: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApprovalLabels {
    kind: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: &'static str,
    stage: String,
    outcome: &'static str,
}

/// A histogram family built with its buckets.
type RunHistograms = Family<RunLabels, Histogram, fn() -> Histogram>;

fn run_histogram() -> Histogram {
    // 10 s to about 11 h: agent runs take minutes to hours.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        10.0, 2.0, 13,
    ))
}

static ROUTED: LazyLock<Family<DeliveryLabels, Counter>> = LazyLock::new(Family::default);
static APPROVALS: LazyLock<Family<ApprovalLabels, Counter>> = LazyLock::new(Family::default);
static RUNS_FINISHED: LazyLock<Family<RunLabels, Counter>> = LazyLock::new(Family::default);
static RUN_DURATION: LazyLock<RunHistograms> =
    LazyLock::new(|| Family::new_with_constructor(run_histogram as fn() -> Histogram));

/// Counts a delivery whose routing recorded its outcome for the first time.
pub(crate) fn delivery_routed(event: &str, outcome: &str) {
    ROUTED
        .get_or_create(&DeliveryLabels {
            event: event_label(event),
            outcome: bounded(outcome, ROUTED_OUTCOMES),
        })
        .inc();
}

/// Counts an approval request entering `state` (`requested` when it is opened).
pub(crate) fn approval(kind: crate::approval::Kind, state: crate::approval::State) {
    APPROVALS
        .get_or_create(&ApprovalLabels {
            kind: kind.as_str(),
            state: state.as_str(),
        })
        .inc();
}

/// Kinds of agent runs (`agent_runs.kind`).
const RUN_KINDS: &[&str] = &["stage", "reviewer", "discussion"];

/// Counts an agent run (`kind`: stage, reviewer, discussion; `stage`: its stage, if any) that just
/// reached a terminal status, with how long it ran.
pub(crate) fn agent_run_finished(kind: &str, stage: Option<&str>, outcome: &str, seconds: f64) {
    let labels = RunLabels {
        kind: bounded(kind, RUN_KINDS),
        stage: stage.map_or("none", stage_label).to_owned(),
        outcome: bounded(outcome, RUN_OUTCOMES),
    };
    RUNS_FINISHED.get_or_create(&labels).inc();
    RUN_DURATION
        .get_or_create(&labels)
        .observe(seconds.max(0.0));
}

/// A stage label: a stage of the policy's catalog, or `other`.
fn stage_label(stage: &str) -> &str {
    let known = serde_json::from_value::<crate::policy::Stage>(stage.into()).is_ok();
    if known { stage } else { "other" }
}

/// Registers every domain metric (under the registry's prefix, `codex_k8s`).
pub fn register(registry: &mut Registry) {
    registry.register(
        "deliveries_routed",
        "Webhook deliveries routed, per event and recorded outcome",
        ROUTED.clone(),
    );
    registry.register(
        "approvals",
        "Approval requests entering a state (requested, approved, denied, expired, applied, failed), per kind",
        APPROVALS.clone(),
    );
    registry.register(
        "agent_runs_finished",
        "Agent runs that reached a terminal status, per kind (stage, reviewer, discussion), stage and outcome",
        RUNS_FINISHED.clone(),
    );
    registry.register_with_unit(
        "agent_run_duration",
        "How long finished agent runs took from creation to their end, per kind, stage and outcome",
        Unit::Seconds,
        RUN_DURATION.clone(),
    );
    crate::github::metrics::register(registry);
    crate::kubernetes::scaler_loop::register(registry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_become_other() {
        assert_eq!(event_label("issues"), "issues");
        assert_eq!(event_label("issues/12345"), "other");
        assert_eq!(event_label(""), "other");
        assert_eq!(bounded("run_started", ROUTED_OUTCOMES), "run_started");
        assert_eq!(bounded("whatever", ROUTED_OUTCOMES), "other");
        assert_eq!(stage_label("dev"), "dev");
        assert_eq!(stage_label("doc_audit"), "doc_audit");
        assert_eq!(stage_label("0190-abc"), "other");
    }
}

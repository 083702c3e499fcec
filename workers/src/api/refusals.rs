//! Refusals of callers who did not authenticate (bad webhook signature, bad run token, forged
//! callback token, no staff JWT): counted per reason and sampled in the log (the first, then every
//! [`LOG_EVERY`]th), never written one row or one line each, so a forger cannot fill the audit
//! tables or the log.

use std::sync::{
    LazyLock,
    atomic::{AtomicU64, Ordering},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

/// One log line per this many refusals (after the first).
pub const LOG_EVERY: u64 = 100;

/// The metric's label: the stable problem code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

static REFUSED: LazyLock<Family<ReasonLabel, Counter>> = LazyLock::new(Family::default);
static SEEN: AtomicU64 = AtomicU64::new(0);

/// Counts one unauthenticated refusal; logs it when sampled.
pub fn refused(reason: &'static str) {
    REFUSED.get_or_create(&ReasonLabel { reason }).inc();
    let n = SEEN.fetch_add(1, Ordering::Relaxed) + 1;
    if n == 1 || n.is_multiple_of(LOG_EVERY) {
        tracing::warn!(
            reason,
            refused_so_far = n,
            "unauthenticated request refused (sampled: one line per {LOG_EVERY})"
        );
    }
}

/// Registers the counter (`codex_k8s_unauthenticated_refusals_total{reason}` under the prefix).
pub fn register(registry: &mut Registry) {
    registry.register(
        "unauthenticated_refusals",
        "Requests refused because the caller did not authenticate, per reason",
        REFUSED.clone(),
    );
}

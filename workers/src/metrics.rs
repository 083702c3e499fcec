//! The platform's registry of process-wide metrics, served on `/metrics` by `serve` and `worker`
//! beside the engine's: the domain's (deliveries routed, approvals, agent runs, code-host calls),
//! the API server's (webhook deliveries, ingress latency, MCP calls) and the unauthenticated
//! refusals. Each process counts only what it did itself; a family it never touches is served
//! without series.

use std::sync::{Arc, LazyLock};

use prometheus_client::registry::Registry;

static REGISTRY: LazyLock<Arc<Registry>> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("codex_k8s");
    workflows::metrics::register(&mut registry);
    crate::api::metrics::register(&mut registry);
    crate::api::refusals::register(&mut registry);
    Arc::new(registry)
});

/// The process's platform registry (one per process; its families are process-wide).
pub fn platform_registry() -> Arc<Registry> {
    REGISTRY.clone()
}

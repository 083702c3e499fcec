//! The operational HTTP surface every process serves: `/livez`, `/readyz` and `/metrics`, and
//! serving.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use engine::Metrics;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
    registry::Registry,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::health::{self, Readiness};

/// Routes for liveness, readiness and Prometheus metrics (the engine's and the platform's).
pub fn ops_router(metrics: Arc<Metrics>, readiness: Readiness) -> Router {
    ops_router_with(
        Some(metrics),
        vec![crate::metrics::platform_registry()],
        readiness,
    )
}

/// Like [`ops_router`], with these registries (e.g. the staff API's and the platform's) served on
/// `/metrics` after the engine's; each family must be in one of them only.
pub fn ops_router_with(
    metrics: Option<Arc<Metrics>>,
    extras: Vec<Arc<Registry>>,
    readiness: Readiness,
) -> Router {
    let readiness_for_metrics = readiness.clone();
    Router::new()
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(ready).with_state(readiness))
        .route("/metrics", get(render_metrics))
        .with_state((metrics, Arc::new(extras), readiness_for_metrics))
}

/// 200 with the checks when every one passed, else 503 with `Retry-After` and the failed ones.
async fn ready(State(readiness): State<Readiness>) -> Response {
    let checks = readiness.report();
    let ready = checks.iter().all(|c| c.ok);
    let body =
        Json(json!({ "status": if ready { "ready" } else { "not_ready" }, "checks": checks }));
    if ready {
        return (StatusCode::OK, body).into_response();
    }
    let retry = [(header::RETRY_AFTER, health::RETRY_AFTER_SECS.to_string())];
    (StatusCode::SERVICE_UNAVAILABLE, retry, body).into_response()
}

/// The registries `/metrics` serves after the engine's.
type Extras = Arc<Vec<Arc<Registry>>>;

/// `codex_k8s_readiness_check{check}`: 1 while the check passes, 0 while it fails, as `/readyz`
/// reports them now (its checks are a fixed set: `database`, `migrations`, `worker`).
fn readiness_registry(readiness: &Readiness) -> Registry {
    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct CheckLabel {
        check: &'static str,
    }
    let checks = Family::<CheckLabel, Gauge>::default();
    for check in readiness.report() {
        checks
            .get_or_create(&CheckLabel { check: check.name })
            .set(i64::from(check.ok));
    }
    let mut registry = Registry::with_prefix("codex_k8s");
    registry.register(
        "readiness_check",
        "1 while the readiness check passes, 0 while it fails (what /readyz answers)",
        checks,
    );
    registry
}

async fn render_metrics(
    State((metrics, extras, readiness)): State<(Option<Arc<Metrics>>, Extras, Readiness)>,
) -> impl IntoResponse {
    let mut body = metrics.map(|m| m.encode()).unwrap_or_default();
    let readiness = readiness_registry(&readiness);
    for extra in extras.iter().map(|r| &**r).chain([&readiness]) {
        let mut more = String::new();
        if prometheus_client::encoding::text::encode(&mut more, extra).is_ok() {
            // Every encoding ends with `# EOF`; keep one, at the end.
            body = body.trim_end().trim_end_matches("# EOF").to_owned();
            body.push_str(&more);
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

/// Binds the HTTP address; a taken or invalid address is an error that names it and its setting.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!(
            "bind the HTTP address {addr} (CK8S_HTTP_ADDR): is another process listening there?"
        )
    })
}

/// Serves `router` on a bound listener until `shutdown`.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "http server listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .context("http server")
}

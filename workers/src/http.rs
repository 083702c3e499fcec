//! The operational HTTP surface every process serves: `/health` and `/metrics`, and serving.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use axum::{Router, extract::State, http::header, response::IntoResponse, routing::get};
use engine::Metrics;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

/// Routes for health and Prometheus metrics.
pub fn ops_router(metrics: Arc<Metrics>) -> Router {
    ops_router_with(metrics, None)
}

/// Like [`ops_router`], with a second registry (the staff API's) served on `/metrics` too.
pub fn ops_router_with(metrics: Arc<Metrics>, extra: Option<Arc<Registry>>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/metrics", get(render_metrics))
        .with_state((metrics, extra))
}

async fn render_metrics(
    State((metrics, extra)): State<(Arc<Metrics>, Option<Arc<Registry>>)>,
) -> impl IntoResponse {
    let mut body = metrics.encode();
    if let Some(extra) = extra {
        let mut more = String::new();
        if prometheus_client::encoding::text::encode(&mut more, &extra).is_ok() {
            // Both encodings end with `# EOF`; keep one, at the end.
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

/// Serves `router` on `addr` until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind {addr}"))?;
    serve_on(listener, router, shutdown).await
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

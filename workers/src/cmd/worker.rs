//! `codex-k8s worker`: a worker process (claims and runs workflow steps) until SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use engine::{Metrics, Worker};
use tokio_util::sync::CancellationToken;

use crate::{
    config::{Config, WORKER_ADDR},
    database,
    health::Readiness,
    http, platform,
};

/// Runs until `shutdown`, then stops in two phases (see `engine::Worker::run`).
pub async fn run(config: &Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    // Bound before anything else: a taken address stops the worker now, not at shutdown.
    let listener = http::bind(config.http_addr_or(WORKER_ADDR)).await?;
    let pool = database::connect(config).await?;
    let wiring = platform::build(config, pool.clone(), platform::github_config(config)?).await?;
    workflows::retention::Retention::schedule(&wiring.client)
        .await
        .context("schedule retention")?;
    platform::schedule_docs(config, &wiring).await?;
    let metrics = Arc::new(Metrics::new());
    let worker = Worker::new(
        pool.clone(),
        wiring.registry,
        config.worker_config(),
        metrics.clone(),
    )?;
    let readiness = Readiness::new(pool.clone(), Some(worker.health()));
    let _monitor = readiness.spawn_monitor(shutdown.clone());
    let server = tokio::spawn(http::serve_on(
        listener,
        http::ops_router(metrics, readiness),
        shutdown.clone(),
    ));
    let result = worker.run(shutdown.clone()).await.context("worker");
    shutdown.cancel();
    server.await.context("http server task")??;
    result
}

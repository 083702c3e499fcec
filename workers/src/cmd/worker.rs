//! `codex-k8s worker`: a worker process (claims and runs workflow steps) until SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use engine::{Metrics, Worker};
use tokio_util::sync::CancellationToken;

use crate::{config::Config, database, http, platform};

/// Runs until `shutdown`, then stops in two phases (see `engine::Worker::run`).
pub async fn run(config: &Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let pool = database::connect(config).await?;
    let wiring = platform::build(config, pool.clone(), platform::github_config(config)?)?;
    workflows::retention::Retention::schedule(&wiring.client)
        .await
        .context("schedule retention")?;
    let metrics = Arc::new(Metrics::new());
    let worker = Worker::new(
        pool.clone(),
        wiring.registry,
        config.worker_config(),
        metrics.clone(),
    )?;
    let server = tokio::spawn(http::serve(
        config.http_addr,
        http::ops_router(metrics),
        shutdown.clone(),
    ));
    let result = worker.run(shutdown.clone()).await.context("worker");
    shutdown.cancel();
    server.await.context("http server task")??;
    result
}

//! `codex-k8s worker`: a worker process (claims and runs workflow steps) until SIGTERM.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use engine::{Metrics, Worker};
use tokio_util::sync::CancellationToken;
use workflows::kubernetes::{
    scaler::ScalerConfig,
    scaler_loop::{ScaleTarget, WorkerScaler},
};

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
    workflows::environment_sweep::EnvironmentSweep::schedule(&wiring.client)
        .await
        .context("schedule the environment sweep")?;
    platform::schedule_docs(config, &wiring).await?;
    let metrics = Arc::new(Metrics::new());
    let worker = Worker::new(
        pool.clone(),
        wiring.registry,
        config.worker_config(),
        metrics.clone(),
    )?;
    let scaler = match worker_scaler(config).await? {
        Some(scaler) => Some(tokio::spawn(scaler.run(
            pool.clone(),
            wiring.client.clone(),
            shutdown.clone(),
        ))),
        None => None,
    };
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
    if let Some(scaler) = scaler {
        scaler.await.context("worker scaler task")?;
    }
    result
}

/// The built-in worker scaler when CK8S_WORKER_SCALE_DEPLOYMENT names the worker Deployment.
async fn worker_scaler(config: &Config) -> anyhow::Result<Option<WorkerScaler>> {
    let deployment = config.worker_scale_deployment.trim();
    if deployment.is_empty() {
        return Ok(None);
    }
    anyhow::ensure!(
        config.worker_scale_min <= config.worker_scale_max,
        "CK8S_WORKER_SCALE_MIN ({}) is above CK8S_WORKER_SCALE_MAX ({})",
        config.worker_scale_min,
        config.worker_scale_max
    );
    let client = kube::Client::try_default()
        .await
        .context("Kubernetes client for the worker scaler (CK8S_WORKER_SCALE_DEPLOYMENT)")?;
    let target = ScaleTarget {
        namespace: config
            .pod_namespace
            .clone()
            .unwrap_or_else(|| config.kube_platform_namespace.clone()),
        deployment: deployment.to_owned(),
        queues: config
            .worker_queues
            .0
            .iter()
            .map(|(q, _)| q.clone())
            .collect(),
        every: Duration::from_secs(30),
        call_timeout: Duration::from_secs(10),
    };
    let limits = ScalerConfig {
        min: config.worker_scale_min,
        max: config.worker_scale_max,
        ..ScalerConfig::default()
    };
    tracing::info!(deployment = %target.deployment, namespace = %target.namespace, min = limits.min, max = limits.max, "built-in worker scaler on");
    Ok(Some(WorkerScaler::new(client, target, limits)))
}

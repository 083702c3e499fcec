//! The worker process: builds the shared services, starts listener, completer, heartbeat,
//! maintenance and one claimer per queue, and stops in two phases on shutdown.

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use sqlx::PgPool;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    claimer,
    completer::Completer,
    config::WorkerConfig,
    health::WorkerHealth,
    heartbeat, listener, maintenance,
    services::{CancelCause, Services},
};
use crate::{Metrics, Registry, Result};

/// A worker process's runtime: many concurrent runs over several queues, one LISTEN connection.
pub struct Worker {
    pool: PgPool,
    registry: Registry,
    config: WorkerConfig,
    metrics: Arc<Metrics>,
    health: WorkerHealth,
}

impl Worker {
    /// A worker over a pool for the given kinds; fails on invalid settings, naming the setting.
    pub fn new(
        pool: PgPool,
        registry: Registry,
        config: WorkerConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            pool,
            registry,
            config,
            metrics,
            health: WorkerHealth::default(),
        })
    }

    /// The handle a readiness probe reads (take it before [`Worker::run`]).
    pub fn health(&self) -> WorkerHealth {
        self.health.clone()
    }

    /// Runs until `shutdown` is cancelled, then stops claiming, lets running attempts finish for
    /// the grace period, cancels the rest (handing their runs back at once), and returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let health = self.health;
        let background = CancellationToken::new();
        let (completer, completer_task) = Completer::spawn(
            self.pool.clone(),
            self.metrics.clone(),
            self.config.hooks.clone(),
        );
        let completer_task = tokio::spawn(watched(&health, "completer", &background, async move {
            let _ = completer_task.await;
        }));
        let services = Arc::new(Services::new(
            self.pool,
            self.registry,
            self.config,
            self.metrics,
            completer,
            health.clone(),
        ));
        let attempts = TaskTracker::new();
        let mut helpers = tokio::task::JoinSet::new();
        let loops = [
            (
                "listener",
                listener::run(services.clone(), background.clone()).boxed(),
            ),
            (
                "heartbeat",
                heartbeat::run(services.clone(), background.clone()).boxed(),
            ),
            (
                "maintenance",
                maintenance::run(services.clone(), background.clone()).boxed(),
            ),
        ];
        for (name, task) in loops {
            helpers.spawn(watched(&health, name, &background, task));
        }
        let mut claimers = tokio::task::JoinSet::new();
        for (queue, slots) in services.config.queues.clone() {
            let wakeup = services.wakeups[&queue].clone();
            let task = claimer::run(
                services.clone(),
                queue,
                slots,
                wakeup,
                attempts.clone(),
                shutdown.clone(),
            );
            claimers.spawn(watched(&health, "claimer", &shutdown, task));
        }
        health.set_started();
        tracing::info!(worker = %services.config.worker_id, queues = ?services.config.queues, "worker started");

        shutdown.cancelled().await;
        while claimers.join_next().await.is_some() {}
        attempts.close();
        let grace = services.config.shutdown_grace;
        if tokio::time::timeout(grace, attempts.wait()).await.is_err() {
            let running = services.running();
            tracing::warn!(
                running = running.len(),
                "grace period over; handing runs back"
            );
            running
                .into_iter()
                .for_each(|key| services.cancel_attempt(key, CancelCause::Shutdown));
            let _ = tokio::time::timeout(Duration::from_secs(5), attempts.wait()).await;
        }
        background.cancel();
        while helpers.join_next().await.is_some() {}
        drop(services);
        let _ = completer_task.await;
        tracing::info!("worker stopped");
        Ok(())
    }
}

/// Runs `task`, recording in `health` if it ends before `stop` (a panic included).
fn watched(
    health: &WorkerHealth,
    name: &'static str,
    stop: &CancellationToken,
    task: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let guard = health.watch(name, stop.clone());
    async move {
        task.await;
        drop(guard);
    }
}

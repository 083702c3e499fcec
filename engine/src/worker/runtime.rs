//! The worker process: builds the shared services, starts listener, completer, heartbeat,
//! maintenance and one claimer per queue, and stops in two phases on shutdown.

use std::{collections::HashMap, sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    claimer,
    completer::Completer,
    config::WorkerConfig,
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
        })
    }

    /// Runs until `shutdown` is cancelled, then stops claiming, lets running attempts finish for
    /// the grace period, cancels the rest (handing their runs back at once), and returns.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let (completer, completer_task) = Completer::spawn(self.pool.clone(), self.metrics.clone());
        let wakeups: HashMap<String, Arc<Notify>> = self
            .config
            .queues
            .iter()
            .map(|(q, _)| (q.clone(), Arc::new(Notify::new())))
            .collect();
        let services = Arc::new(Services {
            pool: self.pool,
            registry: self.registry,
            config: self.config,
            metrics: self.metrics,
            completer,
            active: Default::default(),
            wakeups,
        });
        let background = CancellationToken::new();
        let attempts = TaskTracker::new();
        let mut helpers = tokio::task::JoinSet::new();
        helpers.spawn(listener::run(services.clone(), background.clone()));
        helpers.spawn(heartbeat::run(services.clone(), background.clone()));
        helpers.spawn(maintenance::run(services.clone(), background.clone()));
        let mut claimers = tokio::task::JoinSet::new();
        for (queue, slots) in services.config.queues.clone() {
            let wakeup = services.wakeups[&queue].clone();
            claimers.spawn(claimer::run(
                services.clone(),
                queue,
                slots,
                wakeup,
                attempts.clone(),
                shutdown.clone(),
            ));
        }
        tracing::info!(worker = %services.config.worker_id, queues = ?services.config.queues, "worker started");

        shutdown.cancelled().await;
        while claimers.join_next().await.is_some() {}
        attempts.close();
        let grace = services.config.shutdown_grace;
        if tokio::time::timeout(grace, attempts.wait()).await.is_err() {
            let ids: Vec<uuid::Uuid> = services
                .active
                .lock()
                .expect("active attempts lock")
                .keys()
                .copied()
                .collect();
            tracing::warn!(running = ids.len(), "grace period over; handing runs back");
            ids.into_iter()
                .for_each(|id| services.cancel_attempt(id, CancelCause::Shutdown));
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

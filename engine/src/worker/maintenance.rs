//! Periodic sweeps every process runs; each is guarded in SQL (skip locked, fenced updates), so
//! any number of processes can run them at once without a leader:
//! lease rescue, run timeouts, cron ticks, queue metrics and retention.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::services::Services;
use crate::{client::next_tick, error::db, store};

const METRICS_EVERY: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Sweeps until `stop`.
pub(crate) async fn run(services: Arc<Services>, stop: CancellationToken) {
    let mut last_metrics: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    loop {
        let jitter = Duration::from_millis(rand::random_range(0..50));
        tokio::select! {
            _ = tokio::time::sleep(services.config.maintenance_interval + jitter) => {}
            _ = stop.cancelled() => return,
        }
        if let Err(e) = rescue(&services).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "lease rescue failed");
        }
        if let Err(e) = store::run::time_out_expired(&services.pool, 100).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "timeout sweep failed");
        }
        if let Err(e) = fire_cron(&services).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "cron sweep failed");
        }
        if last_metrics.is_none_or(|t| t.elapsed() >= METRICS_EVERY) {
            last_metrics = Some(Instant::now());
            match store::task::queue_stats(&services.pool).await {
                Ok(stats) => stats
                    .iter()
                    .for_each(|(q, d, age)| services.metrics.set_queue(q, *d, *age)),
                Err(e) => tracing::warn!(error.message = %e, "queue stats failed"),
            }
        }
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            let before = Utc::now() - services.config.retention;
            match store::run::prune_finished(&services.pool, before, 1000).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "retention pruned finished runs"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.message = %e, "retention prune failed"),
            }
        }
    }
}

async fn rescue(services: &Services) -> crate::Result<()> {
    let rescued =
        store::task::rescue_expired(&services.pool, services.config.max_rescues, 500).await?;
    if rescued.is_empty() {
        return Ok(());
    }
    services.metrics.rescued(rescued.len() as u64);
    for r in &rescued {
        tracing::warn!(run_id = %r.run_id, outcome = %r.outcome, "expired lease rescued");
        services.wake(&r.queue);
    }
    Ok(())
}

/// Fires due cron ticks: the schedule row is locked and advanced in the same transaction that
/// starts the run, whose idempotency key names the tick, so each tick starts exactly one run.
async fn fire_cron(services: &Services) -> crate::Result<()> {
    let mut tx = services.pool.begin().await.map_err(db("cron begin"))?;
    let due = store::cron_schedule::lock_due(&mut *tx, 20).await?;
    if due.is_empty() {
        return Ok(());
    }
    for s in due {
        let next = match next_tick(&s.expression, Utc::now().max(s.next_fire_at)) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(schedule = %s.id, error.message = %e, "cron schedule cannot advance");
                continue;
            }
        };
        if !store::cron_schedule::advance(&mut *tx, &s.id, s.next_fire_at, next).await? {
            continue;
        }
        let key = format!("cron:{}:{}", s.id, s.next_fire_at.timestamp_micros());
        let new = store::run::NewRun {
            id: uuid::Uuid::now_v7(),
            kind: &s.kind,
            queue: &s.queue,
            input: &s.input,
            priority: 0,
            idempotency_key: Some(&key),
            concurrency_keys: &[],
            concurrency_limits: &[],
            budget_ms: None,
            run_at: None,
        };
        store::run::start(&mut *tx, &new).await?;
    }
    tx.commit().await.map_err(db("cron commit"))
}

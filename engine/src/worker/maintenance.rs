//! Periodic work. One process at a time is the maintenance leader, elected through `engine_leaders`
//! with an expiring role (a stopped or frozen leader loses it after `leader_ttl`); only the leader
//! rescues expired leases, times out spent budgets, fires cron ticks, checks slot accounting and
//! prunes history. Every process reports the depth of the queues it serves (and the parked runs) and
//! unparks runs of kinds it knows. Every sweep is still guarded in SQL, so two leaders for a moment are harmless.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

use super::{cron, services::Services};
use crate::store;

const METRICS_EVERY: Duration = Duration::from_secs(5);
const UNPARK_EVERY: Duration = Duration::from_secs(30);
/// Retention sweeps at least this often; while a sweep finds full batches it goes on every tick.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Rows deleted per retention statement.
const PRUNE_BATCH: i64 = 2_000;
/// Retention work per tick when behind: bounded so the other sweeps keep their pace.
const PRUNE_BUDGET: Duration = Duration::from_millis(300);
const LEADER_ROLE: &str = "maintenance";

/// Sweeps until `stop`, then resigns the leader role if held.
pub(crate) async fn run(services: Arc<Services>, stop: CancellationToken) {
    let mut sweeps = Sweeps::default();
    loop {
        let jitter = Duration::from_millis(rand::random_range(0..50));
        tokio::select! {
            _ = tokio::time::sleep(services.config.maintenance_interval + jitter) => {}
            _ = stop.cancelled() => break,
        }
        let leader = elect(&services).await;
        services.metrics.set_leader(leader);
        if leader {
            sweeps.lead(&services).await;
        }
        sweeps.local(&services).await;
    }
    let resign =
        store::engine_leader::resign(&services.pool, LEADER_ROLE, &services.config.worker_id);
    if let Err(e) = resign.await {
        tracing::warn!(error.message = %e, "resign the maintenance role");
    }
}

async fn elect(services: &Services) -> bool {
    let ttl = services.config.leader_ttl.as_secs_f64();
    match store::engine_leader::acquire(
        &services.pool,
        LEADER_ROLE,
        &services.config.worker_id,
        ttl,
    )
    .await
    {
        Ok(leader) => leader,
        Err(e) => {
            tracing::warn!(error.message = %e, "maintenance election failed");
            false
        }
    }
}

/// When each sweep last ran.
#[derive(Default)]
struct Sweeps {
    metrics: Option<Instant>,
    unpark: Option<Instant>,
    slots: Option<Instant>,
    prune: Option<Instant>,
    prune_behind: bool,
}

fn due(last: &mut Option<Instant>, every: Duration) -> bool {
    if last.is_none_or(|t| t.elapsed() >= every) {
        *last = Some(Instant::now());
        return true;
    }
    false
}

impl Sweeps {
    /// The leader's sweeps.
    async fn lead(&mut self, services: &Services) {
        if let Err(e) = rescue(services).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "lease rescue failed");
        }
        if let Err(e) = store::run::time_out_expired(&services.pool, 100).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "timeout sweep failed");
        }
        if let Err(e) = cron::fire_due(&services.pool, 20).await {
            tracing::error!(error.message = %e, error.cause_chain = ?e, "cron sweep failed");
        }
        if due(&mut self.slots, services.config.slot_check_interval) {
            match store::task::check_slots(&services.pool).await {
                Ok(drift) => {
                    for d in &drift {
                        tracing::error!(key = %d.key, recorded = d.recorded, actual = d.actual, "concurrency slot drift repaired");
                    }
                    services.metrics.slot_drift(drift.len() as u64);
                }
                Err(e) => tracing::error!(error.message = %e, "slot accounting check failed"),
            }
        }
        if self.prune_behind || due(&mut self.prune, PRUNE_EVERY) {
            self.prune_behind = prune(services).await;
        }
    }

    /// Every process's sweeps.
    async fn local(&mut self, services: &Services) {
        if due(&mut self.metrics, METRICS_EVERY) {
            let served: Vec<String> = services
                .config
                .queues
                .iter()
                .map(|(q, _)| q.clone())
                .collect();
            let stats = store::task::queue_stats(&services.pool, &served).await;
            let parked = store::task::count_parked(&services.pool).await;
            match (stats, parked) {
                (Ok(stats), Ok(parked)) => {
                    for queue in &served {
                        let (depth, age) = stats
                            .iter()
                            .find(|(q, _, _)| q == queue)
                            .map_or((0, 0.0), |(_, d, a)| (*d, *a));
                        services.metrics.set_queue(queue, depth, age);
                    }
                    services.metrics.set_parked(parked);
                    services.metrics.gauges_refreshed(Instant::now());
                }
                (Err(e), _) | (_, Err(e)) => {
                    // No value rather than the last one: an old depth would look like a queue
                    // that is fine.
                    services.metrics.gauges_failed();
                    tracing::warn!(error.message = %e, "queue stats failed");
                }
            }
        }
        if due(&mut self.unpark, UNPARK_EVERY) {
            let kinds = services.registry.versions();
            match store::task::unpark_known(&services.pool, &kinds, 100).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "unparked runs of kinds this worker knows"),
                Err(e) => tracing::warn!(error.message = %e, "unpark known kinds failed"),
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

/// Deletes finished runs (with their journal, waits, signals and events) and run-less events older
/// than the retention, in batches, for up to PRUNE_BUDGET; returns whether it is still behind.
async fn prune(services: &Services) -> bool {
    let started = Instant::now();
    let age =
        chrono::Duration::from_std(services.config.retention).unwrap_or(chrono::TimeDelta::MAX);
    let before = services
        .db_now()
        .checked_sub_signed(age)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let mut pruned = 0;
    loop {
        let runs = store::run::prune_finished(&services.pool, before, PRUNE_BATCH).await;
        let events = store::flow_event::prune_orphans(&services.pool, before, PRUNE_BATCH).await;
        let (runs, events) = match (runs, events) {
            (Ok(r), Ok(e)) => (r, e),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error.message = %e, "retention prune failed");
                return false;
            }
        };
        pruned += runs;
        services.metrics.pruned(runs as u64);
        let behind = runs == PRUNE_BATCH || events == PRUNE_BATCH as u64;
        if !behind || started.elapsed() >= PRUNE_BUDGET {
            if pruned > 0 {
                tracing::info!(pruned, behind, "retention pruned finished runs");
            }
            return behind;
        }
    }
}

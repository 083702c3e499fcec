//! The fetch loop of one queue: claims as many ready tasks as it has free slots, in one query,
//! and starts an executor for each. Woken by notifications, local timers and finished attempts,
//! with a polling fallback.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{executor, services::Services};
use crate::store::{self, task::ClaimParams};

/// Serves one queue until `shutdown`.
pub(crate) async fn run(
    services: Arc<Services>,
    queue: String,
    slots: usize,
    wakeup: Arc<Notify>,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) {
    let semaphore = Arc::new(Semaphore::new(slots));
    let batch = services.config.claim_batch.min(slots);
    let poll = services.config.poll_interval;
    let mut backlog = true;
    loop {
        // Take at least one free slot, then as many more as are free right now.
        let first = tokio::select! {
            p = semaphore.clone().acquire_owned() => p.expect("semaphore never closed"),
            _ = shutdown.cancelled() => return,
        };
        let mut permits: Vec<OwnedSemaphorePermit> = vec![first];
        if backlog && permits.len() < batch {
            // Under load, let a few more slots free up so one query claims a useful batch.
            let gather = tokio::time::sleep(Duration::from_micros(500));
            tokio::pin!(gather);
            while permits.len() < batch.div_ceil(4) {
                tokio::select! {
                    p = semaphore.clone().acquire_owned() => permits.push(p.expect("semaphore never closed")),
                    _ = &mut gather => break,
                }
            }
        }
        while permits.len() < batch {
            match semaphore.clone().try_acquire_owned() {
                Ok(p) => permits.push(p),
                Err(_) => break,
            }
        }
        let want = permits.len();
        let params = ClaimParams {
            queue: &queue,
            limit: want as i64,
            worker: &services.config.worker_id,
            lease_secs: services.config.lease.as_secs_f64(),
        };
        let claimed = match store::task::claim_available(&services.pool, &params).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(queue = %queue, error.message = %e, error.cause_chain = ?e, "claim failed");
                drop(permits);
                tokio::select! {
                    _ = tokio::time::sleep(poll) => continue,
                    _ = shutdown.cancelled() => return,
                }
            }
        };
        backlog = claimed.len() == want;
        if !claimed.is_empty() {
            services.metrics.claimed(&queue, claimed.len() as u64);
            let ids: Vec<uuid::Uuid> = claimed.iter().map(|c| c.run_id).collect();
            let mut histories = match store::step::list_for_runs(&services.pool, &ids).await {
                Ok(h) => h,
                Err(e) => {
                    // The leases expire and the runs are rescued; nothing is lost.
                    tracing::error!(queue = %queue, error.message = %e, "load step history failed");
                    continue;
                }
            };
            for (task, permit) in claimed.into_iter().zip(permits.drain(..)) {
                let history = histories.remove(&task.run_id).unwrap_or_default();
                let services = services.clone();
                let wakeup = wakeup.clone();
                tracker.spawn(async move {
                    executor::execute(services, task, history).await;
                    drop(permit);
                    wakeup.notify_one();
                });
            }
        }
        drop(permits);
        if backlog {
            continue;
        }
        // Idle: sleep until notified, until the next timer of this queue is due, or until the poll.
        let next_due = store::task::wake_up(&services.pool, &queue)
            .await
            .ok()
            .flatten();
        let nap = next_due
            .map(|at| (at - Utc::now()).to_std().unwrap_or_default().min(poll))
            .unwrap_or(poll);
        tokio::select! {
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(nap) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

//! The fetch loop of one queue: claims as many ready tasks as it has free slots (plus the
//! configured prefetch), in one query, and starts an executor for each. Woken by notifications,
//! local timers and finished attempts, with a polling fallback.

use std::{sync::Arc, time::Duration};

use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    executor,
    services::Services,
    slot::{QueueSlots, Slot},
};
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
    let prefetch = services.config.prefetch;
    let queue_slots = QueueSlots::new(slots, prefetch, shutdown.clone());
    let semaphore = queue_slots.claimed.clone();
    let batch = services.config.claim_batch.min(slots + prefetch);
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
        services.metrics.claim_polled(&queue);
        let sent = services.local_now();
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
        if let Some(first) = claimed.first() {
            services.observe_db_clock(first.db_now, sent, services.local_now());
            services.metrics.claimed(&queue, claimed.len() as u64);
            if services.config.hooks.after_claim.is_some() {
                let ids = claimed.iter().map(|c| c.run_id).collect();
                services.config.hooks.after_claim(ids).await;
            }
            // Registered before anything else can await: a cancel notice that arrived since the
            // claim is waiting in the table and applies now.
            let registered: Vec<_> = claimed
                .iter()
                .map(|c| {
                    let cancel = tokio_util::sync::CancellationToken::new();
                    let registration = services.register((c.run_id, c.epoch), cancel.clone());
                    (cancel, registration)
                })
                .collect();
            // Only runs with a journal need a round trip for it (most claimed runs have none).
            let replayed: Vec<uuid::Uuid> = claimed
                .iter()
                .filter(|c| c.has_journal)
                .map(|c| c.run_id)
                .collect();
            let loaded = if replayed.is_empty() {
                Ok(Default::default())
            } else {
                store::step::list_for_runs(&services.pool, &replayed).await
            };
            let mut histories = match loaded {
                Ok(h) => h,
                Err(e) => {
                    // The leases expire and the runs are rescued; nothing is lost.
                    tracing::error!(queue = %queue, error.message = %e, "load step history failed");
                    continue;
                }
            };
            for ((task, (cancel, registration)), permit) in
                claimed.into_iter().zip(registered).zip(permits.drain(..))
            {
                let history = histories.remove(&task.run_id).unwrap_or_default();
                let services = services.clone();
                let wakeup = wakeup.clone();
                let slot = Slot::new(queue_slots.clone(), permit);
                tracker.spawn(async move {
                    executor::execute(services, task, history, cancel, registration, slot).await;
                    wakeup.notify_one();
                });
            }
        }
        drop(permits);
        if backlog {
            continue;
        }
        // Idle: sleep until notified, until the next timer of this queue is due (by the database
        // clock, so a process clock ahead of it cannot make this loop spin), or until the poll.
        let next_due = store::task::wake_up(&services.pool, &queue)
            .await
            .ok()
            .flatten();
        let nap = next_due
            .map(|secs| Duration::from_secs_f64(secs.clamp(0.001, poll.as_secs_f64())))
            .unwrap_or(poll);
        tokio::select! {
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(nap) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

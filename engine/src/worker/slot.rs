//! The concurrency slot of one attempt (ADR 0024). A queue's slots bound how many attempts run
//! workflow code at once. A claimed attempt first holds a place among the queue's claimed tasks
//! (slots plus the configured prefetch), then waits for a slot to run its body in. An attempt whose
//! body has returned gives both back while it only waits for its end to be committed, so the next
//! run starts while the completer batches the ends; how many ends may wait at once is bounded by
//! the queue's commit window. The lease is held (and renewed) until the commit, so a crash in
//! between loses nothing.

use std::{
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// Ends that may wait for their commit at once, per slot of the queue. Under load an end waits
/// for its commit about twice as long as one flush takes, so a narrow window held slots idle while
/// ends queued for it (ADR 0031: 4 per slot cost a sixth of the throughput of plain jobs).
pub(crate) const COMMIT_WINDOW_PER_SLOT: usize = 16;

/// The semaphores of one queue.
#[derive(Clone)]
pub(crate) struct QueueSlots {
    /// Claimed tasks not yet past their body: slots plus prefetch. The claimer claims for these.
    pub(crate) claimed: Arc<Semaphore>,
    /// Bodies (and cleanups) running: the queue's slots.
    running: Arc<Semaphore>,
    /// Ends waiting for their commit.
    commits: Arc<Semaphore>,
    /// Cancelled when the worker stops: tasks still waiting for a slot go back unstarted.
    stopping: CancellationToken,
}

impl QueueSlots {
    /// The semaphores of a queue with `slots` slots that claims up to `prefetch` tasks ahead,
    /// until `stopping`.
    pub(crate) fn new(slots: usize, prefetch: usize, stopping: CancellationToken) -> Self {
        Self {
            claimed: Arc::new(Semaphore::new(slots + prefetch)),
            running: Arc::new(Semaphore::new(slots)),
            commits: Arc::new(Semaphore::new(slots * COMMIT_WINDOW_PER_SLOT)),
            stopping,
        }
    }
}

/// What an attempt holds of its queue's capacity.
pub(crate) struct Slot {
    queue: QueueSlots,
    claimed_at: Instant,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// Held for its drop: the place among the claimed tasks.
    _claimed: Option<OwnedSemaphorePermit>,
    running: Option<OwnedSemaphorePermit>,
}

/// Why an attempt stopped waiting for a slot without getting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotStarted {
    /// The attempt was cancelled (its run terminated, its lease lost).
    Cancelled,
    /// The worker is stopping: the task goes back unstarted.
    ShuttingDown,
}

impl Slot {
    /// An attempt's place among the claimed tasks (`claimed` is from `queue.claimed`).
    pub(crate) fn new(queue: QueueSlots, claimed: OwnedSemaphorePermit) -> Self {
        Self {
            queue,
            claimed_at: Instant::now(),
            held: Mutex::new(Held {
                _claimed: Some(claimed),
                running: None,
            }),
        }
    }

    /// Waits for a slot to run the body in; returns how long the attempt waited since its claim.
    /// Without prefetch a slot is always free here.
    pub(crate) async fn start(&self, cancel: &CancellationToken) -> Result<Duration, NotStarted> {
        let permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(NotStarted::Cancelled),
            _ = self.queue.stopping.cancelled() => return Err(NotStarted::ShuttingDown),
            p = self.queue.running.clone().acquire_owned() => p.expect("semaphore never closed"),
        };
        self.lock().running = Some(permit);
        Ok(self.claimed_at.elapsed())
    }

    /// Whether the attempt holds a slot to run code in now.
    #[cfg(test)]
    pub(crate) fn is_running(&self) -> bool {
        self.lock().running.is_some()
    }

    /// Awaits `commit` with the slot and the claimed place given back: first a place in the commit
    /// window is taken (so the window, not the slots, bounds the ends in flight), then the rest is
    /// released; the window's place is given back when `commit` is done. Call [`Slot::hold`]
    /// before running workflow code again.
    pub(crate) async fn released_while<F: Future>(&self, commit: F) -> F::Output {
        let place = self
            .queue
            .commits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        drop(std::mem::take(&mut *self.lock()));
        let out = commit.await;
        drop(place);
        out
    }

    /// Takes a slot if the attempt holds none (its end was refused and the workflow's cleanup must
    /// run, or it is cleaning up before it ever started). Waits holding nothing of the window, so
    /// it cannot deadlock with it.
    pub(crate) async fn hold(&self) {
        if self.lock().running.is_some() {
            return;
        }
        let permit = self
            .queue
            .running
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        self.lock().running = Some(permit);
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(queue: &QueueSlots) -> Slot {
        Slot::new(
            queue.clone(),
            queue.claimed.clone().try_acquire_owned().unwrap(),
        )
    }

    #[tokio::test]
    async fn a_committing_attempt_frees_its_slot_and_takes_a_place_in_the_window() {
        let queue = QueueSlots::new(1, 0, CancellationToken::new());
        let slot = claimed(&queue);
        slot.start(&CancellationToken::new()).await.unwrap();
        assert!(slot.is_running());
        let seen = slot
            .released_while(async {
                (
                    queue.claimed.available_permits(),
                    queue.running.available_permits(),
                    queue.commits.available_permits(),
                )
            })
            .await;
        assert_eq!(seen, (1, 1, COMMIT_WINDOW_PER_SLOT - 1));
        assert!(!slot.is_running());
        assert_eq!(queue.commits.available_permits(), COMMIT_WINDOW_PER_SLOT);
        slot.hold().await;
        assert!(slot.is_running());
        assert_eq!(queue.running.available_permits(), 0);
    }

    #[tokio::test]
    async fn a_full_window_keeps_the_slot_until_a_place_frees() {
        let queue = QueueSlots::new(1, 0, CancellationToken::new());
        let taken = queue
            .commits
            .clone()
            .try_acquire_many_owned(COMMIT_WINDOW_PER_SLOT as u32)
            .unwrap();
        let slot = Arc::new(claimed(&queue));
        slot.start(&CancellationToken::new()).await.unwrap();
        let (entered_tx, entered_rx) = tokio::sync::oneshot::channel();
        let waiting = tokio::spawn({
            let slot = slot.clone();
            async move {
                slot.released_while(async { entered_tx.send(()).unwrap() })
                    .await
            }
        });
        tokio::task::yield_now().await;
        assert!(
            slot.is_running(),
            "no place in the window: the slot stays taken"
        );
        assert_eq!(queue.running.available_permits(), 0);
        drop(taken);
        entered_rx.await.unwrap();
        waiting.await.unwrap();
        assert_eq!(queue.running.available_permits(), 1);
    }

    #[tokio::test]
    async fn a_prefetched_attempt_waits_for_a_slot_and_stops_waiting_when_cancelled_or_stopping() {
        let stopping = CancellationToken::new();
        let queue = QueueSlots::new(1, 2, stopping.clone());
        let (first, second, third) = (claimed(&queue), claimed(&queue), claimed(&queue));
        let (none, cancel) = (CancellationToken::new(), CancellationToken::new());
        first.start(&none).await.unwrap();
        cancel.cancel();
        assert_eq!(second.start(&cancel).await, Err(NotStarted::Cancelled));
        stopping.cancel();
        assert_eq!(third.start(&none).await, Err(NotStarted::ShuttingDown));
        assert_eq!(
            queue.claimed.available_permits(),
            0,
            "places held until the attempts end"
        );
        drop((second, third));
        assert_eq!(queue.claimed.available_permits(), 2);
        first.released_while(async {}).await;
        assert_eq!(queue.running.available_permits(), 1);
    }
}

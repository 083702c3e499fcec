//! What every part of a worker process shares: pool, registry, completer, metrics, the table of
//! attempts running here (keyed by run and epoch), cancel notices that arrived before their attempt
//! registered, the estimate of the database clock, and the per-queue wake-ups.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{completer::Completer, config::WorkerConfig};
use crate::{Metrics, Registry};

/// Why an attempt was told to stop; persisted in its audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelCause {
    /// The run is being cancelled or timed out: run its cleanup under this lease.
    Terminated,
    /// Another attempt owns the run now.
    LeaseLost,
    /// This worker is shutting down: hand the run back.
    Shutdown,
}

impl CancelCause {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CancelCause::Terminated => "terminated",
            CancelCause::LeaseLost => "lease_lost",
            CancelCause::Shutdown => "shutdown",
        }
    }
}

/// An attempt is one claim of a run: the same process may hold an old and a new one of one run.
pub(crate) type AttemptKey = (Uuid, i64);

/// An attempt running in this process.
struct ActiveAttempt {
    cancel: CancellationToken,
    cause: Option<CancelCause>,
    /// In cleanup, termination notices are ignored (the cleanup is what they ask for).
    in_cleanup: bool,
}

#[derive(Default)]
struct Attempts {
    running: HashMap<AttemptKey, ActiveAttempt>,
    /// Termination notices for runs with no attempt here yet (claimed, not yet registered).
    early_cancels: HashMap<Uuid, Instant>,
}

/// Shared state of one worker process.
pub(crate) struct Services {
    pub(crate) pool: PgPool,
    pub(crate) registry: Registry,
    pub(crate) config: WorkerConfig,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) completer: Completer,
    pub(crate) wakeups: HashMap<String, Arc<Notify>>,
    /// What the readiness probe reads.
    pub(crate) health: super::WorkerHealth,
    attempts: Mutex<Attempts>,
    /// Database clock minus process clock, in ms, as last measured.
    skew_ms: AtomicI64,
}

/// Removes its attempt from the table when dropped, however the attempt ends (a panic included).
pub(crate) struct Registration {
    services: Weak<Services>,
    key: AttemptKey,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(s) = self.services.upgrade() {
            s.lock().running.remove(&self.key);
        }
    }
}

impl Services {
    pub(crate) fn new(
        pool: PgPool,
        registry: Registry,
        config: WorkerConfig,
        metrics: Arc<Metrics>,
        completer: Completer,
        health: super::WorkerHealth,
    ) -> Self {
        let wakeups = config
            .queues
            .iter()
            .map(|(q, _)| (q.clone(), Arc::new(Notify::new())))
            .collect();
        Self {
            pool,
            registry,
            config,
            metrics,
            completer,
            wakeups,
            health,
            attempts: Mutex::default(),
            skew_ms: AtomicI64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attempts> {
        self.attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers an attempt; a termination notice that arrived before it applies now.
    pub(crate) fn register(
        self: &Arc<Self>,
        key: AttemptKey,
        cancel: CancellationToken,
    ) -> Registration {
        let mut attempts = self.lock();
        let early = attempts.early_cancels.remove(&key.0).is_some();
        if early {
            cancel.cancel();
        }
        attempts.running.insert(
            key,
            ActiveAttempt {
                cancel,
                cause: early.then_some(CancelCause::Terminated),
                in_cleanup: false,
            },
        );
        Registration {
            services: Arc::downgrade(self),
            key,
        }
    }

    /// Tells every attempt of a run here to stop; a termination notice for a run with no attempt
    /// here is kept for a while, in case its attempt is about to register.
    pub(crate) fn cancel_run(&self, run_id: Uuid, cause: CancelCause) {
        let mut attempts = self.lock();
        let mut found = false;
        for (_, a) in attempts.running.iter_mut().filter(|(k, _)| k.0 == run_id) {
            found = true;
            Self::tell(a, cause);
        }
        if !found && cause == CancelCause::Terminated {
            let keep = 2 * self.config.lease;
            attempts.early_cancels.retain(|_, at| at.elapsed() < keep);
            attempts.early_cancels.insert(run_id, Instant::now());
        }
    }

    /// Tells one attempt to stop, unless it already was or the notice does not apply.
    pub(crate) fn cancel_attempt(&self, key: AttemptKey, cause: CancelCause) {
        if let Some(a) = self.lock().running.get_mut(&key) {
            Self::tell(a, cause);
        }
    }

    fn tell(a: &mut ActiveAttempt, cause: CancelCause) {
        if a.cause.is_some() || (cause == CancelCause::Terminated && a.in_cleanup) {
            return;
        }
        a.cause = Some(cause);
        a.cancel.cancel();
    }

    /// Why the attempt was told to stop, if it was.
    pub(crate) fn cause_of(&self, key: AttemptKey) -> Option<CancelCause> {
        self.lock().running.get(&key).and_then(|a| a.cause)
    }

    /// The attempt starts its cleanup: termination notices no longer apply, and a cancellation that
    /// was a termination notice is replaced by a fresh token. Returns the token the cleanup obeys.
    pub(crate) fn enter_cleanup(&self, key: AttemptKey) -> CancellationToken {
        let mut attempts = self.lock();
        let Some(a) = attempts.running.get_mut(&key) else {
            return CancellationToken::new();
        };
        a.in_cleanup = true;
        if a.cause == Some(CancelCause::Terminated) {
            a.cause = None;
            a.cancel = CancellationToken::new();
        }
        a.cancel.clone()
    }

    /// The (run, epoch) pairs held here, for the heartbeat.
    pub(crate) fn held_leases(&self) -> Vec<AttemptKey> {
        self.lock()
            .running
            .iter()
            .filter(|(_, a)| a.cause != Some(CancelCause::LeaseLost))
            .map(|(k, _)| *k)
            .collect()
    }

    /// Every attempt running here.
    pub(crate) fn running(&self) -> Vec<AttemptKey> {
        self.lock().running.keys().copied().collect()
    }

    /// Records the database clock read between `sent` and `received` (process clock).
    pub(crate) fn observe_db_clock(
        &self,
        db_now: DateTime<Utc>,
        sent: DateTime<Utc>,
        received: DateTime<Utc>,
    ) {
        let midpoint = sent + (received - sent) / 2;
        let skew = (db_now - midpoint).num_milliseconds();
        self.skew_ms.store(skew, Ordering::Relaxed);
    }

    /// The process clock.
    pub(crate) fn local_now(&self) -> DateTime<Utc> {
        self.config.clock.now()
    }

    /// The database clock, estimated from the process clock and the last measured skew.
    pub(crate) fn db_now(&self) -> DateTime<Utc> {
        self.local_now() + chrono::Duration::milliseconds(self.skew_ms.load(Ordering::Relaxed))
    }

    /// How long until `at` by the database clock (zero if passed).
    pub(crate) fn until(&self, at: DateTime<Utc>) -> Duration {
        (at - self.db_now()).to_std().unwrap_or_default()
    }

    /// Wakes the claimer of a queue (if this process serves it).
    pub(crate) fn wake(&self, queue: &str) {
        if let Some(n) = self.wakeups.get(queue) {
            n.notify_one();
        }
    }

    /// Wakes every claimer (after a missed-notification window).
    pub(crate) fn wake_all(&self) {
        self.wakeups.values().for_each(|n| n.notify_one());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn services() -> Arc<Services> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://unused@127.0.0.1:1/x")
            .unwrap();
        let metrics = Arc::new(Metrics::new());
        let (completer, _) = Completer::spawn(pool.clone(), metrics.clone(), Default::default());
        Arc::new(Services::new(
            pool,
            Registry::new(),
            WorkerConfig::default(),
            metrics,
            completer,
            Default::default(),
        ))
    }

    #[tokio::test]
    async fn an_old_attempt_that_exits_after_a_reclaim_leaves_the_new_attempt_registered() {
        let s = services().await;
        let run = Uuid::now_v7();
        let old = s.register((run, 1), CancellationToken::new());
        let new_cancel = CancellationToken::new();
        let _new = s.register((run, 2), new_cancel.clone());
        drop(old);
        assert_eq!(
            s.held_leases(),
            vec![(run, 2)],
            "the new attempt is still renewed"
        );
        s.cancel_run(run, CancelCause::Terminated);
        assert!(new_cancel.is_cancelled(), "and still cancellable");
        assert_eq!(s.cause_of((run, 2)), Some(CancelCause::Terminated));
    }

    #[tokio::test]
    async fn a_termination_notice_that_arrives_before_registration_applies_at_registration() {
        let s = services().await;
        let run = Uuid::now_v7();
        s.cancel_run(run, CancelCause::Terminated);
        let cancel = CancellationToken::new();
        let _attempt = s.register((run, 7), cancel.clone());
        assert!(cancel.is_cancelled());
        assert_eq!(s.cause_of((run, 7)), Some(CancelCause::Terminated));
    }

    #[tokio::test]
    async fn a_panicking_attempt_is_removed_from_the_table() {
        let s = services().await;
        let run = Uuid::now_v7();
        let s2 = s.clone();
        let outcome = tokio::spawn(async move {
            let _registration = s2.register((run, 1), CancellationToken::new());
            panic!("outside any step");
        })
        .await;
        assert!(outcome.is_err());
        assert!(s.running().is_empty());
    }
}

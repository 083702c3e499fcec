//! What every part of a worker process shares: pool, registry, completer, metrics, the table of
//! attempts running here, and the per-queue wake-ups.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

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

/// An attempt running in this process.
pub(crate) struct ActiveAttempt {
    pub(crate) epoch: i64,
    pub(crate) cancel: CancellationToken,
    pub(crate) cause: Option<CancelCause>,
    /// In cleanup, termination notices are ignored (the cleanup is what they ask for).
    pub(crate) in_cleanup: bool,
}

/// Shared state of one worker process.
pub(crate) struct Services {
    pub(crate) pool: PgPool,
    pub(crate) registry: Registry,
    pub(crate) config: WorkerConfig,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) completer: Completer,
    pub(crate) active: Mutex<HashMap<Uuid, ActiveAttempt>>,
    pub(crate) wakeups: HashMap<String, Arc<Notify>>,
}

impl Services {
    /// Tells one attempt to stop, unless it already was or the notice does not apply.
    pub(crate) fn cancel_attempt(&self, run_id: Uuid, cause: CancelCause) {
        let mut active = self.active.lock().expect("active attempts lock");
        if let Some(a) = active.get_mut(&run_id) {
            if a.cause.is_some() || (cause == CancelCause::Terminated && a.in_cleanup) {
                return;
            }
            a.cause = Some(cause);
            a.cancel.cancel();
        }
    }

    /// The (run, epoch) pairs held here, for the heartbeat.
    pub(crate) fn held_leases(&self) -> Vec<(Uuid, i64)> {
        let active = self.active.lock().expect("active attempts lock");
        active
            .iter()
            .filter(|(_, a)| a.cause != Some(CancelCause::LeaseLost))
            .map(|(id, a)| (*id, a.epoch))
            .collect()
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

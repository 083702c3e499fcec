//! What a worker process tells its readiness probe: whether its LISTEN connection is up and
//! whether every background loop (listener, heartbeat, maintenance, completer, claimers) still
//! runs. A loop that ends before shutdown (a panic included) marks the worker unhealthy for good:
//! the orchestrator should restart the process.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};

use tokio_util::sync::CancellationToken;

/// A cheap handle on a worker's health, shared by its loops and its probe.
#[derive(Debug, Clone, Default)]
pub struct WorkerHealth {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    started: AtomicBool,
    listening: AtomicBool,
    stopped_loop: Mutex<Option<&'static str>>,
}

/// What the probe reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthState {
    /// Every loop runs and the LISTEN connection is up.
    Healthy,
    /// Not serving yet, or the LISTEN connection is down (it reconnects by itself).
    Degraded(String),
    /// A loop ended before shutdown: only a restart helps.
    Failed(String),
}

impl WorkerHealth {
    /// The current state.
    pub fn state(&self) -> HealthState {
        let stopped = *self
            .inner
            .stopped_loop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(name) = stopped {
            return HealthState::Failed(format!("the worker's {name} loop stopped"));
        }
        if !self.inner.started.load(Ordering::Acquire) {
            return HealthState::Degraded("the worker has not started".into());
        }
        if !self.inner.listening.load(Ordering::Acquire) {
            return HealthState::Degraded("the worker's LISTEN connection is down".into());
        }
        HealthState::Healthy
    }

    pub(crate) fn set_started(&self) {
        self.inner.started.store(true, Ordering::Release);
    }

    pub(crate) fn set_listening(&self, up: bool) {
        self.inner.listening.store(up, Ordering::Release);
    }

    /// A guard that, when dropped before `shutdown` is cancelled, records that `name` stopped.
    pub(crate) fn watch(&self, name: &'static str, shutdown: CancellationToken) -> LoopGuard {
        LoopGuard {
            health: self.clone(),
            name,
            shutdown,
        }
    }
}

/// Held by a running loop; see [`WorkerHealth::watch`].
pub(crate) struct LoopGuard {
    health: WorkerHealth,
    name: &'static str,
    shutdown: CancellationToken,
}

impl Drop for LoopGuard {
    fn drop(&mut self) {
        if self.shutdown.is_cancelled() {
            return;
        }
        tracing::error!(r#loop = self.name, "a worker loop stopped before shutdown");
        let mut stopped = self
            .health
            .inner
            .stopped_loop
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        stopped.get_or_insert(self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_ends_before_shutdown_fails_the_worker_and_one_at_shutdown_does_not() {
        let health = WorkerHealth::default();
        health.set_started();
        health.set_listening(true);
        let shutdown = CancellationToken::new();
        drop(health.watch("heartbeat", shutdown.clone()));
        assert!(matches!(health.state(), HealthState::Failed(m) if m.contains("heartbeat")));

        let health = WorkerHealth::default();
        health.set_started();
        health.set_listening(true);
        let guard = health.watch("heartbeat", shutdown.clone());
        shutdown.cancel();
        drop(guard);
        assert_eq!(health.state(), HealthState::Healthy);
        health.set_listening(false);
        assert!(matches!(health.state(), HealthState::Degraded(m) if m.contains("LISTEN")));
    }
}

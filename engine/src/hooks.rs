//! Points where tests force an interleaving or inject a fault, instead of sleeping and hoping.
//! Each hook is a no-op unless a test installs it in [`crate::WorkerConfig::hooks`]; production
//! code never does.

use std::{fmt, sync::Arc};

use futures::future::BoxFuture;
use uuid::Uuid;

/// An async callback a test installs at one point of the worker.
pub type Hook<T> = Arc<dyn Fn(T) -> BoxFuture<'static, ()> + Send + Sync>;

/// A test's verdict on a completer flush touching these runs: `true` makes it fail.
pub type Poison = Arc<dyn Fn(&[Uuid]) -> bool + Send + Sync>;

/// The hooks of one worker process.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Runs after a claim returned and before its attempts are registered, with the claimed runs.
    pub after_claim: Option<Hook<Vec<Uuid>>>,
    /// Runs when the listener has handled a cancel notice for a run.
    pub cancel_noticed: Option<Hook<Uuid>>,
    /// Runs after the listener's connection was (re-)established and its catch-up done.
    pub listener_connected: Option<Hook<()>>,
    /// Runs when the listener noticed its connection was lost, before it reconnects.
    pub listener_lost: Option<Hook<()>>,
    /// Asked before a completer flush with the runs it touches; `true` makes the flush fail inside
    /// its transaction with a real database error (a division by zero), as an unstorable row would.
    pub poison_flush: Option<Poison>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("after_claim", &self.after_claim.is_some())
            .field("cancel_noticed", &self.cancel_noticed.is_some())
            .field("listener_connected", &self.listener_connected.is_some())
            .field("listener_lost", &self.listener_lost.is_some())
            .field("poison_flush", &self.poison_flush.is_some())
            .finish()
    }
}

impl Hooks {
    pub(crate) async fn after_claim(&self, runs: Vec<Uuid>) {
        if let Some(h) = &self.after_claim {
            h(runs).await;
        }
    }

    pub(crate) async fn cancel_noticed(&self, run: Uuid) {
        if let Some(h) = &self.cancel_noticed {
            h(run).await;
        }
    }

    pub(crate) async fn listener_connected(&self) {
        if let Some(h) = &self.listener_connected {
            h(()).await;
        }
    }

    pub(crate) async fn listener_lost(&self) {
        if let Some(h) = &self.listener_lost {
            h(()).await;
        }
    }

    pub(crate) fn poisons(&self, runs: &[Uuid]) -> bool {
        self.poison_flush.as_ref().is_some_and(|h| h(runs))
    }
}

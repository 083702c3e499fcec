//! Retrying a stage run from the staff API: the engine re-opens a failed run from its failed step
//! (or takes a parked one out of parking), and the stage run's mirror in `agent_runs` says it is
//! active again, with an audit event, so the run list and the run's status agree.

use serde_json::json;
use uuid::Uuid;

use crate::{
    directory::Actor,
    store::{agent_run, flow_event},
};

/// What a retry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retried {
    /// The run is ready again and replays from its journal.
    Resumed,
    /// The run waits for a slot of its concurrency keys (the project's or the issue's) first.
    Blocked,
}

/// Why a stage run was not retried.
#[derive(Debug, thiserror::Error)]
pub enum RetryError {
    /// There is no such stage run.
    #[error("stage run not found")]
    NotFound,
    /// The run is neither parked nor failed; `status` is its mirrored status.
    #[error("only a parked or failed run is retried; this one is {status}")]
    NotRetryable {
        /// What the stage run says it is (`running`, `succeeded`, `cancelled`, …).
        status: String,
    },
    /// The engine's record of the run (its journal) was removed by retention.
    #[error("the run's journal was removed by retention, so it cannot resume; start a new run")]
    Pruned,
    /// The store or the engine failed.
    #[error("retry stage run")]
    Store(#[from] crate::Error),
}

/// Retries stage run `run_id` for `actor`, audited as `run_retry_requested`.
///
/// The stage run's row is locked before the engine re-opens the run and updated in the same
/// transaction (a failed run's mirror says `running`, or `pending` while it waits for a slot): the
/// workflow's own status writes (a quick second failure's cleanup, `mark_succeeded`) wait for the
/// commit, so they always land after it, and a project deletion waits for it too. The lock spans
/// the engine call, whose transactions are its own; the engine never waits on `agent_runs`, so the
/// two connections cannot deadlock.
pub async fn retry(
    client: &engine::Client,
    run_id: Uuid,
    actor: Actor<'_>,
) -> Result<Retried, RetryError> {
    let db = |op| move |source| crate::Error::Database { op, source };
    let mut tx = client
        .pool()
        .begin()
        .await
        .map_err(db("stage::retry begin"))?;
    let status = agent_run::lock(&mut *tx, run_id)
        .await?
        .ok_or(RetryError::NotFound)?;
    let outcome = match client.retry(run_id).await {
        Ok(o) => o,
        // The mirror outlived its engine run (retention prunes them separately).
        Err(engine::Error::RunNotFound(_)) => return Err(RetryError::Pruned),
        Err(e) => return Err(crate::Error::from(e).into()),
    };
    let (retried, mirrored, name) = match outcome {
        engine::RetryOutcome::Resumed => (Retried::Resumed, "running", "resumed"),
        engine::RetryOutcome::Blocked => (Retried::Blocked, "pending", "blocked"),
        engine::RetryOutcome::NotRetryable => return Err(RetryError::NotRetryable { status }),
    };
    let reopened = agent_run::reopen(&mut *tx, run_id, mirrored).await?;
    let detail = json!({
        "outcome": name,
        "reopened_failed_run": reopened,
        "actor": actor.name(),
        "actor_id": actor.user_id(),
    });
    flow_event::insert(&mut *tx, Some(run_id), "run_retry_requested", &detail).await?;
    tx.commit().await.map_err(db("stage::retry commit"))?;
    Ok(retried)
}

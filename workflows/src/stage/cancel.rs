//! Cancelling a stage run: the engine ends it, and the stage run's mirror in `agent_runs` and its
//! status comment agree. A run still queued behind its concurrency keys is ended by the engine at
//! once, with no cleanup attempt to write them, so they are written here; a started run's cleanup
//! writes its own (see `StageRun::cleanup`).

use uuid::Uuid;

use super::comment::{self, Outcome, Phase, StatusView};
use crate::{platform::Platform, store::agent_run};

/// Why a stage run was not cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    /// The engine refused or failed (`engine::Error::Busy`: re-opened at this very moment).
    #[error("cancel run")]
    Engine(#[from] engine::Error),
    /// The mirror could not be written.
    #[error("mirror the cancelled run")]
    Store(#[from] crate::Error),
    /// The queued run's status comment could not be updated.
    #[error("update the cancelled run's status comment")]
    Comment(#[from] crate::github::Error),
}

/// Cancels stage run `run_id`, recording `reason` (shown in its status comment).
pub async fn cancel(
    p: &Platform,
    run_id: Uuid,
    reason: &str,
) -> Result<engine::TerminateOutcome, CancelError> {
    let outcome = p.client().cancel(run_id, reason).await?;
    if outcome != engine::TerminateOutcome::Finished {
        return Ok(outcome);
    }
    agent_run::set_ended(
        &p.pool,
        run_id,
        "cancelled",
        Some(&format!("cancelled: {reason}")),
    )
    .await?;
    // A queued run's comment said "queued": it now says why it never started.
    if let Some(run) = agent_run::get(&p.pool, run_id).await?
        && let Some(known) = run.status_comment_id
    {
        let view = StatusView {
            run: &run,
            phase: Phase::Finished,
            outcome: Some(Outcome {
                status: "cancelled".into(),
                detail: Some(format!("cancelled: {reason}")),
                hint: None,
            }),
            next_steps: &[],
            console_url: &p.config.console_url,
        };
        p.code_host
            .upsert_status_comment(
                &run.repository,
                run.thread_number as u64,
                Some(known as u64),
                &comment::marker(&run),
                &comment::render(&view),
            )
            .await
            .inspect_err(|e| e.log(run_id, "queued run cancel"))?;
    }
    Ok(outcome)
}

//! Starts a stage run the platform itself asks for (the reviewer's pre-review, a revise after a
//! `changes_requested` verdict): its engine run and its `agent_runs` row in the caller's
//! transaction, behind the same concurrency keys as a run a label starts, idempotent by key.

use engine::{StartOptions, StepError};
use sqlx::PgConnection;
use uuid::Uuid;

use super::workflow::{StageInput, StageRun};
use crate::{
    platform::{Platform, STAGE_QUEUE},
    store::{
        agent_run::{self, AgentRun},
        directory,
    },
};

/// A child run started (or found, by its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Child {
    pub(crate) id: Uuid,
    pub(crate) created: bool,
}

/// Starts `row` as a stage run under idempotency key `key`; `None` when the repository is no
/// longer bound (nothing starts).
pub(crate) async fn start(
    tx: &mut PgConnection,
    p: &Platform,
    mut row: AgentRun,
    key: String,
) -> Result<Option<Child>, StepError> {
    let Some(binding) = directory::binding(&mut *tx, &row.repository)
        .await
        .map_err(StepError::retryable)?
    else {
        return Ok(None);
    };
    let issue = row.issue_number.unwrap_or(row.thread_number);
    let issue_key = format!("issue:{}#{issue}", row.repository).to_lowercase();
    let project_key = format!("project:{}", binding.project_slug);
    let options = StartOptions {
        queue: Some(STAGE_QUEUE.into()),
        idempotency_key: Some(key),
        concurrency: vec![(issue_key, 1), (project_key, binding.max_active_runs)],
        budget: Some(p.config.stage_budget),
        ..StartOptions::default()
    };
    let started = p
        .client()
        .start_with::<StageRun>(&mut *tx, &StageInput {}, options)
        .await
        .map_err(StepError::retryable)?;
    if started.created {
        row.id = started.id;
        row.status = "pending".into();
        row.status_comment_id = None;
        row.delivery_id = None;
        match agent_run::insert(&mut *tx, &row).await {
            Ok(()) => {}
            Err(e) if agent_run::lost_its_binding(&e) => return Ok(None),
            Err(e) => return Err(StepError::retryable(e)),
        }
    }
    Ok(Some(Child {
        id: started.id,
        created: started.created,
    }))
}

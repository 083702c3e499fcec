//! How indexing runs start: on a push to the default branch (from routing), and from a cron
//! schedule as a safety net (a sweep run that starts one indexing run per bound repository).
//! At most one indexing run of a repository is admitted at a time (concurrency key).

use std::sync::Arc;

use engine::{CatchUp, ScheduleOptions, StartOptions, StartedRun, prelude::*};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::index::{DocsIndex, IndexInput};
use crate::{
    platform::{DOCS_QUEUE, Platform},
    store::directory,
};

/// Id of the cron schedule of the sweep.
pub const SWEEP_SCHEDULE: &str = "docs-index-sweep";

/// Starts an indexing run on `executor` (a transaction, or the pool): on the docs queue, behind
/// the repository's concurrency key (limit 1), once per `idempotency_key`.
pub async fn start_index<'e>(
    client: &engine::Client,
    executor: impl sqlx::PgExecutor<'e>,
    input: &IndexInput,
    idempotency_key: String,
) -> engine::Result<StartedRun> {
    let options = StartOptions {
        queue: Some(DOCS_QUEUE.into()),
        idempotency_key: Some(idempotency_key),
        concurrency: vec![(format!("docs:{}", input.repository_id), 1)],
        ..StartOptions::default()
    };
    client
        .start_with::<DocsIndex>(executor, input, options)
        .await
}

/// Creates or keeps the sweep's cron schedule (6-field expression, seconds first, UTC); a missed
/// tick fires once when a worker is back.
pub async fn schedule(client: &engine::Client, expression: &str) -> engine::Result<()> {
    let options = ScheduleOptions {
        queue: Some(DOCS_QUEUE.into()),
        catch_up: CatchUp::FireOnce,
    };
    client
        .schedule::<DocsSweep>(SWEEP_SCHEDULE, expression, &SweepInput {}, options)
        .await
}

/// Input of a sweep run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SweepInput {}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepOutput {
    /// Repositories bound.
    pub repositories: usize,
    /// Indexing runs started.
    pub started: usize,
}

/// Starts an indexing run for every bound repository.
pub struct DocsSweep {
    platform: Arc<Platform>,
}

impl DocsSweep {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

impl Workflow for DocsSweep {
    const KIND: &'static str = "docs_sweep";
    type Input = SweepInput;
    type Output = SweepOutput;

    async fn run(&self, ctx: WorkflowContext, _: SweepInput) -> Result<SweepOutput, WorkflowError> {
        let p = &self.platform;
        let ids: Vec<Uuid> = ctx
            .step("list_repositories", |_| async {
                directory::list_repository_ids(&p.pool)
                    .await
                    .map_err(StepError::retryable)
            })
            .await?;
        let run_id = ctx.run_id();
        let started = ctx
            .step("start_index_runs", |_| async {
                let mut started = 0;
                for id in &ids {
                    let input = IndexInput {
                        repository_id: *id,
                        trigger: "schedule".into(),
                        head_sha: None,
                    };
                    let key = format!("docs:sweep:{run_id}:{id}");
                    let run = start_index(p.client(), &p.pool, &input, key)
                        .await
                        .map_err(StepError::retryable)?;
                    started += usize::from(run.created);
                }
                Ok(started)
            })
            .await?;
        Ok(SweepOutput {
            repositories: ids.len(),
            started,
        })
    }
}

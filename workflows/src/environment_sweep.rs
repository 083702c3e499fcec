//! The cron workflow that removes runtime environments outliving their runs: every five minutes
//! it reads the (project, thread) of every active run and asks the runtime to delete the
//! environments whose lease ran out and that host none of them (run namespaces on Kubernetes;
//! nothing on the local runtime). The runtime re-checks each one right before deleting it.

use std::{collections::HashSet, sync::Arc, time::Duration};

use engine::{
    CatchUp, Client, RetryPolicy, ScheduleOptions, StepError, Workflow, WorkflowContext,
    WorkflowError,
};
use serde::{Deserialize, Serialize};

use crate::{platform::Platform, runtime::Swept, store::agent_run};

/// Every five minutes; a tick missed while no worker ran is skipped.
const EVERY_FIVE_MINUTES: &str = "0 */5 * * * *";

/// The sweep workflow.
pub struct EnvironmentSweep {
    platform: Arc<Platform>,
}

impl EnvironmentSweep {
    /// The workflow over the platform's runtime and database.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }

    /// Schedules it (idempotent: a re-registration keeps the due tick).
    pub async fn schedule(client: &Client) -> engine::Result<()> {
        let options = ScheduleOptions {
            catch_up: CatchUp::Skip {
                tolerance: Duration::from_secs(300),
            },
            ..ScheduleOptions::default()
        };
        client
            .schedule::<Self>(
                "environment_sweep",
                EVERY_FIVE_MINUTES,
                &SweepInput {},
                options,
            )
            .await
    }
}

/// No input.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SweepInput {}

impl Workflow for EnvironmentSweep {
    const KIND: &'static str = "environment_sweep";
    type Input = SweepInput;
    type Output = Swept;

    async fn run(&self, ctx: WorkflowContext, _: SweepInput) -> Result<Swept, WorkflowError> {
        let now = ctx.now().await;
        let p = &*self.platform;
        let swept = ctx
            .step_with("sweep", RetryPolicy::default(), |_| async move {
                // Read right before the sweep, in the same step: a run started since keeps its
                // environment by the lease its prepare extended, which the runtime re-checks.
                let active: HashSet<(uuid::Uuid, u64)> = agent_run::active_threads(&p.pool)
                    .await
                    .map_err(StepError::retryable)?
                    .into_iter()
                    .filter_map(|(project, thread)| Some((project, u64::try_from(thread).ok()?)))
                    .collect();
                p.runtime
                    .sweep(now, &active)
                    .await
                    .map_err(StepError::retryable)
            })
            .await?;
        if !swept.deleted.is_empty() || !swept.kept.is_empty() {
            tracing::info!(
                deleted = swept.deleted.len(),
                kept = swept.kept.len(),
                "environment sweep"
            );
        }
        Ok(swept)
    }
}

//! The sample workflow `dev` runs: steps, a durable sleep, and a pausing wait for a signal.

use std::time::Duration;

use engine::prelude::*;
use serde::{Deserialize, Serialize};

/// Input of the sample run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleInput {
    /// Who to greet.
    pub name: String,
}

/// Signal the sample waits for.
pub const APPROVAL_SIGNAL: &str = "approval";

/// prepare → sleep 1 s → wait for approval (pausing the budget) → finish.
pub struct SampleWorkflow;

impl Workflow for SampleWorkflow {
    const KIND: &'static str = "dev_sample";
    type Input = SampleInput;
    type Output = String;

    async fn run(&self, ctx: WorkflowContext, input: SampleInput) -> Result<String, WorkflowError> {
        let greeting: String = ctx
            .step("prepare", |_| async move {
                Ok(format!("hello, {}", input.name))
            })
            .await?;
        ctx.sleep(Duration::from_secs(1)).await;
        let approval = match ctx
            .wait::<String>(
                Wait::signal(APPROVAL_SIGNAL)
                    .timeout(Duration::from_secs(60))
                    .pausing(),
            )
            .await?
        {
            WaitOutcome::Signal(by) => by,
            WaitOutcome::Deadline => {
                return Err(WorkflowError::new(
                    "no_approval",
                    "nobody approved within 60 s",
                ));
            }
        };
        let summary: String = ctx
            .step("finish", |_| async move {
                Ok(format!("{greeting}; approved by {approval}"))
            })
            .await?;
        Ok(summary)
    }
}

//! The workflow of one agent label request.

use std::{sync::Arc, time::Duration};

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{
    github_step,
    platform::Platform,
    policy::{AgentLabelRequest, Decision, LabelChange, LabelName, Thread, route_agent_labels},
    store::flow_event,
};

/// Signal carrying the Owner's decision on the labels that wait for it.
pub const OWNER_DECISION: &str = "owner_decision";

/// How long a request waits for the Owner before it expires.
const DECISION_TIMEOUT: Duration = Duration::from_secs(72 * 3600);

/// What an agent asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentLabelsInput {
    /// `owner/name`.
    pub repository: String,
    /// The stage run whose agent asked.
    pub requested_by_run: Uuid,
    /// The thread and the labels to add and remove.
    pub request: AgentLabelRequest,
}

/// The Owner's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerDecision {
    /// Approve or deny.
    pub approved: bool,
    /// Who decided (a GitHub login of a platform user).
    pub by: String,
    /// Nobody decided: the approval request expired (the run ends as `Expired` at once).
    #[serde(default)]
    pub expired: bool,
}

/// What happened to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum AgentLabelsOutput {
    /// Everything applied without approval.
    Applied,
    /// The Owner approved; the waiting labels were applied.
    Approved {
        /// The approver.
        by: String,
    },
    /// The Owner denied; only the direct changes applied.
    Denied {
        /// Who denied.
        by: String,
    },
    /// Nobody decided in time.
    Expired,
}

/// Applies an agent's label request under the approval policy.
pub struct AgentLabels {
    platform: Arc<Platform>,
}

impl AgentLabels {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

fn number(thread: Thread) -> u64 {
    match thread {
        Thread::Issue(n) => n.0,
        Thread::PullRequest(n) => n.0,
    }
}

fn names(labels: &[LabelName]) -> Vec<String> {
    labels.iter().map(|l| l.as_str().to_owned()).collect()
}

async fn apply(
    ctx: &WorkflowContext,
    p: &Platform,
    repo: &str,
    thread: Thread,
    change: &LabelChange,
    step: &str,
) -> Result<(), WorkflowError> {
    let (add, remove) = (names(&change.add), names(&change.remove));
    if add.is_empty() && remove.is_empty() {
        return Ok(());
    }
    github_step::call(ctx, step, p.config.github_rate_limit_waits, || async {
        for label in &remove {
            p.code_host
                .remove_label(repo, number(thread), label)
                .await?;
        }
        if !add.is_empty() {
            p.code_host.add_labels(repo, number(thread), &add).await?;
        }
        Ok(())
    })
    .await
}

async fn audit(
    ctx: &WorkflowContext,
    p: &Platform,
    step: &str,
    kind: &'static str,
    detail: serde_json::Value,
) -> Result<(), WorkflowError> {
    let run_id = ctx.run_id();
    ctx.step(step, |_| async move {
        flow_event::insert(&p.pool, Some(run_id), kind, &detail)
            .await
            .map_err(StepError::retryable)
    })
    .await?;
    Ok(())
}

impl Workflow for AgentLabels {
    const KIND: &'static str = "agent_labels";
    type Input = AgentLabelsInput;
    type Output = AgentLabelsOutput;

    async fn run(
        &self,
        ctx: WorkflowContext,
        input: AgentLabelsInput,
    ) -> Result<AgentLabelsOutput, WorkflowError> {
        let p = &*self.platform;
        let repo = input.repository.as_str();
        let decision = route_agent_labels(&p.policy, &input.request);
        let base = json!({ "repository": repo.to_lowercase(), "requested_by_run": input.requested_by_run, "request": input.request });
        audit(
            &ctx,
            p,
            "audit_requested",
            "agent_labels_requested",
            json!({ "request": base, "decision": decision }),
        )
        .await?;
        let (thread, pending, now) = match decision {
            Decision::ApplyLabels { thread, change } => {
                apply(&ctx, p, repo, thread, &change, "apply_labels").await?;
                return Ok(AgentLabelsOutput::Applied);
            }
            Decision::NeedsOwnerApproval {
                thread,
                pending,
                apply_now,
            } => (thread, pending, apply_now),
            other => {
                return Err(WorkflowError::new(
                    "unexpected_decision",
                    format!("{other:?}"),
                ));
            }
        };
        apply(&ctx, p, repo, thread, &now, "apply_direct_labels").await?;
        let decided = ctx
            .wait::<OwnerDecision>(Wait::signal(OWNER_DECISION).timeout(DECISION_TIMEOUT))
            .await?;
        let decision = match decided {
            WaitOutcome::Signal(d) if !d.expired => d,
            _ => {
                audit(&ctx, p, "audit_expired", "agent_labels_expired", base).await?;
                return Ok(AgentLabelsOutput::Expired);
            }
        };
        if !decision.approved {
            audit(
                &ctx,
                p,
                "audit_denied",
                "agent_labels_denied",
                json!({ "request": base, "by": decision.by }),
            )
            .await?;
            return Ok(AgentLabelsOutput::Denied { by: decision.by });
        }
        // Recorded before the change: the bot's label event must count as the approver's.
        let detail = json!({
            "repository": repo.to_lowercase(),
            "thread_number": number(thread),
            "added_labels": names(&pending),
            "actor": decision.by,
            "requested_by_run": input.requested_by_run,
        });
        audit(&ctx, p, "audit_approved", "agent_labels_applied", detail).await?;
        apply(
            &ctx,
            p,
            repo,
            thread,
            &LabelChange {
                add: pending,
                remove: Vec::new(),
            },
            "apply_approved_labels",
        )
        .await?;
        Ok(AgentLabelsOutput::Approved { by: decision.by })
    }
}

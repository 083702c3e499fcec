//! The routing workflow of one delivery: load it, look up facts, route with the pure policy,
//! apply the decision, record the outcome. Each part is a checkpointed step.

use std::sync::Arc;

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    apply,
    facts::{self, BoundRepo, Looked},
};
use crate::{
    github_step,
    platform::Platform,
    policy::{Decision, Event, EventKind, Login, NeedLabel, parse_event, route},
    store::{directory, flow_event, webhook_delivery},
};

/// Input of a routing run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteInput {
    /// The delivery to route.
    pub delivery_id: String,
}

/// What routing did; also stored on the delivery row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteOutput {
    /// `run_started`, `ignored`, `conflict`, `warned`, `need_input`, `failed_precondition`, `cleanup`, `recorded`.
    pub outcome: String,
    /// Stable reason code, when not a run start.
    pub reason: Option<String>,
    /// The stage run started.
    pub agent_run_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Loaded {
    Parsed {
        event: Box<Event>,
        bound: Option<BoundRepo>,
        /// The event's own identity (see `replay`); older checkpoints have none.
        #[serde(default)]
        event_key: Option<String>,
    },
    Malformed {
        message: String,
    },
}

/// Routes one GitHub delivery.
pub struct RouteDelivery {
    platform: Arc<Platform>,
}

impl RouteDelivery {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

impl Workflow for RouteDelivery {
    const KIND: &'static str = "github_delivery";
    /// 2: a default-branch push of a bound repository starts its docs indexing run.
    /// 3: a label event checks the thread's current labels (`current_labels`), stops a live
    /// discussion (`stop_discussion`), is keyed by the event's identity, and a queued run says so
    /// (`queued_comment`).
    const VERSION: u32 = 3;
    type Input = RouteInput;
    type Output = RouteOutput;

    async fn run(
        &self,
        ctx: WorkflowContext,
        input: RouteInput,
    ) -> Result<RouteOutput, WorkflowError> {
        let p = &self.platform;
        let id = input.delivery_id.as_str();
        let loaded: Loaded = ctx.step("load_delivery", |_| load(p, id)).await?;
        let output = match loaded {
            Loaded::Malformed { .. } => RouteOutput {
                outcome: "ignored".into(),
                reason: Some("malformed_payload".into()),
                agent_run_id: None,
            },
            Loaded::Parsed {
                event,
                bound,
                event_key,
            } => {
                let key = event_key.unwrap_or_else(|| format!("delivery:{id}"));
                match decide(&ctx, p, id, &key, &event, bound.as_ref()).await {
                    Ok(output) => output,
                    // GitHub kept rate-limiting past the bound: ask a person instead of waiting longer.
                    Err(e) if e.code == github_step::RATE_LIMITED => {
                        ask_for_input(&ctx, p, &event).await;
                        RouteOutput {
                            outcome: "need_input".into(),
                            reason: Some(e.code),
                            agent_run_id: None,
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let record = output.clone();
        let run_id = ctx.run_id();
        ctx.step("record_outcome", |_| async move {
            let audit = serde_json::json!({
                "delivery_id": id,
                "outcome": record.outcome,
                "reason": record.reason,
                "agent_run_id": record.agent_run_id,
            });
            flow_event::insert(&p.pool, Some(run_id), "delivery_routed", &audit)
                .await
                .map_err(StepError::retryable)?;
            let o = webhook_delivery::Outcome {
                delivery_id: id,
                outcome: &record.outcome,
                reason: record.reason.as_deref(),
                routing_run_id: run_id,
                agent_run_id: record.agent_run_id,
            };
            webhook_delivery::record_outcome(&p.pool, &o)
                .await
                .map_err(StepError::retryable)?;
            // The delivery's one line at the default level (in the step: replays do not repeat it).
            tracing::info!(
                delivery_id = id,
                outcome = %record.outcome,
                reason = record.reason.as_deref().unwrap_or(""),
                agent_run_id = ?record.agent_run_id,
                "delivery routed"
            );
            Ok(())
        })
        .await?;
        Ok(output)
    }

    async fn cleanup(
        &self,
        run_id: Uuid,
        input: RouteInput,
        _: EndReason,
    ) -> Result<(), StepError> {
        record_failure(&self.platform, run_id, &input.delivery_id).await
    }
}

async fn record_failure(p: &Platform, run_id: Uuid, delivery_id: &str) -> Result<(), StepError> {
    let o = webhook_delivery::Outcome {
        delivery_id,
        outcome: "failed",
        reason: Some("routing_failed"),
        routing_run_id: run_id,
        agent_run_id: None,
    };
    webhook_delivery::record_outcome(&p.pool, &o)
        .await
        .map_err(StepError::retryable)?;
    let audit = serde_json::json!({ "delivery_id": delivery_id, "outcome": "failed" });
    flow_event::insert(&p.pool, Some(run_id), "delivery_routed", &audit)
        .await
        .map_err(StepError::retryable)
}

async fn decide(
    ctx: &WorkflowContext,
    p: &Platform,
    id: &str,
    event_key: &str,
    event: &Event,
    bound: Option<&BoundRepo>,
) -> Result<RouteOutput, WorkflowError> {
    let waits = p.config.github_rate_limit_waits;
    let looked: Looked =
        github_step::call(ctx, "load_facts", waits, || facts::load(p, event, bound)).await?;
    let decision: Decision = ctx
        .step("route", |_| async {
            Ok(route(&p.policy, event, &looked.facts))
        })
        .await?;
    apply::apply(
        ctx,
        p,
        apply::Source {
            delivery_id: id,
            event_key,
        },
        event,
        bound,
        looked.learning_override,
        &decision,
    )
    .await
}

/// Best effort: puts `need:input` on the event's thread (GitHub may still refuse).
async fn ask_for_input(ctx: &WorkflowContext, p: &Platform, event: &Event) {
    let thread = match &event.kind {
        EventKind::IssueLabeled { issue, .. } | EventKind::IssueCommentCreated { issue, .. } => {
            Some(issue.0)
        }
        EventKind::PullRequestLabeled { pull_request, .. }
        | EventKind::PullRequestReviewSubmitted { pull_request, .. } => Some(pull_request.0),
        _ => None,
    };
    let Some(number) = thread else { return };
    let label = p
        .policy
        .catalog()
        .need(NeedLabel::Input)
        .as_str()
        .to_owned();
    let repo = event.repository.as_str();
    // The refusal is logged in the step, which runs once: a replay does not repeat the line.
    let _: Result<bool, WorkflowError> = ctx
        .step_with("ask_for_input", RetryPolicy::no_retry(), |_| async {
            match p
                .code_host
                .add_labels(repo, number, std::slice::from_ref(&label))
                .await
            {
                Ok(_) => Ok(true),
                Err(e) => {
                    tracing::warn!(
                        repository = repo,
                        number,
                        status = e.status().map(|s| s.as_u16()),
                        github_message = e.remote_message().unwrap_or_default(),
                        error.message = %crate::error_chain(&e),
                        "could not add need:input either"
                    );
                    Ok(false)
                }
            }
        })
        .await
        .map_err(Into::into);
}

async fn load(p: &Platform, delivery_id: &str) -> Result<Loaded, StepError> {
    let delivery = webhook_delivery::get(&p.pool, delivery_id)
        .await
        .map_err(StepError::retryable)?
        .ok_or_else(|| StepError::terminal(format!("delivery {delivery_id} not found")))?;
    let event_key = super::replay::event_key(&delivery.event, &delivery.payload);
    let mut event = match parse_event(&delivery.event, &delivery.payload) {
        Ok(e) => e,
        Err(e) => {
            // In the step, which runs once: a replay does not repeat the line.
            tracing::warn!(delivery_id, error.message = %e, "malformed delivery: ignored");
            return Ok(Loaded::Malformed {
                message: e.to_string(),
            });
        }
    };
    // A label the bot added for a person who confirmed a next step counts as theirs; the
    // platform's own audit record says who, never the payload.
    if event.sender.login == *p.policy.bot() {
        let labeled = match &event.kind {
            EventKind::IssueLabeled { issue, label, .. } => Some((issue.0, label)),
            EventKind::PullRequestLabeled {
                pull_request,
                label,
                ..
            } => Some((pull_request.0, label)),
            _ => None,
        };
        if let Some((thread, label)) = labeled {
            let repo = event.repository.as_str();
            let actor =
                flow_event::find_transition_actor(&p.pool, repo, thread as i64, label.as_str())
                    .await
                    .map_err(StepError::retryable)?;
            event.on_behalf_of = actor.and_then(|a| Login::parse(&a).ok());
        }
    }
    let bound = directory::binding(&p.pool, event.repository.as_str())
        .await
        .map_err(StepError::retryable)?;
    Ok(Loaded::Parsed {
        event: Box::new(event),
        bound: bound.map(BoundRepo::from),
        event_key,
    })
}

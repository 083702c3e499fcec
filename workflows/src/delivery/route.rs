//! The routing workflow of one delivery: load it, look up facts, route with the pure policy,
//! apply the decision, record the outcome. Each part is a checkpointed step.

use std::sync::Arc;

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    apply,
    facts::{self, BoundRepo, Looked},
    parse::parse_event,
};
use crate::{
    github_step,
    platform::Platform,
    policy::{Decision, Event, EventKind, Login, route},
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
    /// The persisted kind name.
    pub const KIND_NAME: &'static str = "github_delivery";

    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

impl Workflow for RouteDelivery {
    const KIND: &'static str = Self::KIND_NAME;
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
            Loaded::Malformed { message } => {
                tracing::warn!(delivery_id = id, error.message = %message, "malformed delivery");
                RouteOutput {
                    outcome: "ignored".into(),
                    reason: Some("malformed_payload".into()),
                    agent_run_id: None,
                }
            }
            Loaded::Parsed { event, bound } => {
                let waits = p.config.github_rate_limit_waits;
                let looked: Looked = github_step::call(&ctx, "load_facts", waits, || {
                    facts::load(p, &event, bound.as_ref())
                })
                .await?;
                let decision: Decision = ctx
                    .step("route", |_| async {
                        Ok(route(&p.policy, &event, &looked.facts))
                    })
                    .await?;
                apply::apply(
                    &ctx,
                    p,
                    id,
                    &event,
                    bound.as_ref(),
                    looked.learning_override,
                    &decision,
                )
                .await?
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
                .map_err(StepError::retryable)
        })
        .await?;
        Ok(output)
    }
}

async fn load(p: &Platform, delivery_id: &str) -> Result<Loaded, StepError> {
    let delivery = webhook_delivery::get(&p.pool, delivery_id)
        .await
        .map_err(StepError::retryable)?
        .ok_or_else(|| StepError::terminal(format!("delivery {delivery_id} not found")))?;
    let mut event = match parse_event(&delivery.event, &delivery.payload) {
        Ok(e) => e,
        Err(e) => {
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
    })
}

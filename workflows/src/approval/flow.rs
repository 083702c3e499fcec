//! The approval flow: one durable engine run per request. It notifies the approver (signed,
//! bounded retries), waits for the decision until the deadline (expiring the request then), and
//! delivers the decision: labels get their `owner_decision` signal, approved secret and
//! database actions go to the external executor when one is configured, else to the built-in one. Feedback answers are delivered by the blocked tool call.

use std::{sync::Arc, time::Duration};

use engine::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    audit,
    deliver::{self, Event},
    execute::ExecuteError,
    model::{Approval, Kind, State},
    store,
};
use crate::{
    agent_label::OWNER_DECISION,
    platform::Platform,
    store::agent_run::{self, AgentRun},
};

/// Signal that wakes the flow once the request is decided (its payload is ignored: the flow
/// reads the request).
pub const DECIDED: &str = "approval_decided";

/// Input of a flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalFlowInput {
    /// The request.
    pub approval_id: Uuid,
}

/// Where the flow left the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalFlowOutput {
    /// The request's state when the flow ended.
    pub state: State,
}

/// What the flow keeps of a request in its step history: no request body and no answer text
/// (the Owner's free text stays in `approvals` only).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Snapshot {
    id: Uuid,
    agent_run_id: Uuid,
    kind: Kind,
    state: State,
    expires_at: chrono::DateTime<chrono::Utc>,
    target_run_id: Option<Uuid>,
    decided_by: Option<String>,
}

impl From<&Approval> for Snapshot {
    fn from(a: &Approval) -> Self {
        Self {
            id: a.id,
            agent_run_id: a.agent_run_id,
            kind: a.kind,
            state: a.state,
            expires_at: a.expires_at,
            target_run_id: a.target_run_id,
            decided_by: a.decided_by.clone(),
        }
    }
}

/// The approval flow workflow.
pub struct ApprovalFlow {
    platform: Arc<Platform>,
    http: reqwest::Client,
}

impl ApprovalFlow {
    /// The workflow over the platform's services.
    pub fn new(platform: Arc<Platform>) -> Self {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(platform.config.approval.http_timeout)
            .build()
            .unwrap_or_default();
        Self { platform, http }
    }

    fn delivery_policy(&self) -> RetryPolicy {
        RetryPolicy {
            initial_delay: Duration::from_secs(2),
            factor: 2.0,
            max_delay: Duration::from_secs(120),
            max_attempts: self.platform.config.approval.delivery_attempts.max(1),
            ..RetryPolicy::default()
        }
    }
}

async fn load(p: &Platform, id: Uuid) -> Result<(Approval, AgentRun), StepError> {
    let a = store::get(&p.pool, id)
        .await
        .map_err(StepError::retryable)?
        .ok_or_else(|| StepError::terminal(format!("approval {id} not found")))?;
    let run = agent_run::get(&p.pool, a.agent_run_id)
        .await
        .map_err(StepError::retryable)?
        .ok_or_else(|| StepError::terminal("the asking run is gone"))?;
    Ok((a, run))
}

async fn record(
    ctx: &WorkflowContext,
    p: &Platform,
    step: &str,
    run: Uuid,
    kind: &str,
    detail: Value,
) -> Result<(), WorkflowError> {
    ctx.step(step, |_| async move {
        audit::record(p, Some(run), kind, &detail)
            .await
            .map_err(StepError::retryable)
    })
    .await?;
    Ok(())
}

impl ApprovalFlow {
    /// Delivers one event (approver or executor) as a retried step; audits the outcome.
    async fn deliver(
        &self,
        ctx: &WorkflowContext,
        a: &Snapshot,
        event: Event,
        url: Option<&str>,
    ) -> Result<bool, WorkflowError> {
        let p = &*self.platform;
        let (step, kind) = match event {
            Event::Requested => ("notify_approver", "approval_notified"),
            Event::Execute => ("hand_to_executor", "approval_handed_off"),
        };
        let Some(url) = url else {
            let detail =
                json!({ "request_id": a.id, "event": step, "reason": "no url configured" });
            record(
                ctx,
                p,
                &format!("{step}_skipped"),
                a.agent_run_id,
                "approval_delivery_skipped",
                detail,
            )
            .await?;
            return Ok(false);
        };
        let id = a.id;
        let sent = ctx
            .step_with(step, self.delivery_policy(), |_| async move {
                let (a, run) = load(p, id).await?;
                let body =
                    deliver::envelope(event, &a, &run, &p.config.approval, &p.config.api_url)
                        .ok_or_else(|| {
                            StepError::terminal("no signing key or callback key configured")
                        })?;
                deliver::post(&self.http, &p.config.approval, url, event, id, &body).await
            })
            .await;
        let (ok, detail) = match &sent {
            Ok(status) => (true, json!({ "request_id": id, "http_status": status })),
            Err(failed) => (
                false,
                json!({ "request_id": id, "error": failed.message, "attempts": failed.attempts }),
            ),
        };
        let kind = if ok { kind } else { "approval_delivery_failed" };
        record(
            ctx,
            p,
            &format!("audit_{step}"),
            a.agent_run_id,
            kind,
            detail,
        )
        .await?;
        Ok(ok)
    }
}

impl Workflow for ApprovalFlow {
    const KIND: &'static str = "approval_flow";
    type Input = ApprovalFlowInput;
    type Output = ApprovalFlowOutput;

    async fn run(
        &self,
        ctx: WorkflowContext,
        input: ApprovalFlowInput,
    ) -> Result<ApprovalFlowOutput, WorkflowError> {
        let p = &*self.platform;
        let id = input.approval_id;
        let cfg = &p.config.approval;
        let a: Snapshot = ctx
            .step("load", |_| async move {
                Ok(Snapshot::from(&load(p, id).await?.0))
            })
            .await?;
        if a.state == State::Requested {
            self.deliver(&ctx, &a, Event::Requested, cfg.approver_url.as_deref())
                .await?;
            let now = ctx.now().await;
            let timeout = (a.expires_at - now).to_std().unwrap_or(Duration::ZERO);
            let woke = ctx
                .wait::<Value>(Wait::signal(DECIDED).timeout(timeout))
                .await?;
            if woke == WaitOutcome::Deadline {
                let expired: bool = ctx
                    .step("expire", |_| async move {
                        store::expire(&p.pool, id)
                            .await
                            .map(|e| e.is_some())
                            .map_err(StepError::retryable)
                    })
                    .await?;
                if expired {
                    record(
                        &ctx,
                        p,
                        "audit_expired",
                        a.agent_run_id,
                        "approval_expired",
                        json!({ "request_id": id }),
                    )
                    .await?;
                }
            }
        }
        let a: Snapshot = ctx
            .step("reload", |_| async move {
                Ok(Snapshot::from(&load(p, id).await?.0))
            })
            .await?;
        match (a.kind, a.state) {
            // An expired request ends its waiting `agent_labels` run now, not at its own timeout.
            (Kind::Labels, State::Approved | State::Denied | State::Expired) => {
                self.release_labels(&ctx, &a).await?
            }
            (kind, State::Approved)
                if kind.needs_executor()
                    && cfg.executor_url.is_none()
                    && p.executor().is_some() =>
            {
                self.execute(&ctx, &a).await?
            }
            (kind, State::Approved) if kind.needs_executor() => {
                let sent = self
                    .deliver(&ctx, &a, Event::Execute, cfg.executor_url.as_deref())
                    .await?;
                if !sent && cfg.executor_url.is_some() {
                    let result = json!({ "error": "the executor could not be reached" });
                    self.finish(&ctx, &a, State::Failed, result).await?;
                }
            }
            _ => {}
        }
        let state: State = ctx
            .step(
                "final_state",
                |_| async move { Ok(load(p, id).await?.0.state) },
            )
            .await?;
        Ok(ApprovalFlowOutput { state })
    }
}

impl ApprovalFlow {
    /// Sends the decision (or the expiry) to the waiting `agent_labels` run; an approved request is applied once
    /// the run took the signal (failed when that run already ended, e.g. timed out).
    async fn release_labels(
        &self,
        ctx: &WorkflowContext,
        a: &Snapshot,
    ) -> Result<(), WorkflowError> {
        let p = &*self.platform;
        let Some(target) = a.target_run_id else {
            return Ok(());
        };
        let payload = json!({
            "approved": a.state == State::Approved,
            "expired": a.state == State::Expired,
            "by": a.decided_by.clone().unwrap_or_default(),
        });
        let key = format!("approval-{}", a.id);
        // (delivered, the engine's outcome name)
        let (delivered, signal): (bool, Value) = ctx
            .step("signal_labels", |_| async {
                let outcome = p
                    .client()
                    .signal(target, OWNER_DECISION, payload.clone(), Some(&key))
                    .await
                    .map_err(StepError::retryable)?;
                let name = serde_json::to_value(outcome).map_err(StepError::terminal)?;
                Ok((outcome != engine::SignalOutcome::RunFinished, name))
            })
            .await?;
        if a.state == State::Approved {
            let state = if delivered {
                State::Applied
            } else {
                State::Failed
            };
            let result = json!({ "labels_run_id": target, "signal": signal });
            self.finish(ctx, a, state, result).await?;
        }
        Ok(())
    }

    /// Performs an approved action with the built-in executor, as one retried step (the actions
    /// are idempotent), and records the outcome.
    async fn execute(&self, ctx: &WorkflowContext, a: &Snapshot) -> Result<(), WorkflowError> {
        let p = &*self.platform;
        let id = a.id;
        let done = ctx
            .step_with("execute", self.delivery_policy(), |_| async move {
                let (approval, _) = load(p, id).await?;
                let executor = p.executor().ok_or_else(|| {
                    StepError::terminal("the built-in executor is not configured")
                })?;
                executor.execute(p, &approval).await.map_err(|e| match e {
                    ExecuteError::Transient(m) => StepError::retryable(m),
                    ExecuteError::Refused(m) => StepError::terminal(m),
                })
            })
            .await;
        let (state, result) = match done {
            Ok(result) => (State::Applied, result),
            Err(failed) => (
                State::Failed,
                json!({ "error": failed.message, "attempts": failed.attempts }),
            ),
        };
        self.finish(ctx, a, state, result).await
    }

    async fn finish(
        &self,
        ctx: &WorkflowContext,
        a: &Snapshot,
        state: State,
        result: Value,
    ) -> Result<(), WorkflowError> {
        let p = &*self.platform;
        let id = a.id;
        let done: bool = ctx
            .step(&format!("finish_{}", state.as_str()), |_| async {
                store::finish(&p.pool, id, state, &result)
                    .await
                    .map(|d| d.is_some())
                    .map_err(StepError::retryable)
            })
            .await?;
        if done {
            let kind = format!("approval_{}", state.as_str());
            let detail = json!({ "request_id": id, "result": result });
            record(
                ctx,
                p,
                &format!("audit_{}", state.as_str()),
                a.agent_run_id,
                &kind,
                detail,
            )
            .await?;
        }
        Ok(())
    }
}

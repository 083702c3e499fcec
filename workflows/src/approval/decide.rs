//! Answers coming back: the approver's decision and the executor's outcome. Exactly one answer
//! wins (a guarded update); every other answer is classified (duplicate, stale, expired,
//! invalid, forged, forbidden) and refused with a reason. Each accepted decision wakes the
//! request's approval flow, which passes it on to whoever waits.

use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    audit,
    error::{Classification, Error, Result},
    feedback::MAX_CUSTOM_ANSWER,
    flow::DECIDED,
    model::{Approval, Decision, Kind, State, Verdict},
    sign::{Audience, token_matches},
    store,
};
use crate::{
    platform::Platform,
    policy::{Access, ProjectRole},
    store::directory,
};

/// The approver's answer (`POST /api/v1/mcp/approver/callback`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverAnswer {
    /// The request.
    pub request_id: Uuid,
    /// `approved` (for feedback: answered) or `denied`.
    pub decision: Verdict,
    /// GitHub login of the person who decided (a project admin or platform owner/admin).
    pub by: String,
    /// The chosen option (feedback).
    #[serde(default)]
    pub option_id: Option<String>,
    /// The Owner's own answer (feedback that allows it).
    #[serde(default)]
    pub custom_answer: Option<String>,
    /// Why (optional).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What the executor reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutorOutcome {
    /// The action was applied.
    Applied,
    /// The action failed.
    Failed,
}

/// The executor's report (`POST /api/v1/mcp/executor/callback`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutorReport {
    /// The request.
    pub request_id: Uuid,
    /// Applied or failed.
    pub outcome: ExecutorOutcome,
    /// A short description for the agent and the audit (no secret values).
    #[serde(default)]
    pub detail: Option<String>,
}

async fn refuse(p: &Platform, a: Option<&Approval>, c: Classification, reason: String) -> Error {
    // A forged token is an unauthenticated caller: counted at the HTTP edge, never a row each.
    if c == Classification::Forged {
        return Error::refused(c, reason);
    }
    let detail = json!({ "request_id": a.map(|a| a.id), "classification": c, "reason": reason });
    if let Err(e) = audit::record(
        p,
        a.map(|a| a.agent_run_id),
        "approval_callback_refused",
        &detail,
    )
    .await
    {
        tracing::warn!(error.message = %e, "could not audit a refused callback");
    }
    Error::refused(c, reason)
}

async fn authenticate(p: &Platform, audience: Audience, id: Uuid, token: &str) -> Result<Approval> {
    let key = p
        .config
        .approval
        .callback_key
        .as_ref()
        .ok_or(Error::NotConfigured(
            "the callback secret (CK8S_CALLBACK_SECRET)",
        ))?;
    if !token_matches(key, audience, id, token) {
        return Err(refuse(
            p,
            None,
            Classification::Forged,
            "the callback token does not open this request".into(),
        )
        .await);
    }
    match store::get(&p.pool, id).await? {
        Some(a) => Ok(a),
        None => Err(refuse(
            p,
            None,
            Classification::NotFound,
            format!("request {id} does not exist"),
        )
        .await),
    }
}

fn check_answer(a: &Approval, ans: &ApproverAnswer) -> std::result::Result<(), String> {
    if ans.by.trim().is_empty() {
        return Err("by must name the person who decided".into());
    }
    let custom = ans
        .custom_answer
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if a.kind != Kind::Feedback {
        if ans.option_id.is_some() || custom.is_some() {
            return Err("option_id and custom_answer are only for feedback requests".into());
        }
        return Ok(());
    }
    if ans.decision == Verdict::Denied {
        return Ok(());
    }
    if let Some(c) = custom {
        if !a.allows_custom() {
            return Err("this question does not accept a custom answer".into());
        }
        if c.len() > MAX_CUSTOM_ANSWER {
            return Err(format!(
                "custom_answer is longer than {MAX_CUSTOM_ANSWER} bytes"
            ));
        }
    }
    match &ans.option_id {
        Some(id) if !a.options().iter().any(|o| &o.id == id) => Err(format!(
            "option {id:?} is not one of the question's options"
        )),
        None if custom.is_none() => Err("an answer needs an option_id or a custom_answer".into()),
        _ => Ok(()),
    }
}

/// Records the approver's answer if it wins; otherwise refuses it with its classification.
pub async fn answer(p: &Platform, token: &str, ans: ApproverAnswer) -> Result<Approval> {
    let a = authenticate(p, Audience::Approver, ans.request_id, token).await?;
    if let Err(reason) = check_answer(&a, &ans) {
        return Err(refuse(p, Some(&a), Classification::Invalid, reason).await);
    }
    let (access, _) = directory::access(&p.pool, &ans.by, a.project_id).await?;
    let allowed = matches!(
        access,
        Access::User {
            platform: Some(_),
            ..
        } | Access::User {
            project: Some(ProjectRole::Admin),
            ..
        }
    );
    if !allowed {
        let reason = format!("{} is not an owner or admin of this project", ans.by.trim());
        return Err(refuse(p, Some(&a), Classification::Forbidden, reason).await);
    }
    let decision = Decision {
        verdict: ans.decision,
        option_id: ans.option_id.clone(),
        custom_answer: ans
            .custom_answer
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        reason: ans.reason.clone(),
    };
    let by = ans.by.trim().to_lowercase();
    let stored =
        serde_json::to_value(&decision).map_err(|e| crate::Error::Corrupt(e.to_string()))?;
    if let Some(won) = store::decide(&p.pool, a.id, ans.decision.state(), &by, &stored).await? {
        let detail =
            json!({ "request_id": a.id, "state": won.state, "by": by, "decision": stored });
        audit::record(p, Some(a.agent_run_id), "approval_decided", &detail).await?;
        wake(p, &won).await?;
        return Ok(won);
    }
    // Lost: find out why.
    let now = store::get(&p.pool, a.id).await?.unwrap_or(a);
    let (c, reason) = match now.state {
        State::Requested | State::Expired => {
            if let Some(expired) = store::expire(&p.pool, now.id).await? {
                let detail = json!({ "request_id": now.id, "by": "callback after the deadline" });
                audit::record(p, Some(now.agent_run_id), "approval_expired", &detail).await?;
                wake(p, &expired).await?;
            }
            (
                Classification::Expired,
                format!("the request expired at {}", now.expires_at),
            )
        }
        _ if now.decided_by.as_deref() == Some(by.as_str())
            && now.decision.as_ref() == Some(&decision) =>
        {
            (
                Classification::Duplicate,
                "this answer was already recorded".to_owned(),
            )
        }
        state => (
            Classification::Stale,
            format!(
                "the request was already decided ({}) by another answer",
                state.as_str()
            ),
        ),
    };
    Err(refuse(p, Some(&now), c, reason).await)
}

/// Records the executor's outcome of an approved action; refuses repeats and early reports.
pub async fn report(p: &Platform, token: &str, r: ExecutorReport) -> Result<Approval> {
    let a = authenticate(p, Audience::Executor, r.request_id, token).await?;
    if !a.kind.needs_executor() {
        let reason = format!("a {} request has no executor action", a.kind.as_str());
        return Err(refuse(p, Some(&a), Classification::Invalid, reason).await);
    }
    let state = match r.outcome {
        ExecutorOutcome::Applied => State::Applied,
        ExecutorOutcome::Failed => State::Failed,
    };
    let result = json!({ "outcome": r.outcome, "detail": r.detail });
    if let Some(done) = store::finish(&p.pool, a.id, state, &result).await? {
        let kind = format!("approval_{}", state.as_str());
        audit::record(
            p,
            Some(a.agent_run_id),
            &kind,
            &json!({ "request_id": a.id, "result": result }),
        )
        .await?;
        return Ok(done);
    }
    let now = store::get(&p.pool, a.id).await?.unwrap_or(a);
    let (c, reason) = match now.state {
        s if s == state && now.result.as_ref() == Some(&result) => (
            Classification::Duplicate,
            "this outcome was already recorded".to_owned(),
        ),
        State::Requested => (
            Classification::Stale,
            "the request is not approved yet".to_owned(),
        ),
        s => (
            Classification::Stale,
            format!("the request is {}, not approved", s.as_str()),
        ),
    };
    Err(refuse(p, Some(&now), c, reason).await)
}

async fn wake(p: &Platform, a: &Approval) -> Result<()> {
    if let Some(flow) = a.flow_run_id {
        let key = format!("decided-{}", a.id);
        p.client()
            .signal(flow, DECIDED, json!({}), Some(&key))
            .await?;
    }
    Ok(())
}

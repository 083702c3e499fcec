//! Opening a request: reuse the open one with the same signature, or insert a new one and start
//! its approval flow in the same transaction (so a request never exists without its flow).

use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{
    audit,
    error::Result,
    flow::{ApprovalFlow, ApprovalFlowInput},
    model::{Approval, Kind, State},
    store::{self, NewApproval},
};
use crate::{error::db, platform::Platform, store::agent_run::AgentRun};

/// What to open.
#[derive(Debug, Clone)]
pub(crate) struct Opening<'a> {
    /// The asking run.
    pub(crate) run: &'a AgentRun,
    /// Kind.
    pub(crate) kind: Kind,
    /// The MCP tool.
    pub(crate) tool: &'a str,
    /// The validated request.
    pub(crate) request: Value,
    /// Idempotency signature.
    pub(crate) signature: String,
}

/// A request after opening.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    /// The request (new, or the one found by signature).
    pub(crate) approval: Approval,
    /// Whether it was created now.
    pub(crate) created: bool,
}

/// Inserts the request and starts its flow inside `tx`; `None` when an open request with the
/// same signature exists (the caller rolls back).
pub(crate) async fn insert_with_flow(
    tx: &mut Transaction<'_, Postgres>,
    p: &Platform,
    o: &Opening<'_>,
    target_run_id: Option<Uuid>,
) -> Result<Option<Uuid>> {
    let id = Uuid::now_v7();
    let expires_at = chrono::Utc::now() + p.config.approval.ttl;
    let new = NewApproval {
        id,
        agent_run_id: o.run.id,
        project_id: o.run.project_id,
        kind: o.kind,
        tool: o.tool,
        request: &o.request,
        signature: &o.signature,
        target_run_id,
        expires_at,
    };
    if !store::insert(&mut **tx, &new).await? {
        return Ok(None);
    }
    let input = ApprovalFlowInput { approval_id: id };
    let options = engine::StartOptions {
        idempotency_key: Some(format!("approval-flow-{id}")),
        ..engine::StartOptions::default()
    };
    let flow = p
        .client()
        .start_with::<ApprovalFlow>(&mut **tx, &input, options)
        .await?;
    store::set_flow_run(&mut **tx, id, flow.id).await?;
    let detail = json!({
        "request_id": id, "kind": o.kind, "tool": o.tool, "request": audit::redact(&o.request),
        "expires_at": expires_at, "flow_run_id": flow.id,
    });
    crate::store::flow_event::insert(&mut **tx, Some(o.run.id), "approval_requested", &detail)
        .await?;
    Ok(Some(id))
}

/// Finds the open request with the signature, or opens a new one.
pub(crate) async fn open(p: &Platform, o: &Opening<'_>) -> Result<Opened> {
    if let Some(found) = reusable(p, &o.signature).await? {
        return Ok(Opened {
            approval: found,
            created: false,
        });
    }
    let mut tx = p.pool.begin().await.map_err(db("approval::open begin"))?;
    let id = insert_with_flow(&mut tx, p, o, None).await?;
    commit_or_reuse(p, tx, id, &o.signature).await
}

/// Commits a transaction that inserted request `id`, or (when the insert found an open request
/// with the signature) rolls it back and returns that request.
pub(crate) async fn commit_or_reuse(
    p: &Platform,
    tx: Transaction<'_, Postgres>,
    id: Option<Uuid>,
    signature: &str,
) -> Result<Opened> {
    match id {
        Some(id) => {
            tx.commit().await.map_err(db("approval::open commit"))?;
            let approval = store::get(&p.pool, id)
                .await?
                .ok_or_else(|| crate::Error::Corrupt(format!("approval {id} vanished")))?;
            Ok(Opened {
                approval,
                created: true,
            })
        }
        None => {
            tx.rollback().await.map_err(db("approval::open rollback"))?;
            // Lost the race to a concurrent identical request: that one is open now.
            let found = reusable(p, signature).await?.ok_or_else(|| {
                crate::Error::Corrupt("open approval vanished after a conflict".into())
            })?;
            Ok(Opened {
                approval: found,
                created: false,
            })
        }
    }
}

/// How long an answer that was handed to a tool call is handed out again for the same
/// question: the caller may have hung up just before the answer was written (it is noticed
/// within seconds), and its retry must still get the answer.
const REDELIVERY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The newest request with the signature while it is open; for executor actions also once
/// applied (an idempotent replay returns the applied outcome instead of running it again), for
/// feedback while its answer is fresh (see [`REDELIVERY_WINDOW`]).
pub(crate) async fn reusable(p: &Platform, signature: &str) -> Result<Option<Approval>> {
    let found = store::find_latest_by_signature(&p.pool, signature).await?;
    let fresh = |a: &Approval| {
        a.decided_at
            .is_some_and(|t| t > chrono::Utc::now() - REDELIVERY_WINDOW)
    };
    Ok(found.filter(|a| match a.state {
        State::Requested | State::Approved => true,
        State::Applied => a.kind.needs_executor() || (a.kind == Kind::Feedback && fresh(a)),
        State::Denied | State::Expired | State::Failed => false,
    }))
}

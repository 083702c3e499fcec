//! Queries on `approvals` (one function per file under `workflows/queries/approvals/`). Every
//! state change is guarded in SQL: `None` from a guarded update means another writer won.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use super::model::{Approval, Kind, State};
use crate::error::{Error, Result, db};

fn from_row(r: &PgRow) -> Result<Approval> {
    let kind: String = r.get("kind");
    let state: String = r.get("state");
    let corrupt = |what: &str| Error::Corrupt(format!("approval {what}"));
    Ok(Approval {
        id: r.get("id"),
        agent_run_id: r.get("agent_run_id"),
        project_id: r.get("project_id"),
        kind: serde_json::from_value(Value::String(kind)).map_err(|_| corrupt("kind"))?,
        tool: r.get("tool"),
        request: r.get("request"),
        signature: r.get("signature"),
        state: State::parse(&state).ok_or_else(|| corrupt("state"))?,
        flow_run_id: r.get("flow_run_id"),
        target_run_id: r.get("target_run_id"),
        expires_at: r.get("expires_at"),
        decided_by: r.get("decided_by"),
        decided_at: r.get("decided_at"),
        decision: r
            .get::<Option<Value>, _>("decision")
            .map(serde_json::from_value)
            .transpose()
            .map_err(|_| corrupt("decision"))?,
        result: r.get("result"),
        created_at: r.get("created_at"),
    })
}

/// The result of a guarded transition, counted in the metrics when it happened.
fn transitioned(row: Option<PgRow>) -> Result<Option<Approval>> {
    let approval = one(row)?;
    if let Some(a) = &approval {
        crate::metrics::approval(a.kind, a.state);
    }
    Ok(approval)
}

fn one(row: Option<PgRow>) -> Result<Option<Approval>> {
    row.as_ref().map(from_row).transpose()
}

/// A request to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewApproval<'a> {
    /// Id.
    pub(crate) id: Uuid,
    /// The asking run.
    pub(crate) agent_run_id: Uuid,
    /// Its project.
    pub(crate) project_id: Uuid,
    /// Kind.
    pub(crate) kind: Kind,
    /// Tool name.
    pub(crate) tool: &'a str,
    /// Validated request.
    pub(crate) request: &'a Value,
    /// Idempotency signature.
    pub(crate) signature: &'a str,
    /// The engine run waiting for the decision, if any.
    pub(crate) target_run_id: Option<Uuid>,
    /// Deadline.
    pub(crate) expires_at: DateTime<Utc>,
}

/// Inserts a request; `false` when an open request with the same signature exists.
pub(crate) async fn insert(e: impl PgExecutor<'_>, a: &NewApproval<'_>) -> Result<bool> {
    let id: Option<Uuid> = sqlx::query_scalar(include_str!("../../queries/approvals/insert.sql"))
        .bind(a.id)
        .bind(a.agent_run_id)
        .bind(a.project_id)
        .bind(a.kind.as_str())
        .bind(a.tool)
        .bind(a.request)
        .bind(a.signature)
        .bind(a.target_run_id)
        .bind(a.expires_at)
        .fetch_optional(e)
        .await
        .map_err(db("approval::insert"))?;
    if id.is_some() {
        crate::metrics::approval(a.kind, State::Requested);
    }
    Ok(id.is_some())
}

/// Links a request to its approval flow run.
pub(crate) async fn set_flow_run(
    e: impl PgExecutor<'_>,
    id: Uuid,
    flow_run_id: Uuid,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/approvals/set_flow_run.sql"))
        .bind(id)
        .bind(flow_run_id)
        .execute(e)
        .await
        .map_err(db("approval::set_flow_run"))?;
    Ok(())
}

/// One request.
pub(crate) async fn get(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Approval>> {
    let row = sqlx::query(include_str!("../../queries/approvals/get.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("approval::get"))?;
    one(row)
}

/// The newest request with a signature.
pub(crate) async fn find_latest_by_signature(
    e: impl PgExecutor<'_>,
    signature: &str,
) -> Result<Option<Approval>> {
    let row = sqlx::query(include_str!(
        "../../queries/approvals/find_latest_by_signature.sql"
    ))
    .bind(signature)
    .fetch_optional(e)
    .await
    .map_err(db("approval::find_latest_by_signature"))?;
    one(row)
}

/// Decides a requested, unexpired request; `None` when it is not (lost race, decided, expired).
pub(crate) async fn decide(
    e: impl PgExecutor<'_>,
    id: Uuid,
    state: State,
    by: &str,
    decision: &Value,
) -> Result<Option<Approval>> {
    let row = sqlx::query(include_str!("../../queries/approvals/decide.sql"))
        .bind(id)
        .bind(state.as_str())
        .bind(by)
        .bind(decision)
        .fetch_optional(e)
        .await
        .map_err(db("approval::decide"))?;
    transitioned(row)
}

/// Expires a requested request past its deadline; `None` when it is not.
pub(crate) async fn expire(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Approval>> {
    let row = sqlx::query(include_str!("../../queries/approvals/expire.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("approval::expire"))?;
    transitioned(row)
}

/// Records the outcome of an approved request; `None` when it is not approved.
pub(crate) async fn finish(
    e: impl PgExecutor<'_>,
    id: Uuid,
    state: State,
    result: &Value,
) -> Result<Option<Approval>> {
    let row = sqlx::query(include_str!("../../queries/approvals/finish.sql"))
        .bind(id)
        .bind(state.as_str())
        .bind(result)
        .fetch_optional(e)
        .await
        .map_err(db("approval::finish"))?;
    transitioned(row)
}

/// Decided database requests of a project's environment and database, newest first.
pub(crate) async fn list_database_history(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    environment: &str,
    database: &str,
) -> Result<Vec<Approval>> {
    let rows = sqlx::query(include_str!(
        "../../queries/approvals/list_database_history.sql"
    ))
    .bind(project_id)
    .bind(environment)
    .bind(database)
    .fetch_all(e)
    .await
    .map_err(db("approval::list_database_history"))?;
    rows.iter().map(from_row).collect()
}

/// The state of the run's newest Owner question not yet delivered to its agent, if any.
pub(crate) async fn open_feedback_state(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
) -> Result<Option<String>> {
    sqlx::query_scalar(include_str!(
        "../../queries/approvals/open_feedback_for_run.sql"
    ))
    .bind(run_id)
    .fetch_optional(e)
    .await
    .map_err(db("approval::open_feedback_state"))
}

/// Filters of the approvals inbox.
#[derive(Debug, Clone)]
pub(crate) struct InboxParams<'a> {
    pub(crate) state: State,
    pub(crate) project_id: Option<Uuid>,
    pub(crate) visible: Option<&'a [Uuid]>,
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
    pub(crate) limit: i64,
}

/// The inbox page with each request's project slug.
pub(crate) async fn list_inbox(
    e: impl PgExecutor<'_>,
    p: &InboxParams<'_>,
) -> Result<Vec<(Approval, String)>> {
    let rows = sqlx::query(include_str!("../../queries/approvals/list_inbox.sql"))
        .bind(p.state.as_str())
        .bind(p.project_id)
        .bind(p.visible)
        .bind(p.after.map(|a| a.0))
        .bind(p.after.map(|a| a.1))
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("approval::list_inbox"))?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, r.get("project_slug"))))
        .collect()
}

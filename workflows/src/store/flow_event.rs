//! Domain events in the shared `flow_events` audit table.

use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Result, db};

/// Appends an event.
pub async fn insert(
    e: impl PgExecutor<'_>,
    run_id: Option<Uuid>,
    kind: &str,
    detail: &Value,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/flow_events/insert.sql"))
        .bind(run_id)
        .bind(kind)
        .bind(detail)
        .execute(e)
        .await
        .map_err(db("flow_event::insert"))?;
    Ok(())
}

/// Who confirmed the recent next step that added `label` to the thread, if anyone.
pub async fn find_transition_actor(
    e: impl PgExecutor<'_>,
    repository: &str,
    thread: i64,
    label: &str,
) -> Result<Option<String>> {
    sqlx::query_scalar(include_str!(
        "../../queries/flow_events/find_transition.sql"
    ))
    .bind(repository)
    .bind(thread)
    .bind(label)
    .fetch_optional(e)
    .await
    .map_err(db("flow_event::find_transition_actor"))
    .map(Option::flatten)
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Id (increasing).
    pub id: i64,
    /// The run, if any.
    pub run_id: Option<Uuid>,
    /// Kind.
    pub kind: String,
    /// Step position, if any.
    pub step_seq: Option<i32>,
    /// Attempt, if any.
    pub attempt: Option<i32>,
    /// Details (redacted by their writers).
    pub detail: Value,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

fn event_row(r: &sqlx::postgres::PgRow) -> EventRow {
    use sqlx::Row;
    EventRow {
        id: r.get("id"),
        run_id: r.get("run_id"),
        kind: r.get("kind"),
        step_seq: r.get("step_seq"),
        attempt: r.get("attempt"),
        detail: r.get("detail"),
        created_at: r.get("created_at"),
    }
}

/// A run's events after `after`, oldest first, at most `limit`.
pub async fn list_after(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let rows = sqlx::query(include_str!("../../queries/flow_events/list_after.sql"))
        .bind(run_id)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
        .map_err(db("flow_event::list_after"))?;
    Ok(rows.iter().map(event_row).collect())
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditParams<'a> {
    /// One run.
    pub run_id: Option<Uuid>,
    /// One kind.
    pub kind: Option<&'a str>,
    /// Created at or after.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Created before.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    /// Ids below this (the cursor).
    pub before_id: Option<i64>,
    /// Rows to fetch.
    pub limit: i64,
}

/// The audit log, newest first.
pub async fn list_audit(e: impl PgExecutor<'_>, p: &AuditParams<'_>) -> Result<Vec<EventRow>> {
    let rows = sqlx::query(include_str!("../../queries/flow_events/list_audit.sql"))
        .bind(p.run_id)
        .bind(p.kind)
        .bind(p.created_after)
        .bind(p.created_before)
        .bind(p.before_id)
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("flow_event::list_audit"))?;
    Ok(rows.iter().map(event_row).collect())
}

/// A project's audit log, newest first: the events of its stage runs (`p.run_id` narrows it to
/// one of them).
pub async fn list_audit_for_project(
    e: impl PgExecutor<'_>,
    project_id: Uuid,
    p: &AuditParams<'_>,
) -> Result<Vec<EventRow>> {
    let rows = sqlx::query(include_str!(
        "../../queries/flow_events/list_audit_for_project.sql"
    ))
    .bind(project_id)
    .bind(p.run_id)
    .bind(p.kind)
    .bind(p.created_after)
    .bind(p.created_before)
    .bind(p.before_id)
    .bind(p.limit)
    .fetch_all(e)
    .await
    .map_err(db("flow_event::list_audit_for_project"))?;
    Ok(rows.iter().map(event_row).collect())
}

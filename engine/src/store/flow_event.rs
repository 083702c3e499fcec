//! Queries on `flow_events`, the append-only audit.

use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Result, db};

/// An audit event to append.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub(crate) run_id: Uuid,
    pub(crate) kind: &'a str,
    pub(crate) step_seq: Option<i32>,
    pub(crate) attempt: Option<i32>,
    pub(crate) detail: Value,
}

/// One run's events in order.
pub(crate) async fn list_for_run(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
) -> Result<Vec<sqlx::postgres::PgRow>> {
    sqlx::query(include_str!("../../queries/flow_events/list_for_run.sql"))
        .bind(run_id)
        .fetch_all(e)
        .await
        .map_err(db("flow_event::list_for_run"))
}

/// Appends one event for an attempt that still holds its lease; false when it does not.
pub(crate) async fn insert_if_leased(
    e: impl PgExecutor<'_>,
    epoch: i64,
    event: &NewEvent<'_>,
) -> Result<bool> {
    let done = sqlx::query(include_str!(
        "../../queries/flow_events/insert_if_leased.sql"
    ))
    .bind(event.run_id)
    .bind(epoch)
    .bind(event.kind)
    .bind(event.step_seq)
    .bind(event.attempt)
    .bind(&event.detail)
    .execute(e)
    .await
    .map_err(db("flow_event::insert_if_leased"))?;
    Ok(done.rows_affected() == 1)
}

/// Retention: deletes events without a run created before `before`, at most `limit`; returns how many.
pub(crate) async fn prune_orphans(
    e: impl PgExecutor<'_>,
    before: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<u64> {
    let done = sqlx::query(include_str!("../../queries/flow_events/prune_orphans.sql"))
        .bind(before)
        .bind(limit)
        .execute(e)
        .await
        .map_err(db("flow_event::prune_orphans"))?;
    Ok(done.rows_affected())
}

/// Appends an event that belongs to no run (cron, slot accounting).
pub(crate) async fn insert_orphan(
    e: impl PgExecutor<'_>,
    kind: &str,
    detail: &Value,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/flow_events/insert_orphan.sql"))
        .bind(kind)
        .bind(detail)
        .execute(e)
        .await
        .map_err(db("flow_event::insert_orphan"))?;
    Ok(())
}

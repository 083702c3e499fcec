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

/// Appends one event.
pub(crate) async fn insert(e: impl PgExecutor<'_>, event: &NewEvent<'_>) -> Result<()> {
    sqlx::query(include_str!("../../queries/flow_events/insert.sql"))
        .bind(event.run_id)
        .bind(event.kind)
        .bind(event.step_seq)
        .bind(event.attempt)
        .bind(&event.detail)
        .execute(e)
        .await
        .map_err(db("flow_event::insert"))?;
    Ok(())
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

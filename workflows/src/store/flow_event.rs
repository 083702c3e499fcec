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

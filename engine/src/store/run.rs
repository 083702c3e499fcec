//! Queries on `workflow_runs`.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// A run to start.
#[derive(Debug, Clone)]
pub(crate) struct NewRun<'a> {
    pub(crate) id: Uuid,
    pub(crate) kind: &'a str,
    pub(crate) queue: &'a str,
    pub(crate) input: &'a Value,
    pub(crate) priority: i16,
    pub(crate) idempotency_key: Option<&'a str>,
    pub(crate) concurrency_keys: &'a [String],
    pub(crate) concurrency_limits: &'a [i32],
    pub(crate) budget_ms: Option<i64>,
    pub(crate) run_at: Option<DateTime<Utc>>,
}

/// Starts one run; returns its id and whether it was created now (false: idempotent hit).
pub(crate) async fn start(e: impl PgExecutor<'_>, r: &NewRun<'_>) -> Result<(Uuid, bool)> {
    let row = sqlx::query(include_str!("../../queries/workflow_runs/start.sql"))
        .bind(r.id)
        .bind(r.kind)
        .bind(r.queue)
        .bind(r.input)
        .bind(r.priority)
        .bind(r.idempotency_key)
        .bind(r.concurrency_keys)
        .bind(r.concurrency_limits)
        .bind(r.budget_ms)
        .bind(r.run_at)
        .fetch_one(e)
        .await
        .map_err(db("run::start"))?;
    Ok((row.get("run_id"), row.get("created")))
}

/// Starts many runs without concurrency keys; `rows` is a JSON array (see the query). Returns how many.
pub(crate) async fn start_many(e: impl PgExecutor<'_>, rows: Value) -> Result<i64> {
    let row = sqlx::query(include_str!("../../queries/workflow_runs/start_many.sql"))
        .bind(rows)
        .fetch_one(e)
        .await
        .map_err(db("run::start_many"))?;
    Ok(row.get(0))
}

/// Asks a run to end; returns the engine_terminate outcome.
pub(crate) async fn terminate(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    reason: &str,
    detail: &Value,
) -> Result<String> {
    sqlx::query_scalar(include_str!("../../queries/workflow_runs/terminate.sql"))
        .bind(run_id)
        .bind(reason)
        .bind(detail)
        .fetch_one(e)
        .await
        .map_err(db("run::terminate"))
}

/// Marks the run failing under the attempt's lease; false when the lease is gone or it already ends.
pub(crate) async fn fail_if_leased(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    epoch: i64,
    error: &Value,
) -> Result<bool> {
    let done = sqlx::query(include_str!(
        "../../queries/workflow_runs/fail_if_leased.sql"
    ))
    .bind(run_id)
    .bind(epoch)
    .bind(error)
    .execute(e)
    .await
    .map_err(db("run::fail_if_leased"))?;
    Ok(done.rows_affected() == 1)
}

/// Terminates runs whose budget is spent; returns their ids.
pub(crate) async fn time_out_expired(e: impl PgExecutor<'_>, limit: i64) -> Result<Vec<Uuid>> {
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_runs/time_out_expired.sql"
    ))
    .bind(limit)
    .fetch_all(e)
    .await
    .map_err(db("run::time_out_expired"))?;
    Ok(rows.into_iter().map(|r| r.get("id")).collect())
}

/// Gives back the slots of one finished run's keys and admits blocked runs.
pub(crate) async fn release_slots(e: impl PgExecutor<'_>, keys: &[String]) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/workflow_runs/release_slots.sql"
    ))
    .bind(keys)
    .fetch_all(e)
    .await
    .map_err(db("run::release_slots"))?;
    Ok(())
}

/// One run row with its task state.
pub(crate) async fn get(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<Option<PgRow>> {
    sqlx::query(include_str!("../../queries/workflow_runs/get.sql"))
        .bind(run_id)
        .fetch_optional(e)
        .await
        .map_err(db("run::get"))
}

/// Filters and cursor of a run listing.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListParams<'a> {
    pub(crate) kind: Option<&'a str>,
    pub(crate) status: Option<&'a str>,
    pub(crate) queue: Option<&'a str>,
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
    pub(crate) limit: i64,
}

/// Runs newest first.
pub(crate) async fn list(e: impl PgExecutor<'_>, p: &ListParams<'_>) -> Result<Vec<PgRow>> {
    sqlx::query(include_str!("../../queries/workflow_runs/list.sql"))
        .bind(p.kind)
        .bind(p.status)
        .bind(p.queue)
        .bind(p.after.map(|a| a.0))
        .bind(p.after.map(|a| a.1))
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("run::list"))
}

/// Deletes runs finished before `before`, at most `limit`; returns how many.
pub(crate) async fn prune_finished(
    e: impl PgExecutor<'_>,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<i64> {
    sqlx::query_scalar(include_str!(
        "../../queries/workflow_runs/prune_finished.sql"
    ))
    .bind(before)
    .bind(limit)
    .fetch_one(e)
    .await
    .map_err(db("run::prune_finished"))
}

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
    pub(crate) code_version: u32,
    pub(crate) queue: &'a str,
    pub(crate) input: &'a Value,
    pub(crate) priority: i16,
    pub(crate) idempotency_key: Option<&'a str>,
    pub(crate) concurrency_keys: &'a [String],
    pub(crate) concurrency_limits: &'a [i32],
    pub(crate) budget_ms: Option<i64>,
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) trace_parent: Option<String>,
}

/// What a start did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started {
    pub(crate) id: Uuid,
    /// False when the idempotency key returned an existing run.
    pub(crate) created: bool,
    /// The existing run has another kind or input.
    pub(crate) conflict: bool,
}

/// Starts one run, or finds the run of its idempotency key.
pub(crate) async fn start(e: impl PgExecutor<'_>, r: &NewRun<'_>) -> Result<Started> {
    let row = sqlx::query(include_str!("../../queries/workflow_runs/start.sql"))
        .bind(r.id)
        .bind(r.kind)
        .bind(i32::try_from(r.code_version).unwrap_or(i32::MAX))
        .bind(r.queue)
        .bind(r.input)
        .bind(r.priority)
        .bind(r.idempotency_key)
        .bind(r.concurrency_keys)
        .bind(r.concurrency_limits)
        .bind(r.budget_ms)
        .bind(r.run_at)
        .bind(r.trace_parent.as_deref())
        .fetch_one(e)
        .await
        .map_err(db("run::start"))?;
    Ok(Started {
        id: row.get("run_id"),
        created: row.get("created"),
        conflict: row.get("conflict"),
    })
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

/// What the attempt's own end of its run found (see `engine_end_if_leased`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The run ends for this reason (the given one, or an earlier one): run its cleanup.
    Reason(String),
    /// The run has no end reason (only when reading).
    None,
    /// A timeout whose deadline has not passed by the database clock.
    NotDue,
    /// The attempt no longer holds the lease.
    LeaseLost,
}

/// Ends the run for `reason` under the attempt's lease (`None` only reads the end reason).
pub(crate) async fn end_if_leased(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    epoch: i64,
    reason: Option<&str>,
    detail: &Value,
) -> Result<Ending> {
    let outcome: String = sqlx::query_scalar(include_str!(
        "../../queries/workflow_runs/end_if_leased.sql"
    ))
    .bind(run_id)
    .bind(epoch)
    .bind(reason)
    .bind(detail)
    .fetch_one(e)
    .await
    .map_err(db("run::end_if_leased"))?;
    Ok(match outcome.as_str() {
        "lease_lost" => Ending::LeaseLost,
        "none" => Ending::None,
        "not_due" => Ending::NotDue,
        _ => Ending::Reason(outcome),
    })
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

/// The runs among `run_ids` that are ending.
pub(crate) async fn ending_among(e: impl PgExecutor<'_>, run_ids: &[Uuid]) -> Result<Vec<Uuid>> {
    sqlx::query_scalar(include_str!("../../queries/workflow_runs/ending_among.sql"))
        .bind(run_ids)
        .fetch_all(e)
        .await
        .map_err(db("run::ending_among"))
}

/// The database clock.
pub(crate) async fn now(e: impl PgExecutor<'_>) -> Result<DateTime<Utc>> {
    sqlx::query_scalar(include_str!("../../queries/workflow_runs/now.sql"))
        .fetch_one(e)
        .await
        .map_err(db("run::now"))
}

/// Re-opens a failed run from its last failed step; returns the `engine_reopen` outcome.
pub(crate) async fn reopen(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<String> {
    sqlx::query_scalar(include_str!("../../queries/workflow_runs/reopen.sql"))
        .bind(run_id)
        .fetch_one(e)
        .await
        .map_err(db("run::reopen"))
}

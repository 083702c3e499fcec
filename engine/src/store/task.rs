//! Queries on `workflow_tasks`, the claim table.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgExecutor, PgPool, Row};
use uuid::Uuid;

use super::flow_event::{self, NewEvent};
use crate::error::{Result, db};

/// A task this worker now holds.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub(crate) run_id: Uuid,
    pub(crate) queue: String,
    pub(crate) epoch: i64,
    pub(crate) failed_seq: Option<i32>,
    pub(crate) failed_attempts: i32,
    pub(crate) kind: String,
    pub(crate) input: Value,
    pub(crate) end_reason: Option<String>,
    pub(crate) deadline_at: Option<DateTime<Utc>>,
}

/// What to claim.
#[derive(Debug, Clone)]
pub(crate) struct ClaimParams<'a> {
    pub(crate) queue: &'a str,
    pub(crate) limit: i64,
    pub(crate) worker: &'a str,
    pub(crate) lease_secs: f64,
}

/// Claims up to `limit` ready tasks with `for update skip locked`.
pub(crate) async fn claim_available(
    e: impl PgExecutor<'_>,
    p: &ClaimParams<'_>,
) -> Result<Vec<Claimed>> {
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_tasks/claim_available.sql"
    ))
    .bind(p.queue)
    .bind(p.limit)
    .bind(p.worker)
    .bind(p.lease_secs)
    .fetch_all(e)
    .await
    .map_err(db("task::claim_available"))?;
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            run_id: r.get("run_id"),
            queue: r.get("queue"),
            epoch: r.get("epoch"),
            failed_seq: r.get("failed_seq"),
            failed_attempts: r.get("failed_attempts"),
            kind: r.get("kind"),
            input: r.get("input"),
            end_reason: r.get("end_reason"),
            deadline_at: r.get("deadline_at"),
        })
        .collect())
}

/// Extends held leases; returns (run_id, end_reason) of those still held.
pub(crate) async fn extend_lease_many(
    e: impl PgExecutor<'_>,
    leases: &[(Uuid, i64)],
    lease_secs: f64,
) -> Result<Vec<(Uuid, Option<String>)>> {
    let (ids, epochs): (Vec<Uuid>, Vec<i64>) = leases.iter().copied().unzip();
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_tasks/extend_lease_many.sql"
    ))
    .bind(ids)
    .bind(epochs)
    .bind(lease_secs)
    .fetch_all(e)
    .await
    .map_err(db("task::extend_lease_many"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("run_id"), r.get("end_reason")))
        .collect())
}

/// How to hand a leased task back.
#[derive(Debug, Clone)]
pub(crate) struct ReleaseParams {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) run_at: DateTime<Utc>,
    pub(crate) failed_seq: Option<i32>,
    pub(crate) failed_attempts: i32,
}

/// Hands a leased task back as ready; false when the lease was already gone.
pub(crate) async fn release_if_leased(e: impl PgExecutor<'_>, p: &ReleaseParams) -> Result<bool> {
    let done = sqlx::query(include_str!(
        "../../queries/workflow_tasks/release_if_leased.sql"
    ))
    .bind(p.run_id)
    .bind(p.epoch)
    .bind(p.run_at)
    .bind(p.failed_seq)
    .bind(p.failed_attempts)
    .execute(e)
    .await
    .map_err(db("task::release_if_leased"))?;
    Ok(done.rows_affected() == 1)
}

/// Releases the task and appends an audit event in one transaction.
pub(crate) async fn release_with_event(
    pool: &PgPool,
    p: &ReleaseParams,
    event: &NewEvent<'_>,
) -> Result<bool> {
    let mut tx = pool
        .begin()
        .await
        .map_err(db("task::release_with_event begin"))?;
    if !release_if_leased(&mut *tx, p).await? {
        return Ok(false);
    }
    flow_event::insert(&mut *tx, event).await?;
    tx.commit()
        .await
        .map_err(db("task::release_with_event commit"))?;
    Ok(true)
}

/// Records a sleep (when first reached) and releases the task until it is due, in one transaction.
pub(crate) async fn release_for_sleep(
    pool: &PgPool,
    p: &ReleaseParams,
    seq: i32,
    record: Option<Value>,
) -> Result<bool> {
    let mut tx = pool
        .begin()
        .await
        .map_err(db("task::release_for_sleep begin"))?;
    if let Some(output) = record
        && !super::step::insert_if_leased(&mut *tx, p.run_id, p.epoch, seq, "sleep", &output)
            .await?
    {
        return Ok(false);
    }
    if !release_if_leased(&mut *tx, p).await? {
        return Ok(false);
    }
    tx.commit()
        .await
        .map_err(db("task::release_for_sleep commit"))?;
    Ok(true)
}

/// A run to finish under its lease.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) status: &'static str,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<Value>,
}

/// Finishes many runs in one statement; returns (run_id, concurrency_keys) of those whose lease held.
pub(crate) async fn complete_if_leased_many<'a>(
    e: impl PgExecutor<'_>,
    done: impl IntoIterator<Item = &'a Completion>,
) -> Result<Vec<(Uuid, Vec<String>)>> {
    let rows: Vec<Value> = done
        .into_iter()
        .map(|c| json!({ "run_id": c.run_id, "epoch": c.epoch, "status": c.status, "output": c.output, "error": c.error }))
        .collect();
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_tasks/complete_if_leased_many.sql"
    ))
    .bind(Value::Array(rows))
    .fetch_all(e)
    .await
    .map_err(db("task::complete_if_leased_many"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("id"), r.get("concurrency_keys")))
        .collect())
}

/// Ready depth and oldest ready age (seconds) per queue.
pub(crate) async fn queue_stats(e: impl PgExecutor<'_>) -> Result<Vec<(String, i64, f64)>> {
    let rows = sqlx::query(include_str!("../../queries/workflow_tasks/queue_stats.sql"))
        .fetch_all(e)
        .await
        .map_err(db("task::queue_stats"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("queue"), r.get("depth"), r.get("oldest_age_s")))
        .collect())
}

/// One rescued lease.
#[derive(Debug, Clone)]
pub(crate) struct Rescued {
    pub(crate) run_id: Uuid,
    pub(crate) queue: String,
    pub(crate) outcome: String,
}

/// Rescues expired leases.
pub(crate) async fn rescue_expired(
    e: impl PgExecutor<'_>,
    max_rescues: i32,
    limit: i32,
) -> Result<Vec<Rescued>> {
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_tasks/rescue_expired.sql"
    ))
    .bind(max_rescues)
    .bind(limit)
    .fetch_all(e)
    .await
    .map_err(db("task::rescue_expired"))?;
    Ok(rows
        .into_iter()
        .map(|r| Rescued {
            run_id: r.get("run_id"),
            queue: r.get("queue"),
            outcome: r.get("outcome"),
        })
        .collect())
}

/// The earliest run_at among ready tasks of a queue.
pub(crate) async fn wake_up(e: impl PgExecutor<'_>, queue: &str) -> Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(include_str!("../../queries/workflow_tasks/wake_up.sql"))
        .bind(queue)
        .fetch_one(e)
        .await
        .map_err(db("task::wake_up"))
}

/// Locks the tasks of the given runs in run_id order (the first statement of a completer flush).
pub(crate) async fn lock_many(e: impl PgExecutor<'_>, run_ids: &[Uuid]) -> Result<()> {
    sqlx::query(include_str!("../../queries/workflow_tasks/lock_many.sql"))
        .bind(run_ids)
        .fetch_all(e)
        .await
        .map_err(db("task::lock_many"))?;
    Ok(())
}

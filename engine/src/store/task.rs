//! Queries on `workflow_tasks`, the claim table.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::flow_event::NewEvent;
use crate::error::{Result, db};

/// A task this worker now holds.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub(crate) run_id: Uuid,
    pub(crate) queue: String,
    pub(crate) epoch: i64,
    pub(crate) failed_seq: Option<i32>,
    pub(crate) failed_attempts: i32,
    pub(crate) skips: i32,
    pub(crate) kind: String,
    pub(crate) code_version: i32,
    pub(crate) input: Value,
    pub(crate) end_reason: Option<String>,
    /// Budget left when claimed, by the database clock; none without a running budget.
    pub(crate) remaining_ms: Option<i64>,
    /// The database's clock when the claim was made.
    pub(crate) db_now: DateTime<Utc>,
    /// The W3C `traceparent` the run continues (ADR 0023).
    pub(crate) trace_parent: Option<String>,
    /// Whether the run has journal entries to replay (if not, none needs loading).
    pub(crate) has_journal: bool,
}

/// What to claim.
#[derive(Debug, Clone)]
pub(crate) struct ClaimParams<'a> {
    pub(crate) queue: &'a str,
    pub(crate) limit: i64,
    pub(crate) worker: &'a str,
    pub(crate) lease_secs: f64,
}

/// Claims up to `limit` ready or due tasks with `for update skip locked`.
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
            skips: r.get("skips"),
            kind: r.get("kind"),
            code_version: r.get("code_version"),
            input: r.get("input"),
            end_reason: r.get("end_reason"),
            remaining_ms: r.get("remaining_ms"),
            db_now: r.get("db_now"),
            trace_parent: r.get("trace_parent"),
            has_journal: r.get("has_journal"),
        })
        .collect())
}

/// Extends held leases; returns ((run_id, epoch), end_reason) of those still held.
pub(crate) async fn extend_lease_many(
    e: impl PgExecutor<'_>,
    leases: &[(Uuid, i64)],
    lease_secs: f64,
) -> Result<Vec<((Uuid, i64), Option<String>)>> {
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
        .map(|r| ((r.get("run_id"), r.get("epoch")), r.get("end_reason")))
        .collect())
}

/// Why a leased task is handed back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleaseMode {
    /// A step failed and is retried after backoff.
    Retry,
    /// A durable sleep.
    Sleep,
    /// This worker cannot run the run (kind unknown here, code newer): handed back for later.
    Skip,
    /// The cleanup failed and is retried after backoff.
    CleanupRetry,
    /// This worker is shutting down: the run is due again at once.
    Handback,
}

impl ReleaseMode {
    fn as_str(self) -> &'static str {
        match self {
            ReleaseMode::Retry => "retry",
            ReleaseMode::Sleep => "sleep",
            ReleaseMode::Skip => "skip",
            ReleaseMode::CleanupRetry => "cleanup_retry",
            ReleaseMode::Handback => "handback",
        }
    }
}

/// How to hand a leased task back.
#[derive(Debug, Clone)]
pub(crate) struct ReleaseParams<'a> {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) mode: ReleaseMode,
    /// Due after this long (database clock); ignored when `run_at` is set.
    pub(crate) delay: std::time::Duration,
    /// Due at this instant (a replayed sleep's recorded wake-up).
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) failed_seq: Option<i32>,
    pub(crate) failed_attempts: i32,
    /// Records a sleep at this position, with its wake-up, in the same transaction.
    pub(crate) sleep_seq: Option<i32>,
    pub(crate) event: Option<NewEvent<'a>>,
}

/// What a release did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Released {
    /// Handed back; due at this instant.
    Due(DateTime<Utc>),
    /// The run is ending: the lease is kept so the attempt runs the cleanup now.
    Ending,
    /// The lease was already gone.
    LeaseLost,
}

/// Hands a leased task back (see `engine_release`).
pub(crate) async fn release(e: impl PgExecutor<'_>, p: &ReleaseParams<'_>) -> Result<Released> {
    let delay_ms = i64::try_from(p.delay.as_millis()).unwrap_or(i64::MAX);
    let step = p
        .sleep_seq
        .map(|seq| json!({ "seq": seq, "kind": "sleep", "name": "sleep" }));
    let event = p.event.as_ref().map(|ev| {
        json!({ "kind": ev.kind, "step_seq": ev.step_seq, "attempt": ev.attempt, "detail": ev.detail })
    });
    let row = sqlx::query(include_str!("../../queries/workflow_tasks/release.sql"))
        .bind(p.run_id)
        .bind(p.epoch)
        .bind(p.mode.as_str())
        .bind(delay_ms)
        .bind(p.run_at)
        .bind(p.failed_seq)
        .bind(p.failed_attempts)
        .bind(step)
        .bind(event)
        .fetch_one(e)
        .await
        .map_err(db("task::release"))?;
    let outcome: String = row.get("outcome");
    Ok(match outcome.as_str() {
        "released" => Released::Due(row.get("run_at")),
        "ending" => Released::Ending,
        _ => Released::LeaseLost,
    })
}

/// A run to finish under its lease: `succeeded`, or its end reason after its cleanup.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) status: &'static str,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<Value>,
    /// Serialized size of output and error, for the completer's batch bound.
    pub(crate) bytes: usize,
}

/// What became of one completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Completed {
    /// The run is finished; these are the keys whose slots it held.
    Finished(Vec<String>),
    /// An end reason was set meanwhile: the lease is kept, run the cleanup for it.
    Ending(String),
    /// It succeeded after its budget ran out: the lease is kept, time it out.
    Overdue,
    /// The lease was gone.
    LeaseLost,
}

/// Ready depth and oldest due age (seconds) of the given queues; queues with nothing due are absent.
pub(crate) async fn queue_stats(
    e: impl PgExecutor<'_>,
    queues: &[String],
) -> Result<Vec<(String, i64, f64)>> {
    let rows = sqlx::query(include_str!("../../queries/workflow_tasks/queue_stats.sql"))
        .bind(queues)
        .fetch_all(e)
        .await
        .map_err(db("task::queue_stats"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("queue"), r.get("depth"), r.get("oldest_age_s")))
        .collect())
}

/// Due tasks, the oldest due age (seconds) and leased tasks over the given queues.
pub(crate) async fn backlog(e: impl PgExecutor<'_>, queues: &[String]) -> Result<(i64, f64, i64)> {
    let row = sqlx::query(include_str!("../../queries/workflow_tasks/backlog.sql"))
        .bind(queues)
        .fetch_one(e)
        .await
        .map_err(db("task::backlog"))?;
    Ok((
        row.get("due"),
        row.get("oldest_due_age_s"),
        row.get("leased"),
    ))
}

/// How many runs are parked now, on any queue.
pub(crate) async fn count_parked(e: impl PgExecutor<'_>) -> Result<i64> {
    sqlx::query_scalar(include_str!(
        "../../queries/workflow_tasks/count_parked.sql"
    ))
    .fetch_one(e)
    .await
    .map_err(db("task::count_parked"))
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

/// How long until the first timer of a queue is due (database clock); none without timers.
pub(crate) async fn wake_up(e: impl PgExecutor<'_>, queue: &str) -> Result<Option<f64>> {
    sqlx::query_scalar(include_str!("../../queries/workflow_tasks/wake_up.sql"))
        .bind(queue)
        .fetch_one(e)
        .await
        .map_err(db("task::wake_up"))
}

/// Parks a run under the attempt's lease; false when the lease was gone.
pub(crate) async fn park(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    epoch: i64,
    detail: &Value,
) -> Result<bool> {
    let outcome: String = sqlx::query_scalar(include_str!("../../queries/workflow_tasks/park.sql"))
        .bind(run_id)
        .bind(epoch)
        .bind(detail)
        .fetch_one(e)
        .await
        .map_err(db("task::park"))?;
    Ok(outcome == "parked")
}

/// Takes a run out of parking; returns the `engine_unpark` outcome.
pub(crate) async fn unpark(e: impl PgExecutor<'_>, run_id: Uuid, reason: &str) -> Result<String> {
    sqlx::query_scalar(include_str!("../../queries/workflow_tasks/unpark.sql"))
        .bind(run_id)
        .bind(reason)
        .fetch_one(e)
        .await
        .map_err(db("task::unpark"))
}

/// Whether run `run_id` waits for a slot of its concurrency keys.
pub(crate) async fn is_blocked(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<bool> {
    sqlx::query_scalar(include_str!("../../queries/workflow_tasks/is_blocked.sql"))
        .bind(run_id)
        .fetch_one(e)
        .await
        .map_err(db("task::is_blocked"))
}

/// Unparks runs parked for an unknown kind or newer code once these kinds (at these versions) are
/// known; returns how many.
pub(crate) async fn unpark_known(
    e: impl PgExecutor<'_>,
    kinds: &[(String, i32)],
    limit: i64,
) -> Result<usize> {
    let (names, versions): (Vec<String>, Vec<i32>) = kinds.iter().cloned().unzip();
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_tasks/unpark_known.sql"
    ))
    .bind(names)
    .bind(versions)
    .bind(limit)
    .fetch_all(e)
    .await
    .map_err(db("task::unpark_known"))?;
    Ok(rows.len())
}

/// One key whose active count disagreed with the tasks holding its slots, now repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotDrift {
    pub(crate) key: String,
    pub(crate) recorded: i32,
    pub(crate) actual: i32,
}

/// Compares every key's active count with the tasks holding it and repairs drift.
pub(crate) async fn check_slots(e: impl PgExecutor<'_>) -> Result<Vec<SlotDrift>> {
    let rows = sqlx::query(include_str!("../../queries/workflow_tasks/check_slots.sql"))
        .fetch_all(e)
        .await
        .map_err(db("task::check_slots"))?;
    Ok(rows
        .into_iter()
        .map(|r| SlotDrift {
            key: r.get("key"),
            recorded: r.get("recorded"),
            actual: r.get("actual"),
        })
        .collect())
}

//! Queries on `workflow_signals` and `workflow_waits`.

use serde_json::Value;
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// A wait at a step position, under the attempt's lease.
#[derive(Debug, Clone)]
pub(crate) struct WaitParams<'a> {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) seq: i32,
    pub(crate) signal: &'a str,
    pub(crate) pausing: bool,
    /// Gives up this long after the wait first begins (database clock).
    pub(crate) timeout: Option<std::time::Duration>,
}

/// What a wait found.
#[derive(Debug, Clone)]
pub(crate) enum WaitResult {
    Signalled(Value),
    Deadline,
    Waiting,
    /// The run is ending: the lease is kept, run the cleanup.
    Ending,
    /// The wait stored at this position is for another signal or pausing flag (what was found).
    Mismatch(Value),
    LeaseLost,
}

/// Consumes a pending signal, or records the deadline, or begins waiting (releasing the claim).
pub(crate) async fn wait(e: impl PgExecutor<'_>, p: &WaitParams<'_>) -> Result<WaitResult> {
    let row = sqlx::query(include_str!("../../queries/workflow_signals/wait.sql"))
        .bind(p.run_id)
        .bind(p.epoch)
        .bind(p.seq)
        .bind(p.signal)
        .bind(p.pausing)
        .bind(
            p.timeout
                .map(|t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX)),
        )
        .fetch_one(e)
        .await
        .map_err(db("signal::wait"))?;
    let outcome: String = row.get("outcome");
    Ok(match outcome.as_str() {
        "signalled" => WaitResult::Signalled(
            row.get::<Option<Value>, _>("payload")
                .unwrap_or(Value::Null),
        ),
        "deadline" => WaitResult::Deadline,
        "waiting" => WaitResult::Waiting,
        "ending" => WaitResult::Ending,
        "mismatch" => WaitResult::Mismatch(
            row.get::<Option<Value>, _>("payload")
                .unwrap_or(Value::Null),
        ),
        _ => WaitResult::LeaseLost,
    })
}

/// Sends a signal; returns the engine_signal outcome.
pub(crate) async fn send(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
    name: &str,
    payload: &Value,
    idempotency_key: Option<&str>,
) -> Result<String> {
    sqlx::query_scalar(include_str!("../../queries/workflow_signals/send.sql"))
        .bind(run_id)
        .bind(name)
        .bind(payload)
        .bind(idempotency_key)
        .fetch_one(e)
        .await
        .map_err(db("signal::send"))
}

/// One run's waits.
pub(crate) async fn list_waits_for_run(e: impl PgExecutor<'_>, run_id: Uuid) -> Result<Vec<PgRow>> {
    sqlx::query(include_str!(
        "../../queries/workflow_signals/list_waits_for_run.sql"
    ))
    .bind(run_id)
    .fetch_all(e)
    .await
    .map_err(db("signal::list_waits_for_run"))
}

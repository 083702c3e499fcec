//! Direct tests of the engine's fence: its own fenced statements, replayed with a killed
//! attempt's (run, epoch) pairs, must change nothing. Each probe runs in a rolled-back transaction.

use anyhow::{Context, Result};
use chrono::Utc;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

const FLUSH: &str = include_str!("../../../../engine/queries/completer/flush.sql");
const LEASE_EXTEND: &str =
    include_str!("../../../../engine/queries/workflow_tasks/extend_lease_many.sql");

/// A step seq no run reaches, so only the fence (not the primary key) can refuse the insert.
const PROBE_SEQ: i32 = 1000;

/// Rows each fenced statement accepted for the given (run, epoch) pairs.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Accepted {
    /// Step outputs inserted.
    pub(crate) step_inserts: u64,
    /// Leases extended.
    pub(crate) lease_extensions: u64,
    /// Runs completed.
    pub(crate) completions: u64,
}

impl Accepted {
    /// All accepted writes.
    pub(crate) fn total(&self) -> u64 {
        self.step_inserts + self.lease_extensions + self.completions
    }
}

/// Replays the step insert, the heartbeat and the completion for `leases`, then rolls back.
pub(crate) async fn probe(pool: &PgPool, leases: &[(Uuid, i64)], output: &str) -> Result<Accepted> {
    let mut tx = pool.begin().await.context("begin fence probe")?;
    let steps: Vec<Value> = leases
        .iter()
        .map(|(run_id, epoch)| {
            json!({ "run_id": run_id, "epoch": epoch, "seq": PROBE_SEQ, "kind": "step", "name": "probe",
                    "status": "succeeded", "output": output, "error": null, "attempts": 1,
                    "started_at": Utc::now() })
        })
        .collect();
    let (ids, epochs): (Vec<Uuid>, Vec<i64>) = leases.iter().copied().unzip();
    let mut sorted = ids.clone();
    sorted.sort();
    let step_inserts = accepted(&mut tx, Value::Array(steps), json!([]), &sorted, "accepted")
        .await
        .context("fence probe: step insert")?;
    let lease_extensions = sqlx::query(LEASE_EXTEND)
        .bind(&ids)
        .bind(&epochs)
        .bind(10.0_f64)
        .fetch_all(&mut *tx)
        .await
        .context("fence probe: lease extension")?
        .len() as u64;
    let completions: Vec<Value> = leases
        .iter()
        .map(|(run_id, epoch)| {
            json!({ "run_id": run_id, "epoch": epoch, "status": "succeeded", "output": output, "error": null })
        })
        .collect();
    let completions = accepted(
        &mut tx,
        json!([]),
        Value::Array(completions),
        &sorted,
        "finished",
    )
    .await
    .context("fence probe: completion")?;
    tx.rollback().await.context("roll back fence probe")?;
    Ok(Accepted {
        step_inserts,
        lease_extensions,
        completions,
    })
}

/// Runs the completer's flush statement; counts the rows whose outcome is `wanted`.
async fn accepted(
    tx: &mut sqlx::PgConnection,
    steps: Value,
    completions: Value,
    run_ids: &[Uuid],
    wanted: &str,
) -> Result<u64> {
    use sqlx::Row;
    let rows = sqlx::query(FLUSH)
        .bind(steps)
        .bind(completions)
        .bind(run_ids)
        .fetch_all(tx)
        .await?;
    Ok(rows
        .iter()
        .filter(|r| r.get::<String, _>("outcome") == wanted)
        .count() as u64)
}

/// The (run, epoch) pairs currently leased.
pub(crate) async fn leased(pool: &PgPool) -> Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(
        "select run_id, epoch from workflow_tasks where state = 'leased' order by run_id",
    )
    .fetch_all(pool)
    .await
    .context("read leased tasks")
}

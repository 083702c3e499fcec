//! Queries on `workflow_steps`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::{EntryKind, StepRecord, StepStatus};
use crate::error::{Result, db};

/// A step output to commit under an attempt's lease.
#[derive(Debug, Clone)]
pub(crate) struct NewStep {
    pub(crate) run_id: Uuid,
    pub(crate) epoch: i64,
    pub(crate) seq: i32,
    pub(crate) record: StepRecord,
    pub(crate) attempts: i32,
    pub(crate) started_at: DateTime<Utc>,
    /// Serialized size of output and error, for the completer's batch bound.
    pub(crate) bytes: usize,
}

/// Commits many steps in one statement; returns the (run, epoch) of those whose lease still held.
pub(crate) async fn insert_if_leased_many<'a>(
    e: impl PgExecutor<'_>,
    steps: impl IntoIterator<Item = &'a NewStep>,
) -> Result<std::collections::HashSet<(Uuid, i64)>> {
    let rows: Vec<Value> = steps
        .into_iter()
        .map(|s| {
            json!({
                "run_id": s.run_id, "epoch": s.epoch, "seq": s.seq, "kind": s.record.kind.as_str(),
                "name": s.record.name,
                "status": s.record.status.as_str(), "output": s.record.output, "error": s.record.error,
                "attempts": s.attempts, "started_at": s.started_at,
            })
        })
        .collect();
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_steps/insert_if_leased_many.sql"
    ))
    .bind(Value::Array(rows))
    .fetch_all(e)
    .await
    .map_err(db("step::insert_if_leased_many"))?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("run_id"), r.get("epoch")))
        .collect())
}

/// The step histories of the given runs, keyed by run and seq.
pub(crate) async fn list_for_runs(
    e: impl PgExecutor<'_>,
    run_ids: &[Uuid],
) -> Result<HashMap<Uuid, HashMap<i32, StepRecord>>> {
    let rows = sqlx::query(include_str!(
        "../../queries/workflow_steps/list_for_runs.sql"
    ))
    .bind(run_ids)
    .fetch_all(e)
    .await
    .map_err(db("step::list_for_runs"))?;
    let mut out: HashMap<Uuid, HashMap<i32, StepRecord>> = HashMap::new();
    for row in rows {
        let status: String = row.get("status");
        out.entry(row.get("run_id")).or_default().insert(
            row.get("seq"),
            StepRecord {
                kind: EntryKind::parse(row.get("kind")),
                name: row.get("name"),
                status: StepStatus::parse(&status),
                output: row.get("output"),
                error: row.get("error"),
            },
        );
    }
    Ok(out)
}

/// One run's steps for inspection, in order.
pub(crate) async fn list_for_run(
    e: impl PgExecutor<'_>,
    run_id: Uuid,
) -> Result<Vec<sqlx::postgres::PgRow>> {
    sqlx::query(include_str!(
        "../../queries/workflow_steps/list_for_run.sql"
    ))
    .bind(run_id)
    .fetch_all(e)
    .await
    .map_err(db("step::list_for_run"))
}

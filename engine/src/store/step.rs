//! Queries on `workflow_steps`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
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

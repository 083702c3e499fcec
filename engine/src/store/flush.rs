//! The completer's write: step outputs and run completions of many attempts in one statement, each
//! under the lease it was made under (`queries/completer/flush.sql`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::{
    step::NewStep,
    task::{Completed, Completion},
};
use crate::error::{Result, db};

/// What one flush committed.
#[derive(Debug, Default)]
pub(crate) struct Flushed {
    /// The (run, epoch) of every step output accepted under its lease.
    pub(crate) accepted: HashSet<(Uuid, i64)>,
    /// What became of each completion, by (run, epoch).
    pub(crate) completed: HashMap<(Uuid, i64), Completed>,
}

/// Writes the steps and completions in one statement (one round trip, its own transaction when
/// `e` is the pool): task rows are locked first in run id order, slots of finished runs released.
pub(crate) async fn write(
    e: impl PgExecutor<'_>,
    steps: &[&NewStep],
    completions: &[&Completion],
) -> Result<Flushed> {
    let mut touched: Vec<Uuid> = steps
        .iter()
        .map(|s| s.run_id)
        .chain(completions.iter().map(|c| c.run_id))
        .collect();
    touched.sort();
    touched.dedup();
    let steps: Vec<Value> = steps
        .iter()
        .map(|s| {
            json!({
                "run_id": s.run_id, "epoch": s.epoch, "seq": s.seq, "kind": s.record.kind.as_str(),
                "name": s.record.name,
                "status": s.record.status.as_str(), "output": s.record.output, "error": s.record.error,
                "attempts": s.attempts, "started_at": s.started_at,
            })
        })
        .collect();
    let completions: Vec<Value> = completions
        .iter()
        .map(|c| json!({ "run_id": c.run_id, "epoch": c.epoch, "status": c.status, "output": c.output, "error": c.error }))
        .collect();
    let rows = sqlx::query(include_str!("../../queries/completer/flush.sql"))
        .bind(Value::Array(steps))
        .bind(Value::Array(completions))
        .bind(&touched)
        .fetch_all(e)
        .await
        .map_err(db("completer flush"))?;
    let mut flushed = Flushed::default();
    for r in rows {
        let key: (Uuid, i64) = (r.get("run_id"), r.get("epoch"));
        let outcome: String = r.get("outcome");
        if !r.get::<bool, _>("finish") {
            if outcome == "accepted" {
                flushed.accepted.insert(key);
            }
            continue;
        }
        let completed = match outcome.as_str() {
            "finished" => Completed::Finished(r.get("held_keys")),
            "ending" => {
                Completed::Ending(r.get::<Option<String>, _>("end_reason").unwrap_or_default())
            }
            "overdue" => Completed::Overdue,
            _ => Completed::LeaseLost,
        };
        flushed.completed.insert(key, completed);
    }
    Ok(flushed)
}

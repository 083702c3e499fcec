//! Inspection queries: list runs with filters and cursor pagination; one run with its steps, waits
//! and a merged event timeline. The HTTP API over these is a later layer.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{Row, postgres::PgRow};
use uuid::Uuid;

use crate::{Client, Error, Result, store};

/// A run's status. `Running` is derived: a pending run whose task is leased by a worker.
/// The state machine is drawn in `docs/state-machine.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Queued, blocked behind its concurrency key, or between steps.
    Pending,
    /// A worker holds its lease.
    Running,
    /// Waiting for a signal (or sleeping is Pending with a future task).
    Waiting,
    /// Stopped until an operator retries or cancels it (its replay diverged from its journal, no
    /// worker knows its kind, or its code is newer than any worker's); see `RunDetail::parked`.
    Parked,
    /// Finished with an output.
    Succeeded,
    /// Finished with an error (after its cleanup).
    Failed,
    /// Cancelled (after its cleanup).
    Cancelled,
    /// Its budget was spent (after its cleanup).
    TimedOut,
}

impl RunStatus {
    /// The stored or filter name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Parked => "parked",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::TimedOut => "timed_out",
        }
    }

    fn derive(stored: &str, task_state: Option<&str>) -> Self {
        match (stored, task_state) {
            ("pending", Some("leased")) => RunStatus::Running,
            ("pending", _) => RunStatus::Pending,
            ("waiting", _) => RunStatus::Waiting,
            ("parked", _) => RunStatus::Parked,
            ("succeeded", _) => RunStatus::Succeeded,
            ("failed", _) => RunStatus::Failed,
            ("cancelled", _) => RunStatus::Cancelled,
            _ => RunStatus::TimedOut,
        }
    }

    /// Whether the run has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled | RunStatus::TimedOut
        )
    }
}

/// Filters of a run listing; all optional.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this workflow kind.
    pub kind: Option<String>,
    /// Only this status.
    pub status: Option<RunStatus>,
    /// Only this queue.
    pub queue: Option<String>,
    /// Continue after this cursor (from the previous page).
    pub cursor: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
}

/// One row of a run listing.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: Uuid,
    /// Workflow kind.
    pub kind: String,
    /// Queue.
    pub queue: String,
    /// Status.
    pub status: RunStatus,
    /// Priority.
    pub priority: i16,
    /// Why it is ending or ended, if not by success.
    pub end_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A page of runs.
#[derive(Debug, Clone, Serialize)]
pub struct RunPage {
    /// The runs, newest first.
    pub runs: Vec<RunSummary>,
    /// Pass as `RunFilter::cursor` for the next page; none at the end.
    pub next_cursor: Option<String>,
}

/// One step of a run.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// Position in the workflow.
    pub seq: i32,
    /// What the entry records: `step`, `sleep`, `wait`, `now` or `uuid`.
    pub kind: String,
    /// Step name.
    pub name: String,
    /// `succeeded` or `failed`.
    pub status: String,
    /// Attempts it took.
    pub attempts: i32,
    /// Start of the final attempt.
    pub started_at: DateTime<Utc>,
    /// Commit time.
    pub finished_at: DateTime<Utc>,
    /// Duration of the final attempt in ms.
    pub duration_ms: i64,
    /// Output.
    pub output: Option<Value>,
    /// Error of a failed step.
    pub error: Option<Value>,
}

/// One wait of a run.
#[derive(Debug, Clone, Serialize)]
pub struct WaitView {
    /// Position in the workflow.
    pub seq: i32,
    /// Signal name.
    pub signal: String,
    /// Whether it paused the budget.
    pub pausing: bool,
    /// When it gives up.
    pub deadline_at: Option<DateTime<Utc>>,
    /// Began.
    pub started_at: DateTime<Utc>,
    /// Ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// `signalled`, `deadline` or `cancelled`.
    pub outcome: Option<String>,
    /// Budget time it paused, in ms.
    pub paused_ms: Option<i64>,
}

/// One entry of a run's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// When.
    pub at: DateTime<Utc>,
    /// What (`created`, `step_completed`, `step_failed`, `lease_rescued`, `waiting`, …).
    pub kind: String,
    /// The step position, if any.
    pub step_seq: Option<i32>,
    /// The attempt, if any.
    pub attempt: Option<i32>,
    /// Details.
    pub detail: Value,
}

/// A run with its history.
#[derive(Debug, Clone, Serialize)]
pub struct RunDetail {
    /// The summary fields.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// Input.
    pub input: Value,
    /// Output when succeeded.
    pub output: Option<Value>,
    /// Error when failed, cancelled or timed out.
    pub error: Option<Value>,
    /// Why the run is parked (`code`, `message`, and for a nondeterministic replay the `position`,
    /// what the code `expected` and what the journal holds: `found`).
    pub parked: Option<Value>,
    /// The code version of its workflow kind that started it.
    pub code_version: i32,
    /// Idempotency key.
    pub idempotency_key: Option<String>,
    /// Concurrency keys.
    pub concurrency_keys: Vec<String>,
    /// Time budget in ms.
    pub budget_ms: Option<i64>,
    /// Budget spent so far in ms (excluding pausing waits).
    pub budget_spent_ms: Option<i64>,
    /// When the budget runs out if the clock keeps running; none while paused.
    pub deadline_at: Option<DateTime<Utc>>,
    /// Steps in order.
    pub steps: Vec<StepView>,
    /// Waits in order.
    pub waits: Vec<WaitView>,
    /// Merged timeline: run creation and end, step commits, and flow events.
    pub events: Vec<EventView>,
}

fn summary(row: &PgRow) -> RunSummary {
    let stored: String = row.get("status");
    let task_state: Option<String> = row.get("task_state");
    RunSummary {
        id: row.get("id"),
        kind: row.get("kind"),
        queue: row.get("queue"),
        status: RunStatus::derive(&stored, task_state.as_deref()),
        priority: row.get("priority"),
        end_reason: row.get("end_reason"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        finished_at: row.get("finished_at"),
    }
}

fn encode_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}_{id}", at.timestamp_micros())
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid)> {
    let bad = || Error::InvalidOption {
        name: "cursor",
        message: "malformed cursor".into(),
    };
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| bad())?).ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

impl Client {
    /// Lists runs newest first.
    pub async fn list_runs(&self, filter: &RunFilter) -> Result<RunPage> {
        let limit = filter.limit.unwrap_or(50).clamp(1, 500);
        let after = filter.cursor.as_deref().map(decode_cursor).transpose()?;
        let params = store::run::ListParams {
            kind: filter.kind.as_deref(),
            status: filter.status.map(RunStatus::as_str),
            queue: filter.queue.as_deref(),
            after,
            limit: limit + 1,
        };
        let rows = store::run::list(&self.pool, &params).await?;
        let mut runs: Vec<RunSummary> = rows.iter().map(summary).collect();
        let next_cursor = if runs.len() as i64 > limit {
            runs.truncate(limit as usize);
            runs.last().map(|r| encode_cursor(r.created_at, r.id))
        } else {
            None
        };
        Ok(RunPage { runs, next_cursor })
    }

    /// One run with its steps, waits and timeline.
    pub async fn get_run(&self, run_id: Uuid) -> Result<RunDetail> {
        let row = store::run::get(&self.pool, run_id)
            .await?
            .ok_or(Error::RunNotFound(run_id))?;
        let s = summary(&row);
        let steps: Vec<StepView> = store::step::list_for_run(&self.pool, run_id)
            .await?
            .iter()
            .map(|r| {
                let started_at: DateTime<Utc> = r.get("started_at");
                let finished_at: DateTime<Utc> = r.get("finished_at");
                StepView {
                    seq: r.get("seq"),
                    kind: r.get("kind"),
                    name: r.get("name"),
                    status: r.get("status"),
                    attempts: r.get("attempts"),
                    started_at,
                    finished_at,
                    duration_ms: (finished_at - started_at).num_milliseconds(),
                    output: r.get("output"),
                    error: r.get("error"),
                }
            })
            .collect();
        let waits: Vec<WaitView> = store::signal::list_waits_for_run(&self.pool, run_id)
            .await?
            .iter()
            .map(|r| WaitView {
                seq: r.get("seq"),
                signal: r.get("signal"),
                pausing: r.get("pausing"),
                deadline_at: r.get("deadline_at"),
                started_at: r.get("started_at"),
                ended_at: r.get("ended_at"),
                outcome: r.get("outcome"),
                paused_ms: r.get("paused_ms"),
            })
            .collect();
        let mut events = vec![EventView {
            at: s.created_at,
            kind: "created".into(),
            step_seq: None,
            attempt: None,
            detail: json!({ "kind": s.kind, "queue": s.queue }),
        }];
        events.extend(steps.iter().map(|st| EventView {
            at: st.finished_at,
            kind: format!(
                "step_{}",
                if st.status == "failed" {
                    "failed"
                } else {
                    "completed"
                }
            ),
            step_seq: Some(st.seq),
            attempt: Some(st.attempts),
            detail: json!({ "step": st.name, "duration_ms": st.duration_ms }),
        }));
        events.extend(
            store::flow_event::list_for_run(&self.pool, run_id)
                .await?
                .iter()
                .map(|r| EventView {
                    at: r.get("created_at"),
                    kind: r.get("kind"),
                    step_seq: r.get("step_seq"),
                    attempt: r.get("attempt"),
                    detail: r.get("detail"),
                }),
        );
        if let Some(at) = s.finished_at {
            events.push(EventView {
                at,
                kind: s.status.as_str().into(),
                step_seq: None,
                attempt: None,
                detail: json!({}),
            });
        }
        events.sort_by_key(|e| e.at);
        Ok(RunDetail {
            input: row.get("input"),
            output: row.get("output"),
            error: row.get("error"),
            parked: row.get("parked"),
            code_version: row.get("code_version"),
            idempotency_key: row.get("idempotency_key"),
            concurrency_keys: row.get("concurrency_keys"),
            budget_ms: row.get("budget_ms"),
            budget_spent_ms: row
                .get::<Option<i64>, _>("budget_ms")
                .map(|_| row.get("budget_spent_ms")),
            deadline_at: row.get("deadline_at"),
            summary: s,
            steps,
            waits,
            events,
        })
    }
}

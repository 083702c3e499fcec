//! What agents report about their own end (`agent_outcomes`): one row per launch attempt of a
//! run, written through the runner API before the agent exits, read by whichever worker runs the
//! stage run afterwards. It outlives the worker that launched the agent.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// An agent's reported outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOutcome {
    /// The stage run.
    pub agent_run_id: Uuid,
    /// The launch attempt that reported it.
    pub attempt: u32,
    /// The exit status the agent reported (0: its work is done).
    pub exit_code: i32,
    /// Its final message, if any.
    pub final_message: Option<String>,
    /// The pull request it opened or updated, if any.
    pub pull_request: Option<u64>,
    /// When it was first recorded.
    pub created_at: DateTime<Utc>,
}

impl AgentOutcome {
    fn from_row(r: &PgRow) -> Self {
        let attempt: i32 = r.get("attempt");
        let pull_request: Option<i64> = r.get("pull_request");
        Self {
            agent_run_id: r.get("agent_run_id"),
            attempt: u32::try_from(attempt).unwrap_or(0),
            exit_code: r.get("exit_code"),
            final_message: r.get("final_message"),
            pull_request: pull_request.and_then(|n| u64::try_from(n).ok()),
            created_at: r.get("created_at"),
        }
    }

    fn same_report(&self, new: &NewOutcome<'_>) -> bool {
        self.exit_code == new.exit_code
            && self.final_message.as_deref() == new.final_message
            && self.pull_request == new.pull_request
    }
}

/// An outcome to record.
#[derive(Debug, Clone, Copy)]
pub struct NewOutcome<'a> {
    /// The stage run.
    pub agent_run_id: Uuid,
    /// The launch attempt whose token made the report.
    pub attempt: u32,
    /// Exit status.
    pub exit_code: i32,
    /// Final message.
    pub final_message: Option<&'a str>,
    /// Pull request.
    pub pull_request: Option<u64>,
}

/// What recording an outcome did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Stored: the attempt's first report.
    Stored(AgentOutcome),
    /// The same report was already stored (a retry): nothing changed.
    Replayed(AgentOutcome),
    /// The attempt already reported something else: the first report stands.
    Conflict(AgentOutcome),
    /// The run was launched again after this attempt: its report is refused.
    Stale,
}

/// Records the attempt's outcome: the first report wins, a repeat is harmless, and an attempt the
/// run has moved past (a newer launch exists) is refused.
pub async fn record(pool: &PgPool, new: &NewOutcome<'_>) -> Result<Recorded> {
    let attempt = i32::try_from(new.attempt).unwrap_or(i32::MAX);
    let pull_request = new.pull_request.and_then(|n| i64::try_from(n).ok());
    let row = sqlx::query(include_str!("../../queries/agent_outcomes/insert.sql"))
        .bind(new.agent_run_id)
        .bind(attempt)
        .bind(new.exit_code)
        .bind(new.final_message)
        .bind(pull_request)
        .fetch_optional(pool)
        .await
        .map_err(db("agent_outcome::record"))?;
    if let Some(row) = row {
        return Ok(Recorded::Stored(AgentOutcome::from_row(&row)));
    }
    let replaced: bool = sqlx::query_scalar(include_str!(
        "../../queries/agent_outcomes/attempt_replaced.sql"
    ))
    .bind(new.agent_run_id)
    .bind(attempt)
    .fetch_one(pool)
    .await
    .map_err(db("agent_outcome::attempt_replaced"))?;
    if replaced {
        return Ok(Recorded::Stale);
    }
    Ok(match get(pool, new.agent_run_id, new.attempt).await? {
        Some(first) if first.same_report(new) => Recorded::Replayed(first),
        Some(first) => Recorded::Conflict(first),
        // The insert saw a newer attempt whose tokens are gone now (pruned): still replaced.
        None => Recorded::Stale,
    })
}

/// The outcome one launch attempt of the run reported, if it did.
pub async fn get(
    e: impl PgExecutor<'_>,
    agent_run_id: Uuid,
    attempt: u32,
) -> Result<Option<AgentOutcome>> {
    let row = sqlx::query(include_str!("../../queries/agent_outcomes/get.sql"))
        .bind(agent_run_id)
        .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
        .fetch_optional(e)
        .await
        .map_err(db("agent_outcome::get"))?;
    Ok(row.as_ref().map(AgentOutcome::from_row))
}

//! The staff API's reads of stage runs: the filtered runs list, one run's summary, its agent
//! sessions and token usage. Queries live under `agent_runs/`, `agent_sessions/` and `token_usage/`.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// A stage run as the staff API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    /// Run id (the engine run id).
    pub id: Uuid,
    /// Project slug.
    pub project: String,
    /// `owner/name`.
    pub repository: String,
    /// `stage`, `reviewer` or `discussion`.
    pub kind: String,
    /// Trigger.
    pub trigger: Option<String>,
    /// Stage.
    pub stage: Option<String>,
    /// Agent role.
    pub role: String,
    /// The engine's status.
    pub status: String,
    /// `mcp` while the agent waits for the Owner.
    pub wait_state: Option<String>,
    /// The agent's last status line.
    pub agent_status: Option<String>,
    /// Issue.
    pub issue_number: Option<i64>,
    /// Pull request.
    pub pull_request_number: Option<i64>,
    /// Work branch.
    pub branch: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it did not succeed (error code and message), once it ended so.
    pub failure: Option<String>,
}

impl RunRow {
    fn from_row(r: &PgRow) -> Self {
        Self {
            id: r.get("id"),
            project: r.get("project"),
            repository: r.get("repository"),
            kind: r.get("kind"),
            trigger: r.get("trigger"),
            stage: r.get("stage"),
            role: r.get("role"),
            status: r.get("status"),
            wait_state: r.get("wait_state"),
            agent_status: r.get("agent_status"),
            issue_number: r.get("issue_number"),
            pull_request_number: r.get("pull_request_number"),
            branch: r.get("branch"),
            created_at: r.get("created_at"),
            finished_at: r.get("finished_at"),
            failure: r.get("failure"),
        }
    }
}

/// Filters of the runs list; all optional.
#[derive(Debug, Clone, Default)]
pub struct ListRunsParams<'a> {
    /// Only these projects (the caller's); none: every project.
    pub visible: Option<&'a [Uuid]>,
    /// One project.
    pub project_id: Option<Uuid>,
    /// One repository.
    pub repository_id: Option<Uuid>,
    /// One Issue.
    pub issue: Option<i64>,
    /// One pull request.
    pub pull_request: Option<i64>,
    /// A stage or trigger.
    pub stage: Option<&'a str>,
    /// An engine status (`running` derived).
    pub status: Option<&'a str>,
    /// A wait state.
    pub wait_state: Option<&'a str>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Continue after this `(created_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// Rows to fetch.
    pub limit: i64,
}

/// The runs list.
pub async fn list(e: impl PgExecutor<'_>, p: &ListRunsParams<'_>) -> Result<Vec<RunRow>> {
    let rows = sqlx::query(include_str!("../../queries/agent_runs/list_filtered.sql"))
        .bind(p.visible)
        .bind(p.project_id)
        .bind(p.repository_id)
        .bind(p.issue)
        .bind(p.pull_request)
        .bind(p.stage)
        .bind(p.status)
        .bind(p.wait_state)
        .bind(p.created_after)
        .bind(p.created_before)
        .bind(p.after.map(|a| a.0))
        .bind(p.after.map(|a| a.1))
        .bind(p.limit)
        .fetch_all(e)
        .await
        .map_err(db("staff_run::list"))?;
    Ok(rows.iter().map(RunRow::from_row).collect())
}

/// One run's summary and its project id.
pub async fn get(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<(RunRow, Uuid)>> {
    let row = sqlx::query(include_str!("../../queries/agent_runs/get_summary.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("staff_run::get"))?;
    Ok(row.map(|r| (RunRow::from_row(&r), r.get("project_id"))))
}

/// A run's token usage summed over its turns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageTotals {
    /// Turns reported.
    pub turns: i64,
    /// Input tokens.
    pub input_tokens: i64,
    /// Cached input tokens.
    pub cached_input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Reasoning output tokens.
    pub reasoning_output_tokens: i64,
    /// Total tokens.
    pub total_tokens: i64,
}

/// A run's token usage.
pub async fn usage(e: impl PgExecutor<'_>, id: Uuid) -> Result<UsageTotals> {
    let r = sqlx::query(include_str!("../../queries/token_usage/sum_for_run.sql"))
        .bind(id)
        .fetch_one(e)
        .await
        .map_err(db("staff_run::usage"))?;
    Ok(UsageTotals {
        turns: r.get("turns"),
        input_tokens: r.get("input_tokens"),
        cached_input_tokens: r.get("cached_input_tokens"),
        output_tokens: r.get("output_tokens"),
        reasoning_output_tokens: r.get("reasoning_output_tokens"),
        total_tokens: r.get("total_tokens"),
    })
}

/// One uploaded rollout snapshot (metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionMeta {
    /// Version within the lineage.
    pub version: i32,
    /// Codex thread.
    pub thread_id: String,
    /// Rollout file name.
    pub file_name: String,
    /// Size.
    pub size_bytes: i64,
    /// sha256.
    pub sha256: String,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
}

/// A run's rollout snapshots.
pub async fn sessions(e: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<SessionMeta>> {
    let rows = sqlx::query(include_str!(
        "../../queries/agent_sessions/list_for_run.sql"
    ))
    .bind(id)
    .fetch_all(e)
    .await
    .map_err(db("staff_run::sessions"))?;
    Ok(rows
        .iter()
        .map(|r| SessionMeta {
            version: r.get("version"),
            thread_id: r.get("thread_id"),
            file_name: r.get("file_name"),
            size_bytes: r.get("size_bytes"),
            sha256: r.get("sha256"),
            created_at: r.get("created_at"),
        })
        .collect())
}

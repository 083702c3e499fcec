//! Queries on `agent_runs`: stage runs and the history routing reads.

use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, Row, postgres::PgRow};
use uuid::Uuid;

use crate::error::{Result, db};

/// A stage run as stored; its id is the engine run id of its workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRun {
    /// Engine run id.
    pub id: Uuid,
    /// Project.
    pub project_id: Uuid,
    /// Repository row.
    pub repository_id: Uuid,
    /// `owner/name` (lowercased).
    pub repository: String,
    /// The delivery that started it.
    pub delivery_id: Option<String>,
    /// `stage`, `reviewer` or `discussion`.
    pub kind: String,
    /// Trigger, e.g. `dev_revise`.
    pub trigger: Option<String>,
    /// Stage, e.g. `dev`.
    pub stage: Option<String>,
    /// Agent role.
    pub role: String,
    /// `full_env` or `code_only`.
    pub execution_mode: String,
    /// `candidate` or `production_readonly`.
    pub access_profile: String,
    /// Target environment.
    pub target_env: String,
    /// Model.
    pub model: String,
    /// Reasoning effort.
    pub reasoning: String,
    /// Model came from a label.
    pub model_from_label: bool,
    /// Reasoning came from a label.
    pub reasoning_from_label: bool,
    /// Issue, if any.
    pub issue_number: Option<i64>,
    /// Pull request, if any.
    pub pull_request_number: Option<i64>,
    /// `issue` or `pull_request`: where the status comment lives.
    pub thread_kind: String,
    /// Thread number.
    pub thread_number: i64,
    /// Work branch.
    pub branch: String,
    /// `ru` or `en`.
    pub locale: String,
    /// Learning mode.
    pub learning_mode: bool,
    /// Mirrored status.
    pub status: String,
    /// The status comment, once posted.
    pub status_comment_id: Option<i64>,
}

impl AgentRun {
    fn from_row(r: &PgRow) -> Self {
        Self {
            id: r.get("id"),
            project_id: r.get("project_id"),
            repository_id: r.get("repository_id"),
            repository: r.get("repository"),
            delivery_id: r.get("delivery_id"),
            kind: r.get("kind"),
            trigger: r.get("trigger"),
            stage: r.get("stage"),
            role: r.get("role"),
            execution_mode: r.get("execution_mode"),
            access_profile: r.get("access_profile"),
            target_env: r.get("target_env"),
            model: r.get("model"),
            reasoning: r.get("reasoning"),
            model_from_label: r.get("model_from_label"),
            reasoning_from_label: r.get("reasoning_from_label"),
            issue_number: r.get("issue_number"),
            pull_request_number: r.get("pull_request_number"),
            thread_kind: r.get("thread_kind"),
            thread_number: r.get("thread_number"),
            branch: r.get("branch"),
            locale: r.get("locale"),
            learning_mode: r.get("learning_mode"),
            status: r.get("status"),
            status_comment_id: r.get("status_comment_id"),
        }
    }
}

/// Inserts a run (idempotent by id).
pub async fn insert(e: impl PgExecutor<'_>, a: &AgentRun) -> Result<()> {
    sqlx::query(include_str!("../../queries/agent_runs/insert.sql"))
        .bind(a.id)
        .bind(a.project_id)
        .bind(a.repository_id)
        .bind(&a.delivery_id)
        .bind(&a.kind)
        .bind(&a.trigger)
        .bind(&a.stage)
        .bind(&a.role)
        .bind(&a.execution_mode)
        .bind(&a.access_profile)
        .bind(&a.target_env)
        .bind(&a.model)
        .bind(&a.reasoning)
        .bind(a.model_from_label)
        .bind(a.reasoning_from_label)
        .bind(a.issue_number)
        .bind(a.pull_request_number)
        .bind(&a.thread_kind)
        .bind(a.thread_number)
        .bind(&a.branch)
        .bind(&a.locale)
        .bind(a.learning_mode)
        .execute(e)
        .await
        .map_err(db("agent_run::insert"))?;
    Ok(())
}

/// One run.
pub async fn get(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<AgentRun>> {
    let row = sqlx::query(include_str!("../../queries/agent_runs/get.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("agent_run::get"))?;
    Ok(row.as_ref().map(AgentRun::from_row))
}

/// What routing reuses of an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    /// Its stage.
    pub stage: Option<String>,
    /// Model, when it came from a label.
    pub model: Option<String>,
    /// Reasoning, when it came from a label.
    pub reasoning: Option<String>,
    /// Its pull request.
    pub pull_request_number: Option<i64>,
}

fn last_run(r: PgRow) -> LastRun {
    LastRun {
        stage: r.get("stage"),
        model: r.get::<bool, _>("model_from_label").then(|| r.get("model")),
        reasoning: r
            .get::<bool, _>("reasoning_from_label")
            .then(|| r.get("reasoning")),
        pull_request_number: r.get("pull_request_number"),
    }
}

/// The latest run of an Issue.
pub async fn last_for_issue(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    issue: i64,
) -> Result<Option<LastRun>> {
    let row = sqlx::query(include_str!("../../queries/agent_runs/last_for_issue.sql"))
        .bind(repository_id)
        .bind(issue)
        .fetch_optional(e)
        .await
        .map_err(db("agent_run::last_for_issue"))?;
    Ok(row.map(last_run))
}

/// The latest run of a pull request.
pub async fn last_for_pull_request(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    pr: i64,
) -> Result<Option<LastRun>> {
    let row = sqlx::query(include_str!(
        "../../queries/agent_runs/last_for_pull_request.sql"
    ))
    .bind(repository_id)
    .bind(pr)
    .fetch_optional(e)
    .await
    .map_err(db("agent_run::last_for_pull_request"))?;
    Ok(row.map(last_run))
}

/// Issues linked to a pull request through run history.
pub async fn linked_issues(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    pr: i64,
) -> Result<Vec<i64>> {
    sqlx::query_scalar(include_str!("../../queries/agent_runs/linked_issues.sql"))
        .bind(repository_id)
        .bind(pr)
        .fetch_all(e)
        .await
        .map_err(db("agent_run::linked_issues"))
}

/// Whether the Issue has a candidate lineage.
pub async fn candidate_exists(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    issue: i64,
) -> Result<bool> {
    sqlx::query_scalar(include_str!(
        "../../queries/agent_runs/candidate_exists.sql"
    ))
    .bind(repository_id)
    .bind(issue)
    .fetch_one(e)
    .await
    .map_err(db("agent_run::candidate_exists"))
}

/// Whether a discussion run of the Issue is going.
pub async fn discussion_active(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    issue: i64,
) -> Result<bool> {
    sqlx::query_scalar(include_str!(
        "../../queries/agent_runs/discussion_active.sql"
    ))
    .bind(repository_id)
    .bind(issue)
    .fetch_one(e)
    .await
    .map_err(db("agent_run::discussion_active"))
}

/// Marks the run's agent as launched, the first time only.
pub async fn set_agent_started(e: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/agent_runs/set_agent_started.sql"
    ))
    .bind(id)
    .execute(e)
    .await
    .map_err(db("agent_run::set_agent_started"))?;
    Ok(())
}

/// The succeeded discussion run of the same Issue whose agent started after discussion run
/// `id` was created, if any: it read the comment `id` was created for.
pub async fn discussion_answered_by(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Uuid>> {
    sqlx::query_scalar(include_str!(
        "../../queries/agent_runs/discussion_answered_by.sql"
    ))
    .bind(id)
    .fetch_optional(e)
    .await
    .map_err(db("agent_run::discussion_answered_by"))
}

/// (project, thread) of every active run, as runtime environments are labelled.
pub async fn active_threads(e: impl PgExecutor<'_>) -> Result<Vec<(Uuid, i64)>> {
    sqlx::query_as(include_str!("../../queries/agent_runs/active_threads.sql"))
        .fetch_all(e)
        .await
        .map_err(db("agent_run::active_threads"))
}

/// Active runs of an Issue or pull request.
pub async fn list_active_for_thread(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    number: i64,
) -> Result<Vec<Uuid>> {
    sqlx::query_scalar(include_str!(
        "../../queries/agent_runs/list_active_for_thread.sql"
    ))
    .bind(repository_id)
    .bind(number)
    .fetch_all(e)
    .await
    .map_err(db("agent_run::list_active_for_thread"))
}

/// Active discussion runs of an Issue.
pub async fn list_active_discussions(
    e: impl PgExecutor<'_>,
    repository_id: Uuid,
    issue: i64,
) -> Result<Vec<Uuid>> {
    sqlx::query_scalar(include_str!(
        "../../queries/agent_runs/list_active_discussions.sql"
    ))
    .bind(repository_id)
    .bind(issue)
    .fetch_all(e)
    .await
    .map_err(db("agent_run::list_active_discussions"))
}

/// Terminal statuses of an agent run.
const TERMINAL: &[&str] = &["succeeded", "failed", "cancelled", "timed_out"];

/// Mirrors the run's status; a run reaching a terminal status is counted in the metrics (once:
/// writing the terminal status it already has counts nothing).
pub async fn set_status(e: impl PgExecutor<'_>, id: Uuid, status: &str) -> Result<()> {
    let row = sqlx::query(include_str!("../../queries/agent_runs/set_status.sql"))
        .bind(id)
        .bind(status)
        .fetch_optional(e)
        .await
        .map_err(db("agent_run::set_status"))?;
    if let Some(row) = row {
        let previous: String = row.get("previous");
        if TERMINAL.contains(&status) && !TERMINAL.contains(&previous.as_str()) {
            let kind: String = row.get("kind");
            let stage: Option<String> = row.get("stage");
            let seconds: f64 = row.get("seconds");
            crate::metrics::agent_run_finished(&kind, stage.as_deref(), status, seconds);
        }
    }
    Ok(())
}

/// Writes a stage run's end from its cleanup: a terminal status and why it ended (`failure`).
pub async fn set_ended(
    e: impl PgExecutor<'_>,
    id: Uuid,
    status: &str,
    failure: Option<&str>,
) -> Result<()> {
    sqlx::query(include_str!("../../queries/agent_runs/set_ended.sql"))
        .bind(id)
        .bind(status)
        .bind(failure)
        .execute(e)
        .await
        .map_err(db("agent_run::set_ended"))?;
    Ok(())
}

/// Whether [`insert`] failed because the run's repository or project is gone (unbound or deleted
/// after routing loaded the binding), by the foreign keys' names.
pub fn lost_its_binding(e: &crate::Error) -> bool {
    matches!(
        e.constraint(),
        Some("agent_runs_repository_id_fkey" | "agent_runs_project_id_fkey")
    )
}

/// Locks a stage run's row for the rest of the transaction (its workflow's status writes wait);
/// its mirrored status, or none when there is no such run.
pub async fn lock(e: impl PgExecutor<'_>, id: Uuid) -> Result<Option<String>> {
    sqlx::query_scalar(include_str!("../../queries/agent_runs/lock.sql"))
        .bind(id)
        .fetch_optional(e)
        .await
        .map_err(db("agent_run::lock"))
}

/// Locks every stage run of a project for the rest of the transaction, in id order (a project
/// is deleted only after this, so no retry re-opens one of its runs meanwhile).
pub async fn lock_for_project(e: impl PgExecutor<'_>, project_id: Uuid) -> Result<u64> {
    let rows = sqlx::query(include_str!(
        "../../queries/agent_runs/lock_for_project.sql"
    ))
    .bind(project_id)
    .fetch_all(e)
    .await
    .map_err(db("agent_run::lock_for_project"))?;
    Ok(rows.len() as u64)
}

/// A failed stage run whose engine run was re-opened is active again with `status` (`running`,
/// or `pending` while it waits for a slot); whether it said `failed`. Call it under [`lock`],
/// taken before the engine re-opened the run, so a quick second failure is written after it.
pub async fn reopen(e: impl PgExecutor<'_>, id: Uuid, status: &str) -> Result<bool> {
    let done = sqlx::query(include_str!("../../queries/agent_runs/reopen.sql"))
        .bind(id)
        .bind(status)
        .execute(e)
        .await
        .map_err(db("agent_run::reopen"))?;
    Ok(done.rows_affected() > 0)
}

/// Stores the status comment id.
pub async fn set_status_comment(e: impl PgExecutor<'_>, id: Uuid, comment_id: i64) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/agent_runs/set_status_comment.sql"
    ))
    .bind(id)
    .bind(comment_id)
    .execute(e)
    .await
    .map_err(db("agent_run::set_status_comment"))?;
    Ok(())
}

/// Whether the run already left its :eyes: reaction on its thread.
pub async fn pickup_reacted(e: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let reacted: Option<bool> =
        sqlx::query_scalar(include_str!("../../queries/agent_runs/pickup_reacted.sql"))
            .bind(id)
            .fetch_optional(e)
            .await
            .map_err(db("agent_run::pickup_reacted"))?;
    Ok(reacted.unwrap_or(false))
}

/// Marks the run's :eyes: reaction as posted; the first mark stays.
pub async fn set_pickup_reacted(e: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/agent_runs/set_pickup_reacted.sql"
    ))
    .bind(id)
    .execute(e)
    .await
    .map_err(db("agent_run::set_pickup_reacted"))?;
    Ok(())
}

/// Stores the run's pull request.
pub async fn set_pull_request(e: impl PgExecutor<'_>, id: Uuid, pr: i64) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/agent_runs/set_pull_request.sql"
    ))
    .bind(id)
    .bind(pr)
    .execute(e)
    .await
    .map_err(db("agent_run::set_pull_request"))?;
    Ok(())
}

/// Stores the short status line the run's agent reported (runner phases, `run_status_report`).
pub async fn set_agent_status(e: impl PgExecutor<'_>, id: Uuid, status: &str) -> Result<()> {
    sqlx::query(include_str!(
        "../../queries/agent_runs/set_agent_status.sql"
    ))
    .bind(id)
    .bind(status)
    .execute(e)
    .await
    .map_err(db("agent_run::set_agent_status"))?;
    Ok(())
}

//! The read-mostly calls of the MCP tools: the caller's run, its status line, approval status,
//! and the self-improve lookups over `agent_runs`, `flow_events` and `agent_sessions` (always
//! within the caller's project).

use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use super::{
    error::{Error, Result},
    store,
};
use crate::{
    error::db,
    platform::Platform,
    store::agent_run::{self, AgentRun},
};

/// Longest status line.
pub const MAX_STATUS: usize = 100;
/// Most runs per page.
pub const MAX_PAGE: i64 = 50;
/// Most session bytes returned.
const MAX_SESSION_BYTES: usize = 256 * 1024;

/// The caller's run.
pub async fn run(p: &Platform, run_id: Uuid) -> Result<AgentRun> {
    agent_run::get(&p.pool, run_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("run {run_id}")))
}

/// Stores the agent's short status line on its run.
pub async fn report_status(p: &Platform, run: &AgentRun, status: &str) -> Result<Value> {
    let status = status.split_whitespace().collect::<Vec<_>>().join(" ");
    if status.is_empty() || status.chars().count() > MAX_STATUS {
        return Err(Error::invalid(
            "status",
            format!("must be 1..{MAX_STATUS} characters"),
        ));
    }
    crate::store::agent_run::set_agent_status(&p.pool, run.id, &status).await?;
    Ok(json!({ "status": "recorded", "agent_status": status }))
}

/// A request of the caller's project, as the agent may see it.
pub async fn approval_status(p: &Platform, run: &AgentRun, request_id: Uuid) -> Result<Value> {
    match store::get(&p.pool, request_id).await? {
        Some(a) if a.project_id == run.project_id => Ok(a.view()),
        _ => Err(Error::NotFound(format!("request {request_id}"))),
    }
}

/// Runs of the caller's project, newest first, optionally of one Issue or pull request.
pub async fn runs(
    p: &Platform,
    run: &AgentRun,
    issue: Option<i64>,
    pull_request: Option<i64>,
    limit: i64,
    page: i64,
) -> Result<Value> {
    let limit = limit.clamp(1, MAX_PAGE);
    let page = page.max(0);
    let rows = sqlx::query(include_str!(
        "../../queries/agent_runs/list_for_project.sql"
    ))
    .bind(run.project_id)
    .bind(issue)
    .bind(pull_request)
    .bind(limit)
    .bind(page * limit)
    .fetch_all(&p.pool)
    .await
    .map_err(db("agent_run::list_for_project"))?;
    let runs: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "run_id": r.get::<Uuid, _>("id"),
                "repository": r.get::<String, _>("repository"),
                "kind": r.get::<String, _>("kind"),
                "trigger": r.get::<Option<String>, _>("trigger"),
                "stage": r.get::<Option<String>, _>("stage"),
                "role": r.get::<String, _>("role"),
                "status": r.get::<String, _>("status"),
                "agent_status": r.get::<Option<String>, _>("agent_status"),
                "wait_state": r.get::<Option<String>, _>("wait_state"),
                "issue_number": r.get::<Option<i64>, _>("issue_number"),
                "pull_request_number": r.get::<Option<i64>, _>("pull_request_number"),
                "created_at": r.get::<chrono::DateTime<chrono::Utc>, _>("created_at"),
                "finished_at": r.get::<Option<chrono::DateTime<chrono::Utc>>, _>("finished_at"),
            })
        })
        .collect();
    Ok(json!({ "runs": runs, "page": page, "limit": limit }))
}

/// Looks up the runs of one Issue or pull request with their latest events.
pub async fn run_lookup(
    p: &Platform,
    run: &AgentRun,
    issue: Option<i64>,
    pull_request: Option<i64>,
    limit: i64,
) -> Result<Value> {
    if issue.is_none() == pull_request.is_none() {
        return Err(Error::invalid(
            "issue_number",
            "give exactly one of issue_number and pull_request_number",
        ));
    }
    let listed = runs(p, run, issue, pull_request, limit.clamp(1, 10), 0).await?;
    let mut out = Vec::new();
    for r in listed["runs"].as_array().into_iter().flatten() {
        let id: Uuid = serde_json::from_value(r["run_id"].clone())
            .map_err(|e| crate::Error::Corrupt(e.to_string()))?;
        let events = sqlx::query(include_str!("../../queries/flow_events/list_for_run.sql"))
            .bind(id)
            .bind(100_i64)
            .fetch_all(&p.pool)
            .await
            .map_err(db("flow_event::list_for_run"))?;
        let events: Vec<Value> = events
            .iter()
            .map(|e| {
                json!({
                    "kind": e.get::<String, _>("kind"),
                    "detail": e.get::<Value, _>("detail"),
                    "at": e.get::<chrono::DateTime<chrono::Utc>, _>("created_at"),
                })
            })
            .collect();
        let mut r = r.clone();
        r["events"] = Value::Array(events);
        out.push(r);
    }
    Ok(json!({ "runs": out }))
}

/// The newest codex session snapshot of a run of the caller's project.
pub async fn session(p: &Platform, caller: &AgentRun, run_id: Uuid) -> Result<Value> {
    let target = agent_run::get(&p.pool, run_id)
        .await?
        .filter(|r| r.project_id == caller.project_id)
        .ok_or_else(|| Error::NotFound(format!("run {run_id}")))?;
    let row = sqlx::query(include_str!(
        "../../queries/agent_sessions/get_latest_for_run.sql"
    ))
    .bind(target.id)
    .fetch_optional(&p.pool)
    .await
    .map_err(db("agent_session::get_latest_for_run"))?;
    let Some(r) = row else {
        return Err(Error::NotFound(format!("a session of run {run_id}")));
    };
    let content: Vec<u8> = r.get("content");
    let truncated = content.len() > MAX_SESSION_BYTES;
    let shown = &content[..content.len().min(MAX_SESSION_BYTES)];
    Ok(json!({
        "run_id": target.id,
        "thread_id": r.get::<String, _>("thread_id"),
        "lineage": r.get::<String, _>("lineage"),
        "version": r.get::<i32, _>("version"),
        "file_name": r.get::<String, _>("file_name"),
        "sha256": r.get::<String, _>("sha256"),
        "size_bytes": r.get::<i64, _>("size_bytes"),
        "truncated": truncated,
        "content": String::from_utf8_lossy(shown),
        "target_path": format!("/tmp/codex-sessions/{}/{}", target.id, r.get::<String, _>("file_name")),
    }))
}

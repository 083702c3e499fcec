//! Workflow inspection: the runs list with filters, one run with its steps (attempts, durations,
//! the real cause of a failure), waits (paused time, remaining budget), events, agent sessions,
//! token usage and links; cancel and retry. Reads go through [`super::reads`] (a replica when one
//! is configured); cancel and retry write to the primary.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;
use workflows::{
    policy::ProjectRole,
    stage::{self, Retried, RetryError},
    store::staff_run::{self, ListRunsParams, RunRow},
};

use super::{
    access::{Need, authorize, visible_projects},
    auth::StaffUser,
    extract::{Body, Params, PathOf},
    page, wire,
};
use crate::api::{ApiError, AppState};

/// The runs routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/runs", get(list_runs))
        .route("/api/v1/staff/runs/{run_id}", get(get_run))
        .route("/api/v1/staff/runs/{run_id}/cancel", post(cancel_run))
        .route("/api/v1/staff/runs/{run_id}/retry", post(retry_run))
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

/// The runs list's query.
#[derive(Debug, Deserialize)]
struct RunsQuery {
    project: Option<String>,
    repository: Option<String>,
    issue: Option<i64>,
    pull_request: Option<i64>,
    stage: Option<String>,
    status: Option<String>,
    wait_state: Option<String>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn summary(r: RunRow) -> wire::RunSummary {
    wire::RunSummary {
        id: r.id,
        project: r.project,
        repository: r.repository,
        kind: r.kind,
        trigger: r.trigger,
        stage: r.stage,
        role: r.role,
        status: r.status,
        wait_state: r.wait_state,
        agent_status: r.agent_status,
        issue_number: r.issue_number,
        pull_request_number: r.pull_request_number,
        branch: r.branch,
        created_at: r.created_at,
        finished_at: r.finished_at,
        failure: r.failure,
    }
}

async fn list_runs(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<RunsQuery>,
) -> Result<Json<wire::RunPage>, ApiError> {
    authorize(&user, Need::Signed)?;
    let primary = state.client.pool();
    let project_id = match &q.project {
        Some(slug) => Some(
            super::directory::project_for(&state, &user, slug, ProjectRole::Read)
                .await?
                .id,
        ),
        None => None,
    };
    let repository_id = match &q.repository {
        Some(name) => match workflows::store::directory::binding(primary, name)
            .await
            .map_err(internal)?
        {
            Some(b) if authorize(&user, Need::Project(b.project_id, ProjectRole::Read)).is_ok() => {
                Some(b.repository_id)
            }
            // An unknown or invisible repository has no runs the caller may see.
            _ => {
                return Ok(Json(wire::RunPage {
                    items: Vec::new(),
                    next_cursor: None,
                }));
            }
        },
        None => None,
    };
    let limit = page::limit(q.limit);
    let visible = visible_projects(&user);
    let params = ListRunsParams {
        visible: visible.as_deref(),
        project_id,
        repository_id,
        issue: q.issue,
        pull_request: q.pull_request,
        stage: q.stage.as_deref(),
        status: q.status.as_deref(),
        wait_state: q.wait_state.as_deref(),
        created_after: q.created_after,
        created_before: q.created_before,
        after: page::decode_time_id(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let target = state.staff.reads.for_inspection(user.id).await;
    let rows = staff_run::list(&target.pool, &params)
        .await
        .map_err(internal)?;
    let (rows, more) = page::split(rows, limit);
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|r| page::encode_time_id(r.created_at, r.id))
        })
        .flatten();
    Ok(Json(wire::RunPage {
        items: rows.into_iter().map(summary).collect(),
        next_cursor,
    }))
}

/// A run the caller may see with at least `role`, or 404 (an invisible run does not exist).
pub(super) async fn run_for(
    pool: &sqlx::PgPool,
    user: &StaffUser,
    run_id: Uuid,
    role: ProjectRole,
) -> Result<RunRow, ApiError> {
    let (run, project_id) = staff_run::get(pool, run_id)
        .await
        .map_err(internal)?
        .ok_or(ApiError::NotFound("run"))?;
    if authorize(user, Need::Project(project_id, ProjectRole::Read)).is_err() {
        return Err(ApiError::NotFound("run"));
    }
    authorize(user, Need::Project(project_id, role))?;
    Ok(run)
}

fn status_of(s: engine::RunStatus) -> wire::RunStatus {
    use engine::RunStatus as S;
    match s {
        S::Pending => wire::RunStatus::Pending,
        S::Running => wire::RunStatus::Running,
        S::Waiting => wire::RunStatus::Waiting,
        S::Parked => wire::RunStatus::Parked,
        S::Succeeded => wire::RunStatus::Succeeded,
        S::Failed => wire::RunStatus::Failed,
        S::Cancelled => wire::RunStatus::Cancelled,
        S::TimedOut => wire::RunStatus::TimedOut,
    }
}

/// The recorded error of a step, split into what failed, the real cause and the code host's
/// HTTP status (`list comments of acme/shop#1: github answered 404 Not Found: Not Found`).
fn step_error(error: &Value) -> wire::StepError {
    let text = error
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| match error {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    let (message, cause) = match text.split_once(": ") {
        Some((what, why)) => (what.to_owned(), Some(why.to_owned())),
        None => (text.clone(), None),
    };
    let http_status = text
        .split("answered ")
        .nth(1)
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<i64>().ok())
        .filter(|c| (100..600).contains(c));
    wire::StepError {
        message,
        cause,
        http_status,
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => Map::from_iter([("value".to_owned(), other)]),
    }
}

/// The run's `links` rows, oldest first, as the contract spells them.
async fn recorded_links(
    pool: &sqlx::PgPool,
    run_id: Uuid,
) -> Result<Vec<wire::RecordedLink>, ApiError> {
    let rows = workflows::store::link::list_for_run(pool, run_id)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|l| {
            let kind = serde_json::from_value(Value::String(l.kind)).ok()?;
            Some(wire::RecordedLink {
                kind,
                target: l.target,
                metadata: object(l.metadata),
                created_at: l.created_at,
            })
        })
        .collect())
}

async fn get_run(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
) -> Result<Json<wire::RunDetail>, ApiError> {
    let target = state.staff.reads.for_inspection(user.id).await;
    let run = run_for(&target.pool, &user, run_id, ProjectRole::Read).await?;
    let detail = target.client.get_run(run_id).await.map_err(|e| match e {
        engine::Error::RunNotFound(_) => ApiError::NotFound("run"),
        other => internal(other),
    })?;
    let sessions = staff_run::sessions(&target.pool, run_id)
        .await
        .map_err(internal)?;
    let usage = staff_run::usage(&target.pool, run_id)
        .await
        .map_err(internal)?;
    let now = Utc::now();
    // The engine's merged timeline (creation, step commits, flow events, the end); flow event ids
    // are in the live stream (`/events`), which resumes by them.
    let events = detail
        .events
        .iter()
        .map(|e| wire::RunEvent {
            id: None,
            at: e.at,
            kind: e.kind.clone(),
            step_seq: e.step_seq.map(i64::from),
            attempt: e.attempt.map(i64::from),
            detail: object(e.detail.clone()),
        })
        .collect();
    let budget_remaining_ms = detail
        .budget_ms
        .map(|b| (b - detail.budget_spent_ms.unwrap_or(0)).max(0));
    let repo_url = format!("https://github.com/{}", run.repository);
    let links = wire::RunLinks {
        issue: run.issue_number.map(|n| format!("{repo_url}/issues/{n}")),
        pull_request: run
            .pull_request_number
            .map(|n| format!("{repo_url}/pull/{n}")),
        branch: run.branch.clone(),
        namespace: stage::environment_name(&state.platform, run_id)
            .await
            .map_err(internal)?,
        recorded: recorded_links(&target.pool, run_id).await?,
    };
    Ok(Json(wire::RunDetail {
        engine: wire::EngineState {
            status: status_of(detail.summary.status),
            end_reason: detail.summary.end_reason.clone(),
            error: detail.error.clone().unwrap_or(Value::Null),
            parked: detail.parked.clone().unwrap_or(Value::Null),
            budget_ms: detail.budget_ms,
            budget_spent_ms: detail.budget_spent_ms,
            budget_remaining_ms,
            deadline_at: detail.deadline_at,
        },
        steps: detail
            .steps
            .iter()
            .map(|s| wire::Step {
                seq: i64::from(s.seq),
                kind: s.kind.clone(),
                name: s.name.clone(),
                status: s.status.clone(),
                attempts: i64::from(s.attempts),
                started_at: s.started_at,
                finished_at: s.finished_at,
                duration_ms: s.duration_ms,
                error: s.error.as_ref().map(step_error),
            })
            .collect(),
        waits: detail
            .waits
            .iter()
            .map(|w| wire::Wait {
                seq: i64::from(w.seq),
                signal: w.signal.clone(),
                pausing: w.pausing,
                started_at: w.started_at,
                ended_at: w.ended_at,
                deadline_at: w.deadline_at,
                outcome: w.outcome.clone(),
                // An open pausing wait has paused the budget since it began.
                paused_ms: w.paused_ms.or_else(|| {
                    (w.pausing && w.ended_at.is_none())
                        .then(|| (now - w.started_at).num_milliseconds().max(0))
                }),
            })
            .collect(),
        events,
        sessions: sessions
            .into_iter()
            .map(|s| wire::AgentSession {
                version: i64::from(s.version),
                thread_id: s.thread_id,
                file_name: s.file_name,
                size_bytes: s.size_bytes,
                sha256: s.sha256,
                created_at: s.created_at,
            })
            .collect(),
        token_usage: wire::TokenUsage {
            turns: usage.turns,
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
            total_tokens: usage.total_tokens,
        },
        links,
        run: summary(run),
    }))
}

async fn cancel_run(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
    Body(body): Body<wire::CancelRequest>,
) -> Result<Json<wire::RunActionResult>, ApiError> {
    run_for(state.client.pool(), &user, run_id, ProjectRole::ReadWrite).await?;
    let by = user.login_or_id();
    let reason = match &body.reason {
        Some(r) => format!("cancelled by {by}: {}", r.as_str()),
        None => format!("cancelled by {by}"),
    };
    // Through `stage::cancel`: a run still queued is ended at once, and its mirror says so.
    let outcome = stage::cancel(&state.platform, run_id, &reason)
        .await
        .map_err(|e| match e {
            stage::CancelError::Engine(engine::Error::Busy(_)) => ApiError::Conflict {
                code: "busy",
                message: "the run is being re-opened right now; try again".into(),
            },
            e => internal(e),
        })?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(wire::RunActionResult {
        run_id,
        outcome: match outcome {
            engine::TerminateOutcome::Terminating => wire::RunActionResultOutcome::Terminating,
            engine::TerminateOutcome::Finished => wire::RunActionResultOutcome::Finished,
            engine::TerminateOutcome::AlreadyEnded => wire::RunActionResultOutcome::AlreadyEnded,
        },
    }))
}

/// Retries a parked or failed run from its failed step (`workflows::stage::retry` keeps the
/// stage run's mirror and the audit in step with the engine).
async fn retry_run(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
) -> Result<Json<wire::RunActionResult>, ApiError> {
    run_for(state.client.pool(), &user, run_id, ProjectRole::ReadWrite).await?;
    let retried = stage::retry(&state.client, run_id, user.actor())
        .await
        .map_err(|e| match e {
            RetryError::NotFound => ApiError::NotFound("run"),
            e @ (RetryError::NotRetryable { .. } | RetryError::Pruned) => ApiError::Conflict {
                code: "not-retryable",
                message: e.to_string(),
            },
            e @ RetryError::Store(_) => internal(e),
        })?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(wire::RunActionResult {
        run_id,
        outcome: match retried {
            Retried::Resumed => wire::RunActionResultOutcome::Resumed,
            Retried::Blocked => wire::RunActionResultOutcome::Blocked,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_error_names_the_code_hosts_status_and_message() {
        let e = step_error(&serde_json::json!({
            "message": "list comments of acme/shop#1: github answered 404 Not Found: Not Found"
        }));
        assert_eq!(e.message, "list comments of acme/shop#1");
        assert_eq!(
            e.cause.as_deref(),
            Some("github answered 404 Not Found: Not Found")
        );
        assert_eq!(e.http_status, Some(404));
        let plain = step_error(&serde_json::json!("boom"));
        assert_eq!(
            (plain.message.as_str(), plain.cause, plain.http_status),
            ("boom", None, None)
        );
    }
}

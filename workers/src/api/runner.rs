//! Runner endpoints (`/api/v1/runner/*`): what an agent runner asks and reports with its run token.
//! Every route authenticates with [`RunCaller`]; the wire types are in
//! [`crate::cmd::agent_runner::wire`], shared with the runner.

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{FromRequest, FromRequestParts, Query, Request, State},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::de::DeserializeOwned;
use serde_json::json;
use workflows::store::{
    agent_outcome::{NewOutcome, Recorded},
    agent_run::{self, AgentRun},
    agent_session::{self, NewSnapshot, Saved, SnapshotMeta},
    token_usage::{self, TokenCounts, TurnReport},
};

use super::{ApiError, AppState, RunCaller};
use crate::cmd::agent_runner::wire::{
    self, HeartbeatReply, OutcomeReply, OutcomeReport, RunContext, SessionMeta, SnapshotSaved,
    SnapshotUpload, StatusReport, TokenDelta, UsageReply, UsageReport,
};

/// Largest JSON body of a runner report.
const MAX_JSON_BYTES: usize = 64 << 10;

/// The runner routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(wire::CONTEXT_PATH, get(context))
        .route(wire::HEARTBEAT_PATH, post(heartbeat))
        .route(wire::STATUS_PATH, post(status))
        .route(wire::USAGE_PATH, post(usage))
        .route(wire::SESSIONS_PATH, put(upload_session))
        .route(wire::LATEST_SESSION_PATH, get(latest_session))
        .route(wire::OUTCOME_PATH, post(outcome))
        // An agent's calls continue its run's trace (the `traceparent` it sends).
        .layer(axum::middleware::from_fn(crate::trace::continue_request))
}

/// Refusals of the runner endpoints beyond the shared [`ApiError`]s, in the same problem+json form.
#[derive(Debug, thiserror::Error)]
enum RunnerError {
    /// A shared API error (token, size, JSON, internal).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A field is out of range or malformed; names it.
    #[error("{0}")]
    BadRequest(String),
    /// The snapshot upload names a version the lineage has moved past.
    #[error("expected version {expected}, but the lineage is at version {current}")]
    StaleSession {
        /// The version the upload named.
        expected: i32,
        /// The lineage's latest version.
        current: i32,
    },
    /// The lineage has no snapshot.
    #[error("this run's lineage has no session snapshot")]
    NoSession,
    /// The run behind a valid token is gone.
    #[error("run not found")]
    RunGone,
    /// The token's launch attempt was replaced by a newer launch: its report is refused.
    #[error("launch attempt {0} of this run was replaced by a newer launch")]
    StaleAttempt(u32),
    /// The attempt already reported a different outcome; the first one stands.
    #[error("launch attempt {0} already reported a different outcome")]
    OutcomeConflict(u32),
}

impl From<workflows::Error> for RunnerError {
    fn from(e: workflows::Error) -> Self {
        RunnerError::Api(ApiError::Internal(e.into()))
    }
}

impl IntoResponse for RunnerError {
    fn into_response(self) -> Response {
        let (status, code, title) = match self {
            RunnerError::Api(e) => return e.into_response(),
            RunnerError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Bad request"),
            RunnerError::StaleSession { .. } => (
                StatusCode::CONFLICT,
                "stale-session",
                "Stale session snapshot",
            ),
            RunnerError::NoSession => (StatusCode::NOT_FOUND, "no-session", "No session"),
            RunnerError::RunGone => (StatusCode::NOT_FOUND, "run-not-found", "Run not found"),
            RunnerError::StaleAttempt(_) => (
                StatusCode::CONFLICT,
                "stale-attempt",
                "Stale launch attempt",
            ),
            RunnerError::OutcomeConflict(_) => (
                StatusCode::CONFLICT,
                "outcome-conflict",
                "Outcome already reported",
            ),
        };
        tracing::warn!(problem = code, error.message = %self, "runner request refused");
        let body = json!({
            "type": format!("https://codex-k8s.dev/problems/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": self.to_string(),
        });
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// A JSON body of at most [`MAX_JSON_BYTES`], refused as problem+json.
struct RunnerJson<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for RunnerJson<T> {
    type Rejection = RunnerError;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, Self::Rejection> {
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_JSON_BYTES)
            .await
            .map_err(|_| ApiError::TooLarge(MAX_JSON_BYTES))?;
        serde_json::from_slice(&bytes)
            .map(RunnerJson)
            .map_err(|e| ApiError::MalformedJson(e.to_string()).into())
    }
}

/// The query string of a snapshot upload, checked.
struct UploadParams(SnapshotUpload);

impl FromRequestParts<AppState> for UploadParams {
    type Rejection = RunnerError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let Query(q) = Query::<SnapshotUpload>::try_from_uri(&parts.uri)
            .map_err(|e| RunnerError::BadRequest(e.body_text()))?;
        wire::check_thread_id(&q.thread_id)
            .and_then(|()| wire::check_file_name(&q.thread_id, &q.file_name))
            .and_then(|()| wire::check_sha256(&q.sha256))
            .map_err(RunnerError::BadRequest)?;
        if q.expected_version < 0 {
            return Err(RunnerError::BadRequest(
                "expected_version must be 0 or more".into(),
            ));
        }
        Ok(UploadParams(q))
    }
}

async fn load_run(state: &AppState, caller: RunCaller) -> Result<AgentRun, RunnerError> {
    agent_run::get(&state.platform.pool, caller.run_id)
        .await?
        .ok_or(RunnerError::RunGone)
}

fn session_meta(m: SnapshotMeta) -> SessionMeta {
    SessionMeta {
        thread_id: m.thread_id,
        version: m.version,
        file_name: m.file_name,
        sha256: m.sha256,
        size_bytes: m.size_bytes,
        created_at: m.created_at,
    }
}

/// The workspace's base commit, from the run's `prepare_runtime` step (absent for a workspace
/// that is no git checkout).
async fn base_commit(state: &AppState, caller: RunCaller) -> Option<String> {
    let run = state.client.get_run(caller.run_id).await.ok()?;
    run.steps
        .into_iter()
        .find(|s| s.name == "prepare_runtime" && s.status == "succeeded")
        .and_then(|s| s.output)
        .and_then(|o| o.get("base_commit")?.as_str().map(str::to_owned))
}

/// The rendered prompt, from the run's `render_prompt` step (absent until the run rendered it).
async fn rendered_prompt(state: &AppState, caller: RunCaller) -> Option<String> {
    let run = state.client.get_run(caller.run_id).await.ok()?;
    run.steps
        .into_iter()
        .find(|s| s.name == "render_prompt" && s.status == "succeeded")
        .and_then(|s| s.output)
        .and_then(|o| o.as_str().map(str::to_owned))
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id))]
async fn context(
    State(state): State<AppState>,
    caller: RunCaller,
) -> Result<Json<RunContext>, RunnerError> {
    let run = load_run(&state, caller).await?;
    let lineage = agent_session::lineage(&run);
    let session = agent_session::latest_meta(&state.platform.pool, &lineage).await?;
    let prompt = rendered_prompt(&state, caller).await;
    let base_commit = base_commit(&state, caller).await;
    let mcp_url = format!(
        "{}/mcp",
        state.platform.config.api_url.trim_end_matches('/')
    );
    Ok(Json(RunContext {
        run_id: run.id,
        repository: run.repository,
        branch: run.branch,
        model: run.model,
        reasoning: run.reasoning,
        role: run.role,
        stage: run.stage,
        issue_number: run.issue_number,
        pull_request_number: run.pull_request_number,
        prompt,
        mcp_url,
        lineage,
        session: session.map(session_meta),
        base_commit,
    }))
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id))]
async fn heartbeat(
    State(state): State<AppState>,
    caller: RunCaller,
) -> Result<Json<HeartbeatReply>, RunnerError> {
    let status = agent_session::heartbeat(&state.platform.pool, caller.run_id, caller.token_id)
        .await?
        .ok_or(RunnerError::RunGone)?;
    Ok(Json(HeartbeatReply { run_status: status }))
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id))]
async fn status(
    State(state): State<AppState>,
    caller: RunCaller,
    RunnerJson(report): RunnerJson<StatusReport>,
) -> Result<StatusCode, RunnerError> {
    let line = wire::check_status(&report.status).map_err(RunnerError::BadRequest)?;
    workflows::store::agent_run::set_agent_status(&state.platform.pool, caller.run_id, line)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id, turn = report.turn))]
async fn usage(
    State(state): State<AppState>,
    caller: RunCaller,
    RunnerJson(report): RunnerJson<UsageReport>,
) -> Result<(StatusCode, Json<UsageReply>), RunnerError> {
    wire::check_thread_id(&report.thread_id).map_err(RunnerError::BadRequest)?;
    let totals = TokenCounts {
        input_tokens: report.input_tokens,
        cached_input_tokens: report.cached_input_tokens,
        output_tokens: report.output_tokens,
        reasoning_output_tokens: report.reasoning_output_tokens,
    };
    let negative = [
        totals.input_tokens,
        totals.cached_input_tokens,
        totals.output_tokens,
        totals.reasoning_output_tokens,
    ]
    .iter()
    .any(|n| *n < 0);
    if report.turn < 0 || negative {
        return Err(RunnerError::BadRequest(
            "turn and token counts must be 0 or more".into(),
        ));
    }
    let run = load_run(&state, caller).await?;
    let recorded = token_usage::record_turn(
        &state.platform.pool,
        &TurnReport {
            agent_run_id: run.id,
            thread_id: &report.thread_id,
            turn: report.turn,
            model: &run.model,
            totals,
        },
    )
    .await?;
    let d = recorded.delta;
    let reply = UsageReply {
        recorded: recorded.new,
        delta: TokenDelta {
            input_tokens: d.input_tokens,
            cached_input_tokens: d.cached_input_tokens,
            output_tokens: d.output_tokens,
            reasoning_output_tokens: d.reasoning_output_tokens,
            total_tokens: d.total(),
        },
    };
    let code = if recorded.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(reply)))
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id, expected_version = params.0.expected_version))]
async fn upload_session(
    State(state): State<AppState>,
    caller: RunCaller,
    params: UploadParams,
    body: Body,
) -> Result<(StatusCode, Json<SnapshotSaved>), RunnerError> {
    let q = params.0;
    let content = axum::body::to_bytes(body, wire::MAX_SNAPSHOT_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(wire::MAX_SNAPSHOT_BYTES))?;
    if content.is_empty() {
        return Err(RunnerError::BadRequest("the snapshot is empty".into()));
    }
    if agent_session::sha256_hex(&content) != q.sha256 {
        return Err(RunnerError::BadRequest(
            "sha256 does not match the body".into(),
        ));
    }
    let run = load_run(&state, caller).await?;
    let lineage = agent_session::lineage(&run);
    let saved = agent_session::save(
        &state.platform.pool,
        &NewSnapshot {
            agent_run_id: run.id,
            lineage: &lineage,
            thread_id: &q.thread_id,
            expected_version: q.expected_version,
            file_name: &q.file_name,
            content: &content,
            keep: state.platform.config.retention.snapshots_kept,
        },
    )
    .await?;
    let (code, meta, replayed) = match saved {
        Saved::Stored(m) => (StatusCode::CREATED, m, false),
        Saved::Replayed(m) => (StatusCode::OK, m, true),
        Saved::Stale { current } => {
            return Err(RunnerError::StaleSession {
                expected: q.expected_version,
                current,
            });
        }
    };
    tracing::info!(lineage = %lineage, version = meta.version, size_bytes = meta.size_bytes, replayed, "session snapshot stored");
    workflows::store::link::insert(
        &state.platform.pool,
        run.id,
        workflows::store::link::LinkKind::Session,
        &q.thread_id,
        json!({ "lineage": lineage }),
    )
    .await?;
    Ok((
        code,
        Json(SnapshotSaved {
            version: meta.version,
            sha256: meta.sha256,
            size_bytes: meta.size_bytes,
            replayed,
        }),
    ))
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id))]
async fn latest_session(
    State(state): State<AppState>,
    caller: RunCaller,
) -> Result<Response, RunnerError> {
    let run = load_run(&state, caller).await?;
    let snapshot = agent_session::latest(&state.platform.pool, &agent_session::lineage(&run))
        .await?
        .ok_or(RunnerError::NoSession)?;
    let m = snapshot.meta;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::HeaderName::from_static(wire::HEADER_VERSION),
                m.version.to_string(),
            ),
            (
                header::HeaderName::from_static(wire::HEADER_THREAD_ID),
                m.thread_id,
            ),
            (
                header::HeaderName::from_static(wire::HEADER_FILE_NAME),
                m.file_name,
            ),
            (
                header::HeaderName::from_static(wire::HEADER_SHA256),
                m.sha256,
            ),
        ],
        snapshot.content,
    )
        .into_response())
}

#[tracing::instrument(skip_all, fields(run_id = %caller.run_id, attempt = caller.attempt, exit_code = report.exit_code))]
async fn outcome(
    State(state): State<AppState>,
    caller: RunCaller,
    RunnerJson(report): RunnerJson<OutcomeReport>,
) -> Result<(StatusCode, Json<OutcomeReply>), RunnerError> {
    if report.pull_request == Some(0)
        || report
            .pull_request
            .is_some_and(|n| i64::try_from(n).is_err())
    {
        return Err(RunnerError::BadRequest(
            "pull_request must be a positive number".into(),
        ));
    }
    let new = NewOutcome {
        agent_run_id: caller.run_id,
        attempt: caller.attempt,
        exit_code: report.exit_code,
        final_message: report.final_message.as_deref(),
        pull_request: report.pull_request,
    };
    let recorded = workflows::stage::outcome::report(&state.platform, &new)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (code, recorded) = match recorded {
        Recorded::Stored(_) => (StatusCode::CREATED, true),
        Recorded::Replayed(_) => (StatusCode::OK, false),
        Recorded::Conflict(_) => return Err(RunnerError::OutcomeConflict(caller.attempt)),
        Recorded::Stale => return Err(RunnerError::StaleAttempt(caller.attempt)),
    };
    tracing::info!(recorded, "agent outcome stored");
    Ok((
        code,
        Json(OutcomeReply {
            attempt: caller.attempt,
            recorded,
        }),
    ))
}

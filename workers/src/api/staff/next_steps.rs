//! Next steps: preview the label diff an offered action makes on a thread now, and execute it if
//! the thread's labels are still what the preview saw (`workflows::transition`). The status
//! comment's next-step links (`{console}/?modal=next-step&…`) resolve here: the API answers that
//! console deep link with a redirect to the preview until a console serves it.

use axum::{
    Json, Router,
    extract::{RawQuery, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use workflows::{
    policy::{
        self, Action, IssueNumber, LabelKind, LabelName, LabelSet, Login, ProjectRole,
        PullRequestNumber,
    },
    store::directory,
    transition::{self, TransitionError},
};

use super::{
    access::{Need, authorize},
    auth::StaffUser,
    extract::{Body, Params},
    wire,
};
use crate::api::{ApiError, AppState};

/// The next-step routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/next-steps/preview", get(preview_next_step))
        .route("/api/v1/staff/next-steps/execute", post(execute_next_step))
}

/// The console deep link of a status comment's next step, answered by the API with a redirect
/// to the preview (outside the contract: it is the console's address, not an API operation).
pub(crate) fn console_link_router() -> Router<AppState> {
    Router::new().route("/", get(console_link))
}

async fn console_link(RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let is_next_step = serde_urlencoded::from_str::<Vec<(String, String)>>(&query)
        .unwrap_or_default()
        .iter()
        .any(|(k, v)| k == "modal" && v == "next-step");
    if !is_next_step {
        return ApiError::NotFound("page").into_response();
    }
    let location = format!("/api/v1/staff/next-steps/preview?{query}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A next step as the links and the execute body name it.
#[derive(Debug, Deserialize)]
struct StepQuery {
    repository_full_name: String,
    action_kind: String,
    target_label: String,
    issue_number: Option<u64>,
    pull_request_number: Option<u64>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::Invalid {
        code: "invalid-next-step",
        message: message.into(),
    }
}

fn transition_error(e: TransitionError) -> ApiError {
    match e {
        TransitionError::NotBound(_) => ApiError::NotFound("repository"),
        TransitionError::Policy(p) => match p {
            policy::Error::TargetAlreadyPresent { .. } | policy::Error::StalePreview { .. } => {
                ApiError::Conflict {
                    code: p.code(),
                    message: p.to_string(),
                }
            }
            policy::Error::NextStepNotPermitted { .. } => ApiError::Forbidden(p.to_string()),
            other => ApiError::Invalid {
                code: other.code(),
                message: other.to_string(),
            },
        },
        TransitionError::GitHub(g) => ApiError::Upstream(g.to_string()),
        TransitionError::Domain(d) => ApiError::Internal(d.into()),
    }
}

/// Checks access to the step's repository and builds its action.
async fn action_for(
    state: &AppState,
    user: &StaffUser,
    q: &StepQuery,
    role: ProjectRole,
) -> Result<Action, ApiError> {
    let binding = directory::binding(state.client.pool(), &q.repository_full_name)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or(ApiError::NotFound("repository"))?;
    if authorize(user, Need::Project(binding.project_id, ProjectRole::Read)).is_err() {
        return Err(ApiError::NotFound("repository"));
    }
    authorize(user, Need::Project(binding.project_id, role))?;
    let catalog = state.platform.policy.catalog();
    let label = LabelName::parse(&q.target_label).map_err(|e| invalid(e.to_string()))?;
    match q.action_kind.as_str() {
        "issue_stage_transition" => {
            let issue = q
                .issue_number
                .ok_or_else(|| invalid("issue_stage_transition needs issue_number"))?;
            match catalog.kind(&label) {
                Some(LabelKind::Trigger(target)) => Ok(Action::IssueStageTransition {
                    issue: IssueNumber(issue),
                    target: *target,
                }),
                _ => Err(invalid(format!(
                    "{} is not a run:* trigger label",
                    label.as_str()
                ))),
            }
        }
        "pull_request_label_add" => {
            let pr = q
                .pull_request_number
                .ok_or_else(|| invalid("pull_request_label_add needs pull_request_number"))?;
            let action = Action::PullRequestReviewRequest {
                pull_request: PullRequestNumber(pr),
            };
            if action.target_label(catalog) != &label {
                return Err(invalid(format!(
                    "pull_request_label_add adds {}",
                    action.target_label(catalog).as_str()
                )));
            }
            Ok(action)
        }
        other => Err(invalid(format!("unknown action_kind {other:?}"))),
    }
}

fn actor(user: &StaffUser) -> Result<Login, ApiError> {
    let login = user.github_login.as_deref().ok_or_else(|| ApiError::Invalid {
        code: "no-github-login",
        message: "next steps act as your GitHub login: log in with GitHub once, or ask an admin to set it".into(),
    })?;
    Login::parse(login).map_err(|e| invalid(e.to_string()))
}

fn diff_view(d: &policy::LabelDiff) -> wire::LabelDiff {
    let names = |l: &[LabelName]| l.iter().map(|n| n.as_str().to_owned()).collect();
    wire::LabelDiff {
        removed_labels: names(&d.removed_labels),
        added_labels: names(&d.added_labels),
        final_labels: names(&d.final_labels),
    }
}

fn thread_number(action: &Action) -> i64 {
    match action.thread() {
        policy::Thread::Issue(n) => n.0 as i64,
        policy::Thread::PullRequest(n) => n.0 as i64,
    }
}

async fn preview_next_step(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<StepQuery>,
) -> Result<Json<wire::NextStepPreview>, ApiError> {
    let action = action_for(&state, &user, &q, ProjectRole::Read).await?;
    let login = actor(&user)?;
    let preview = transition::preview(&state.platform, &q.repository_full_name, action, &login)
        .await
        .map_err(transition_error)?;
    Ok(Json(wire::NextStepPreview {
        repository_full_name: q.repository_full_name.to_lowercase(),
        action_kind: q.action_kind.clone(),
        target_label: q.target_label.clone(),
        thread_number: thread_number(&action),
        current_labels: preview.seen.iter().map(|l| l.as_str().to_owned()).collect(),
        diff: diff_view(&preview.diff),
    }))
}

async fn execute_next_step(
    State(state): State<AppState>,
    user: StaffUser,
    Body(body): Body<wire::NextStepExecute>,
) -> Result<Json<wire::LabelDiff>, ApiError> {
    let q = StepQuery {
        repository_full_name: body.repository_full_name.to_string(),
        action_kind: body.action_kind.to_string(),
        target_label: body.target_label.to_string(),
        issue_number: body.issue_number.map(|n| n.get()),
        pull_request_number: body.pull_request_number.map(|n| n.get()),
    };
    let action = action_for(&state, &user, &q, ProjectRole::ReadWrite).await?;
    let login = actor(&user)?;
    let seen = LabelSet::parse(body.expected_labels.iter().map(|l| l.as_str()))
        .map_err(|e| invalid(e.to_string()))?;
    let confirmed = policy::preview(state.platform.policy.catalog(), action, &seen)
        .map_err(|e| transition_error(TransitionError::Policy(e)))?;
    let diff = transition::execute(&state.platform, &q.repository_full_name, &confirmed, &login)
        .await
        .map_err(transition_error)?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(diff_view(&diff)))
}

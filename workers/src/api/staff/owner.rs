//! Owner actions: the approvals inbox (pending requests and Owner questions with their options)
//! and deciding them through the approver callback's own path (`approval::decide_as_staff`).

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::Deserialize;
use uuid::Uuid;
use workflows::{
    approval::{self, Approval, Classification, InboxQuery, StaffDecision, Verdict},
    policy::ProjectRole,
};

use super::{
    access::{Need, authorize, visible_projects},
    auth::StaffUser,
    extract::{Body, Params, PathOf},
    page, wire,
};
use crate::api::{ApiError, AppState};

/// The approvals routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/approvals", get(list_approvals))
        .route(
            "/api/v1/staff/approvals/{approval_id}/decision",
            post(decide_approval),
        )
}

/// The inbox query.
#[derive(Debug, Deserialize)]
struct InboxParams {
    project: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

fn approval_error(e: approval::Error) -> ApiError {
    match e {
        approval::Error::Refused {
            classification,
            reason,
        } => match classification {
            Classification::NotFound => ApiError::NotFound("approval"),
            Classification::Forbidden | Classification::Forged => ApiError::Forbidden(reason),
            Classification::Invalid => ApiError::Invalid {
                code: "invalid-answer",
                message: reason,
            },
            Classification::Duplicate => ApiError::Conflict {
                code: "approval-duplicate",
                message: reason,
            },
            Classification::Stale | Classification::Accepted => ApiError::Conflict {
                code: "approval-stale",
                message: reason,
            },
            Classification::Expired => ApiError::Conflict {
                code: "approval-expired",
                message: reason,
            },
        },
        approval::Error::NotConfigured(what) => ApiError::NotConfigured(what),
        approval::Error::Invalid { .. } => ApiError::Invalid {
            code: "invalid-answer",
            message: e.to_string(),
        },
        other => ApiError::Internal(other.into()),
    }
}

fn view(a: &Approval, project: &str) -> wire::Approval {
    let question = a
        .request
        .get("question")
        .and_then(|q| q.as_str())
        .map(str::to_owned)
        .or_else(|| {
            (a.kind != approval::Kind::Feedback).then(|| format!("{}: {}", a.tool, a.request))
        });
    wire::Approval {
        id: a.id,
        run_id: a.agent_run_id,
        project: project.to_owned(),
        kind: match a.kind {
            approval::Kind::Feedback => wire::ApprovalKind::Feedback,
            approval::Kind::SecretSync => wire::ApprovalKind::SecretSync,
            approval::Kind::DatabaseLifecycle => wire::ApprovalKind::DatabaseLifecycle,
            approval::Kind::Labels => wire::ApprovalKind::Labels,
        },
        tool: a.tool.clone(),
        state: state_view(a.state),
        question,
        options: a
            .options()
            .into_iter()
            .map(|o| wire::ApprovalOption {
                id: o.id,
                label: o.label,
            })
            .collect(),
        allows_custom: a.allows_custom(),
        expires_at: a.expires_at,
        decided_by: a.decided_by.clone(),
        created_at: a.created_at,
    }
}

fn state_view(s: approval::State) -> wire::ApprovalState {
    use approval::State as S;
    match s {
        S::Requested => wire::ApprovalState::Requested,
        S::Approved => wire::ApprovalState::Approved,
        S::Denied => wire::ApprovalState::Denied,
        S::Expired => wire::ApprovalState::Expired,
        S::Applied => wire::ApprovalState::Applied,
        S::Failed => wire::ApprovalState::Failed,
    }
}

async fn list_approvals(
    State(state): State<AppState>,
    user: StaffUser,
    Params(q): Params<InboxParams>,
) -> Result<Json<wire::ApprovalPage>, ApiError> {
    authorize(&user, Need::Signed)?;
    let project_id = match &q.project {
        Some(slug) => Some(
            super::directory::project_for(&state, &user, slug, ProjectRole::Read)
                .await?
                .id,
        ),
        None => None,
    };
    let wanted =
        approval::State::parse(q.state.as_deref().unwrap_or("requested")).ok_or_else(|| {
            ApiError::Invalid {
                code: "invalid-field",
                message: "state is not an approval state".into(),
            }
        })?;
    let limit = page::limit(q.limit);
    let visible = visible_projects(&user);
    let query = InboxQuery {
        state: wanted,
        project_id,
        visible: visible.as_deref(),
        after: page::decode_time_id(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = approval::inbox(&state.platform, &query)
        .await
        .map_err(approval_error)?;
    let (rows, more) = page::split(rows, limit);
    Ok(Json(wire::ApprovalPage {
        next_cursor: more
            .then(|| {
                rows.last()
                    .map(|(a, _)| page::encode_time_id(a.created_at, a.id))
            })
            .flatten(),
        items: rows.iter().map(|(a, slug)| view(a, slug)).collect(),
    }))
}

async fn decide_approval(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(approval_id): PathOf<Uuid>,
    Body(body): Body<wire::DecisionRequest>,
) -> Result<Json<wire::Approval>, ApiError> {
    let found = approval::get_approval(&state.platform, approval_id)
        .await
        .map_err(approval_error)?
        .ok_or(ApiError::NotFound("approval"))?;
    if authorize(&user, Need::Project(found.project_id, ProjectRole::Read)).is_err() {
        return Err(ApiError::NotFound("approval"));
    }
    authorize(&user, Need::Project(found.project_id, ProjectRole::Admin))?;
    let login = user.github_login.clone().ok_or_else(|| ApiError::Invalid {
        code: "no-github-login",
        message: "deciding needs a GitHub login on your user (log in with GitHub once, or ask an admin to set it)".into(),
    })?;
    let decision = StaffDecision {
        verdict: match body.decision {
            wire::DecisionRequestDecision::Approved => Verdict::Approved,
            wire::DecisionRequestDecision::Denied => Verdict::Denied,
        },
        option_id: body.option_id.map(|o| o.to_string()),
        custom_answer: body.custom_answer.map(|c| c.to_string()),
        reason: body.reason.map(|r| r.to_string()),
    };
    let decided = approval::decide_as_staff(&state.platform, approval_id, &login, decision)
        .await
        .map_err(approval_error)?;
    state.staff.reads.note_write(user.id).await;
    let slug = super::directory::slug_of(&state.platform.pool, decided.project_id).await?;
    Ok(Json(view(&decided, &slug)))
}

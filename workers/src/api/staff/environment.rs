//! A run's Kubernetes environment: its namespace with its Jobs, Pods and Secrets (key names
//! only), deleting it on request, and revealing one Secret's values to a project admin (audited,
//! never cached). The guardrails are the runtime's; this maps the domain's refusals to problems.

use axum::{
    Json, Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use uuid::Uuid;
use workflows::{
    policy::ProjectRole,
    runtime::ValueEncoding,
    stage::{self, EnvironmentError},
};

use super::{auth::StaffUser, extract::PathOf, runs::run_for, wire};
use crate::api::{ApiError, AppState};

/// The environment routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/staff/runs/{run_id}/environment",
            get(get_environment).delete(delete_environment),
        )
        .route(
            "/api/v1/staff/runs/{run_id}/environment/secrets/{secret}/reveal",
            post(reveal_secret),
        )
}

fn problem(e: EnvironmentError) -> ApiError {
    match e {
        EnvironmentError::NotFound => ApiError::NotFound("run"),
        EnvironmentError::NoEnvironment => ApiError::NotFound("environment"),
        EnvironmentError::SecretNotFound => ApiError::NotFound("secret"),
        e @ EnvironmentError::Shared(_) => ApiError::Conflict {
            code: "shared-environment",
            message: e.to_string(),
        },
        EnvironmentError::Refused(why) => ApiError::Conflict {
            code: "guardrail",
            message: why,
        },
        EnvironmentError::InUse(why) => ApiError::Conflict {
            code: "in-use",
            message: why,
        },
        // The API server's status and message, never a secret value (no error carries one).
        EnvironmentError::Runtime(e) => ApiError::Upstream(e.to_string()),
        e @ EnvironmentError::Store(_) => ApiError::Internal(e.into()),
    }
}

async fn get_environment(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
) -> Result<Json<wire::RunEnvironment>, ApiError> {
    run_for(state.client.pool(), &user, run_id, ProjectRole::Read).await?;
    let view = stage::environment(&state.platform, run_id)
        .await
        .map_err(problem)?;
    let mut value = serde_json::to_value(view).map_err(|e| ApiError::Internal(e.into()))?;
    value["run_id"] = serde_json::json!(run_id);
    let wire = serde_json::from_value(value).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(wire))
}

async fn delete_environment(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf(run_id): PathOf<Uuid>,
) -> Result<Json<wire::EnvironmentDeleted>, ApiError> {
    run_for(state.client.pool(), &user, run_id, ProjectRole::ReadWrite).await?;
    let by = user.login_or_id();
    let namespace = stage::delete_environment(&state.platform, run_id, &by)
        .await
        .map_err(problem)?;
    state.staff.reads.note_write(user.id).await;
    Ok(Json(wire::EnvironmentDeleted { run_id, namespace }))
}

async fn reveal_secret(
    State(state): State<AppState>,
    user: StaffUser,
    PathOf((run_id, secret)): PathOf<(Uuid, String)>,
) -> Result<Response, ApiError> {
    run_for(state.client.pool(), &user, run_id, ProjectRole::Admin).await?;
    let by = user.login_or_id();
    let reveal = stage::reveal_secret(&state.platform, run_id, &secret, &by)
        .await
        .map_err(problem)?;
    state.staff.reads.note_write(user.id).await;
    let body = wire::SecretRevealed {
        run_id,
        namespace: reveal.namespace,
        name: reveal.name,
        values: reveal
            .values
            .into_iter()
            .map(|v| wire::RevealedSecretValue {
                key: v.key,
                value: v.value,
                encoding: match v.encoding {
                    ValueEncoding::Utf8 => wire::RevealedSecretValueEncoding::Utf8,
                    ValueEncoding::Base64 => wire::RevealedSecretValueEncoding::Base64,
                },
            })
            .collect(),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

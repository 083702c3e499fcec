//! The credential endpoints of the runner API: register the launch's push key, fetch the push
//! credential once after the agent exited (the write scope checked on the changed paths), report
//! the push (ADR 0018); and the checkout credential, once, before the agent started (ADR 0027).
//! Authenticated with the run token; each grant is per launch (per run token).

use axum::{
    Json, Router,
    extract::{FromRequestParts, State},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use uuid::Uuid;
use workflows::{
    stage::{
        checkout_grant::{self, CheckoutRefusal},
        push_grant::{self, PushError, PushRefusal, PushRequest},
    },
    store::run_token::{self, RunToken},
};

use super::{ApiError, AppState};
use crate::cmd::agent_runner::checkout::{CHECKOUT_CREDENTIAL_PATH, CheckoutReply};
use crate::cmd::agent_runner::push::{
    CredentialReply, CredentialRequest, PUSH_CREDENTIAL_PATH, PUSH_KEY_PATH, PUSHED_PATH,
    PushKeyRegistration, PushedReport,
};

/// Largest body of a push request (a long list of changed paths).
const MAX_BODY_BYTES: usize = 1 << 20;

/// The push routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(PUSH_KEY_PATH, post(register))
        .route(PUSH_CREDENTIAL_PATH, post(credential))
        .route(PUSHED_PATH, post(pushed))
        .route(CHECKOUT_CREDENTIAL_PATH, post(checkout_credential))
}

/// The caller's run and launch (the sha256 of its run token).
struct Launch {
    run_id: Uuid,
    token_sha256: String,
}

impl FromRequestParts<AppState> for Launch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::MissingRunToken)?;
        let token = RunToken::from_presented(presented);
        let run_id = run_token::verify(state.client.pool(), &token)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .ok_or(ApiError::BadRunToken)?;
        Ok(Launch {
            run_id,
            token_sha256: token.fingerprint(),
        })
    }
}

/// A refusal or failure, as problem+json.
#[derive(Debug, thiserror::Error)]
enum PushApiError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Refused(#[from] PushRefusal),
    #[error(transparent)]
    CheckoutRefused(#[from] CheckoutRefusal),
    #[error(transparent)]
    Failed(#[from] PushError),
}

impl IntoResponse for PushApiError {
    fn into_response(self) -> Response {
        let (status, code) = match self {
            PushApiError::Api(e) => return e.into_response(),
            PushApiError::Failed(e) => return ApiError::Internal(e.into()).into_response(),
            PushApiError::Refused(ref r) => match r {
                PushRefusal::NotRegistered => (StatusCode::FORBIDDEN, "push-not-registered"),
                PushRefusal::Spent => (StatusCode::CONFLICT, "push-credential-spent"),
                PushRefusal::NotRunning(_) => (StatusCode::CONFLICT, "run-not-running"),
                PushRefusal::WriteScope(_) => (StatusCode::CONFLICT, "write-scope-violation"),
                PushRefusal::NoCheckout => (StatusCode::CONFLICT, "no-checkout"),
                PushRefusal::NoToken => (StatusCode::CONFLICT, "no-push-token"),
                PushRefusal::Invalid(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            },
            PushApiError::CheckoutRefused(ref r) => match r {
                CheckoutRefusal::Spent => (StatusCode::CONFLICT, "checkout-credential-spent"),
                CheckoutRefusal::NotRunning(_) => (StatusCode::CONFLICT, "run-not-running"),
                CheckoutRefusal::NoCheckout => (StatusCode::CONFLICT, "no-checkout"),
                CheckoutRefusal::NoToken => (StatusCode::CONFLICT, "no-checkout-token"),
            },
        };
        tracing::warn!(problem = code, error.message = %self, "push request refused");
        let body = json!({
            "type": format!("https://codex-k8s.dev/problems/{code}"),
            "title": "Push refused",
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

async fn body<T: serde::de::DeserializeOwned>(req: axum::extract::Request) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge(MAX_BODY_BYTES))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

#[tracing::instrument(skip_all, fields(run_id = %launch.run_id))]
async fn register(
    State(state): State<AppState>,
    launch: Launch,
    req: axum::extract::Request,
) -> Result<StatusCode, PushApiError> {
    let b: PushKeyRegistration = body(req).await?;
    push_grant::register(&state.platform, launch.run_id, &launch.token_sha256, &b.key).await??;
    Ok(StatusCode::NO_CONTENT)
}

#[tracing::instrument(skip_all, fields(run_id = %launch.run_id))]
async fn credential(
    State(state): State<AppState>,
    launch: Launch,
    req: axum::extract::Request,
) -> Result<Json<CredentialReply>, PushApiError> {
    let b: CredentialRequest = body(req).await?;
    let request = PushRequest {
        token_sha256: &launch.token_sha256,
        key: &b.key,
        head: &b.head,
        changed: &b.changed,
    };
    let vault = state.staff.vault.as_ref();
    let c = push_grant::issue(&state.platform, vault, launch.run_id, &request).await??;
    Ok(Json(CredentialReply {
        repository: c.repository,
        push_url: c.push_url,
        branch: c.branch,
        username: c.username,
        password: c.password.expose().to_owned(),
        expires_at: c.expires_at,
    }))
}

/// The launch's checkout credential, once, before its agent started (ADR 0027).
#[tracing::instrument(skip_all, fields(run_id = %launch.run_id))]
async fn checkout_credential(
    State(state): State<AppState>,
    launch: Launch,
) -> Result<Json<CheckoutReply>, PushApiError> {
    let vault = state.staff.vault.as_ref();
    let c = checkout_grant::issue(&state.platform, vault, launch.run_id, &launch.token_sha256)
        .await??;
    Ok(Json(CheckoutReply {
        repository: c.repository,
        clone_url: c.clone_url,
        username: c.username,
        password: c.password.expose().to_owned(),
    }))
}

#[tracing::instrument(skip_all, fields(run_id = %launch.run_id))]
async fn pushed(
    State(state): State<AppState>,
    launch: Launch,
    req: axum::extract::Request,
) -> Result<StatusCode, PushApiError> {
    let b: PushedReport = body(req).await?;
    push_grant::record_push(
        &state.platform,
        launch.run_id,
        &launch.token_sha256,
        &b.head,
        &b.commits,
    )
    .await??;
    Ok(StatusCode::NO_CONTENT)
}

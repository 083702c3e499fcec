//! The platform's MCP server (`/mcp`, streamable HTTP, run token required on every request) and
//! the answers of the universal approval contract:
//!
//! - `POST /api/v1/mcp/approver/callback` — the approver's decision on a request;
//! - `POST /api/v1/mcp/executor/callback` — the executor's outcome of an approved action.
//!
//! Both take `Authorization: Bearer <callback token>` (the per-request token sent with the
//! request) and a JSON body; a refused answer is `application/problem+json` whose `type` ends in
//! its classification (`approval-duplicate`, `approval-stale`, `approval-expired`, …).

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use workflows::approval::{
    self, APPROVER_CALLBACK_PATH, Approval, ApproverAnswer, Classification, EXECUTOR_CALLBACK_PATH,
    ExecutorReport,
};

use super::{ApiError, AppState, RunCaller};

/// Largest callback body.
const MAX_CALLBACK_BYTES: usize = 64 * 1024;

/// The MCP and approval routes.
pub(super) fn router(state: &AppState) -> Router<AppState> {
    let mcp = crate::mcp::service(state.platform.clone(), CancellationToken::new());
    Router::new()
        .nest_service("/mcp", mcp)
        .route_layer(middleware::from_fn(crate::mcp::framing::check))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_run))
        .route(APPROVER_CALLBACK_PATH, post(approver_callback))
        .route(EXECUTOR_CALLBACK_PATH, post(executor_callback))
}

/// Admits MCP requests that carry a live run token; the run is passed on to the tools.
async fn require_run(caller: RunCaller, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The bearer token of a callback.
struct CallbackToken(String);

impl FromRequestParts<AppState> for CallbackToken {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Refusal> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| CallbackToken(t.trim().to_owned()))
            .ok_or(Refusal::Api(ApiError::BadHeader("authorization")))
    }
}

/// A JSON callback body, bounded; a bad body is a problem+json 400.
struct CallbackBody<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for CallbackBody<T> {
    type Rejection = Refusal;

    async fn from_request(req: Request, _: &AppState) -> Result<Self, Refusal> {
        let bytes: Bytes = axum::body::to_bytes(Body::new(req.into_body()), MAX_CALLBACK_BYTES)
            .await
            .map_err(|_| Refusal::Api(ApiError::TooLarge(MAX_CALLBACK_BYTES)))?;
        serde_json::from_slice(&bytes)
            .map(CallbackBody)
            .map_err(|e| Refusal::Api(ApiError::MalformedJson(e.to_string())))
    }
}

/// Why a callback was not taken.
enum Refusal {
    /// A generic API problem (bad header, body, internal).
    Api(ApiError),
    /// The domain refused the answer.
    Approval(approval::Error),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let e = match self {
            Refusal::Api(e) => return e.into_response(),
            Refusal::Approval(approval::Error::Store(e)) => {
                return ApiError::Internal(e.into()).into_response();
            }
            Refusal::Approval(approval::Error::Engine(e)) => {
                return ApiError::Internal(e.into()).into_response();
            }
            Refusal::Approval(e) => e,
        };
        let (status, code) = match &e {
            approval::Error::Refused { classification, .. } => match classification {
                Classification::Duplicate => (StatusCode::CONFLICT, "approval-duplicate"),
                Classification::Stale => (StatusCode::CONFLICT, "approval-stale"),
                Classification::Expired => (StatusCode::CONFLICT, "approval-expired"),
                Classification::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-answer"),
                Classification::Forged => (StatusCode::UNAUTHORIZED, "bad-callback-token"),
                Classification::Forbidden => (StatusCode::FORBIDDEN, "approver-not-allowed"),
                Classification::NotFound => (StatusCode::NOT_FOUND, "approval-not-found"),
                Classification::Accepted => (StatusCode::OK, "accepted"),
            },
            approval::Error::NotConfigured(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "callbacks-not-configured")
            }
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid-answer"),
        };
        if status == StatusCode::UNAUTHORIZED {
            super::refusals::refused(code);
        } else {
            tracing::warn!(problem = code, error.message = %e, "callback refused");
        }
        let classification = match &e {
            approval::Error::Refused { classification, .. } => Some(classification.as_str()),
            _ => None,
        };
        let body = json!({
            "type": format!("https://codex-k8s.dev/problems/{code}"),
            "title": "Callback refused",
            "status": status.as_u16(),
            "detail": e.to_string(),
            "classification": classification,
        });
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        }
        response
    }
}

fn accepted(a: &Approval) -> Json<serde_json::Value> {
    Json(json!({
        "request_id": a.id,
        "classification": Classification::Accepted,
        "state": a.state,
        "decided_by": a.decided_by,
    }))
}

#[tracing::instrument(skip_all, fields(request_id = %body.request_id))]
async fn approver_callback(
    State(state): State<AppState>,
    CallbackToken(token): CallbackToken,
    CallbackBody(body): CallbackBody<ApproverAnswer>,
) -> Result<impl IntoResponse, Refusal> {
    approval::answer(&state.platform, &token, body)
        .await
        .map(|a| accepted(&a))
        .map_err(Refusal::Approval)
}

#[tracing::instrument(skip_all, fields(request_id = %body.request_id))]
async fn executor_callback(
    State(state): State<AppState>,
    CallbackToken(token): CallbackToken,
    CallbackBody(body): CallbackBody<ExecutorReport>,
) -> Result<impl IntoResponse, Refusal> {
    approval::report(&state.platform, &token, body)
        .await
        .map(|a| accepted(&a))
        .map_err(Refusal::Approval)
}

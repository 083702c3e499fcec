//! `application/problem+json` errors with a stable `type` per error kind; internal detail never
//! reaches the client (it is logged once, here).

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An API error, rendered as RFC 9457 problem details.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The signature header is missing.
    #[error("missing X-Hub-Signature-256 header")]
    MissingSignature,
    /// The signature does not match the body.
    #[error("signature does not match the payload")]
    BadSignature,
    /// A required header is missing or malformed; names it.
    #[error("missing or malformed header {0}")]
    BadHeader(&'static str),
    /// A run endpoint was called without a bearer token.
    #[error("missing run token")]
    MissingRunToken,
    /// The run token is unknown, expired or revoked.
    #[error("run token is not valid")]
    BadRunToken,
    /// The body is over the limit.
    #[error("payload exceeds {0} bytes")]
    TooLarge(usize),
    /// The body is not JSON.
    #[error("payload is not valid JSON: {0}")]
    MalformedJson(String),
    /// Something failed on our side (logged, not shown).
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::MissingSignature => (
                StatusCode::UNAUTHORIZED,
                "missing-signature",
                "Missing signature",
            ),
            ApiError::BadSignature => (StatusCode::UNAUTHORIZED, "bad-signature", "Bad signature"),
            ApiError::BadHeader(_) => (StatusCode::BAD_REQUEST, "bad-header", "Bad header"),
            ApiError::MissingRunToken => (
                StatusCode::UNAUTHORIZED,
                "missing-run-token",
                "Missing run token",
            ),
            ApiError::BadRunToken => (StatusCode::UNAUTHORIZED, "bad-run-token", "Bad run token"),
            ApiError::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            ApiError::MalformedJson(_) => {
                (StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
            }
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// The stable problem type suffix, also the metric label.
    pub fn code(&self) -> &'static str {
        self.parts().1
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, title) = self.parts();
        match &self {
            ApiError::Internal(e) => {
                tracing::error!(error.message = %e, error.cause_chain = ?e, "request failed")
            }
            other => tracing::warn!(problem = code, error.message = %other, "request refused"),
        }
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

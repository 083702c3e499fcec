//! `application/problem+json` errors with a stable `type` per error kind; internal detail never
//! reaches the client (it is logged once, here).

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

/// One request field that broke the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where: `body/slug`, `query/limit`, `path/run_id`, `header/Authorization`.
    pub field: String,
    /// What is wrong (never the value itself).
    pub message: String,
}

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
    /// The request broke the contract (`api/openapi.yaml`); names each field.
    #[error("the request does not match the API contract: {}", fields(.0))]
    Contract(Vec<FieldError>),
    /// A staff request without a valid bearer JWT; says why (missing, expired, bad signature…).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The caller's roles do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// What was asked for does not exist (or the caller may not know that it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state; `code` is stable.
    #[error("{message}")]
    Conflict {
        /// Stable code (`slug_taken`, `labels_changed`, …).
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// A request the contract allows but the domain refuses; `code` is stable.
    #[error("{message}")]
    Invalid {
        /// Stable code.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// A login was refused: unknown or unverified email, bad state; `code` is stable.
    #[error("{message}")]
    LoginRefused {
        /// Stable code (`not_registered`, `email_unverified`, `bad_state`, …).
        code: &'static str,
        /// Why.
        message: String,
        /// 400 for a bad or replayed state, 403 for a refused person.
        status: StatusCode,
    },
    /// A feature is not configured on this server; names what is missing.
    #[error("{0} is not configured on this server")]
    NotConfigured(&'static str),
    /// An upstream service (GitHub) failed; the message is the upstream's, never a secret.
    #[error("{0}")]
    Upstream(String),
    /// The path exists, the method does not; lists the allowed ones.
    #[error("allowed methods: {0}")]
    MethodNotAllowed(String),
    /// A dependency (the database) is down: try again after `Retry-After` seconds.
    #[error("{0}; retry later")]
    Unavailable(String),
    /// Something failed on our side (logged, not shown).
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
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
            ApiError::Contract(_) => (
                StatusCode::BAD_REQUEST,
                "contract-violation",
                "Request does not match the API contract",
            ),
            ApiError::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
            ),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code, "Conflict"),
            ApiError::Invalid { code, .. } => (StatusCode::BAD_REQUEST, code, "Invalid request"),
            ApiError::LoginRefused { code, status, .. } => (*status, code, "Login refused"),
            ApiError::NotConfigured(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "not-configured",
                "Not configured",
            ),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream", "Upstream failed"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
            ),
        }
    }

    /// The `WWW-Authenticate` challenge of a 401 (RFC 9110 requires one; RFC 6750's for bearer).
    fn challenge(&self) -> Option<&'static str> {
        match self {
            ApiError::MissingRunToken => Some("Bearer"),
            ApiError::BadRunToken => Some(r#"Bearer error="invalid_token""#),
            ApiError::Unauthenticated(_) => Some("Bearer"),
            ApiError::MissingSignature | ApiError::BadSignature => None,
            _ => None,
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
            // Counted and sampled: a flood of forged requests is not a flood of lines.
            _ if self.challenge().is_some()
                || matches!(self, ApiError::MissingSignature | ApiError::BadSignature) =>
            {
                super::refusals::refused(code)
            }
            other => tracing::warn!(problem = code, error.message = %other, "request refused"),
        }
        let mut body = json!({
            "type": format!("https://codex-k8s.dev/problems/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": self.to_string(),
            "code": code,
        });
        if let ApiError::Contract(errors) = &self {
            body["errors"] = json!(errors);
        }
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
        if let ApiError::MethodNotAllowed(allowed) = &self
            && let Ok(value) = allowed.parse()
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        if let Some(challenge) = self.challenge() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let ApiError::Unavailable(_) = &self {
            let seconds = crate::health::RETRY_AFTER_SECS.to_string();
            if let Ok(value) = seconds.parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

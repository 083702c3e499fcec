//! `RunCaller`: an agent authenticated by its run token (`Authorization: Bearer <token>`), for the
//! runner endpoints and the MCP server. Handlers never parse the header themselves.

use axum::{extract::FromRequestParts, http::request::Parts};
use uuid::Uuid;
use workflows::store::run_token::{self, RunToken};

use super::{ApiError, AppState};

/// The run a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunCaller {
    /// The stage run (engine run id = `agent_runs.id`).
    pub run_id: Uuid,
    /// The launch attempt the token was issued for.
    pub attempt: u32,
    /// The token's row (heartbeats are stamped on it).
    pub token_id: i64,
}

impl FromRequestParts<AppState> for RunCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::MissingRunToken)?;
        let token = RunToken::from_presented(presented);
        let launch = run_token::verify_launch(state.client.pool(), &token)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        launch
            .map(|l| RunCaller {
                run_id: l.run_id,
                attempt: l.attempt,
                token_id: l.token_id,
            })
            .ok_or(ApiError::BadRunToken)
    }
}

//! Runner endpoints (`/api/v1/runner/*`): what an agent runner asks and reports with its run token.

use axum::Router;

use super::AppState;

/// The runner routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}

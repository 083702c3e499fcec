//! The platform's MCP server (`/mcp`, streamable HTTP) and the approval callbacks.

use axum::Router;

use super::AppState;

/// The MCP and approval routes.
pub(super) fn router(_state: &AppState) -> Router<AppState> {
    Router::new()
}

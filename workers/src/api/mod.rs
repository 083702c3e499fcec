//! The HTTP API: the public webhook ingress (the only public endpoint) and the ops routes.
//! `app` builds the router and is separate from serving, so tests drive it with `oneshot`.

mod mcp;
mod problem;
mod run_auth;
mod runner;
mod state;
mod webhook;

pub use problem::ApiError;
pub use run_auth::RunCaller;
pub use state::AppState;
pub use webhook::sign;

use axum::Router;
use tower_http::trace::TraceLayer;

/// The whole API router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(webhook::router())
        .merge(runner::router())
        .merge(mcp::router(&state))
        .with_state(state.clone())
        .merge(crate::http::ops_router(state.metrics.clone()))
        .layer(TraceLayer::new_for_http())
}

//! The HTTP API: the public webhook ingress (the only public endpoint), the runner and MCP
//! routes of agents, the staff API (`staff/`, contract-first from `api/openapi.yaml`) and the ops routes.
//! `app` builds the router and is separate from serving, so tests drive it with `oneshot`.

mod mcp;
pub(crate) mod metrics;
mod problem;
mod push;
pub mod refusals;
mod run_auth;
mod runner;
pub mod staff;
mod state;
mod webhook;

pub use problem::ApiError;
pub use problem::FieldError;
pub use run_auth::RunCaller;
pub use staff::{StaffState, StaffUser};
pub use state::AppState;
pub use webhook::{INGRESS_PATH, sign};

use axum::Router;
use tower_http::trace::TraceLayer;

/// The whole API router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(webhook::router())
        .merge(runner::router())
        .merge(push::router())
        .merge(mcp::router(&state))
        .merge(staff::router(&state))
        .merge(staff::console_link_router())
        .with_state(state.clone())
        .merge(crate::http::ops_router_with(
            state.metrics.clone(),
            vec![
                state.staff.reads.registry(),
                crate::metrics::platform_registry(),
            ],
            state.readiness.clone(),
        ))
        // The span names the path, never the query: an OAuth callback's query carries its code.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
        }))
}

//! The staff API (`/api/v1/staff/…`), contract-first: `api/openapi.yaml` is the source of truth.
//! Every route passes [`contract::enforce`] (authentication, then validation against the
//! contract), its handler states what it needs with [`access::authorize`], calls one domain
//! function and answers with a generated [`wire`] type. One `fn router()` per resource.

pub mod access;
mod audit;
pub mod auth;
pub(crate) mod contract;
mod directory;
mod environment;
mod events;
mod extract;
pub mod jwt;
mod next_steps;
pub mod oauth;
mod owner;
mod page;
mod prompts;
pub mod reads;
mod runs;
mod state;
#[allow(unreachable_pub)]
#[rustfmt::skip] // generated: the freshness test compares it byte for byte
pub mod wire;

pub use auth::StaffUser;
pub(crate) use next_steps::console_link_router;
pub use state::StaffState;

use axum::{Router, middleware};

use super::AppState;

/// Every operation of the contract as `(METHOD, path template)`, sorted (the RBAC matrix test
/// checks it covers them all).
pub fn operations() -> Vec<(String, String)> {
    contract::Contract::get()
        .operations()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect()
}

/// Every staff route, each checked against the contract before its handler runs.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(oauth::router())
        .merge(directory::router())
        .merge(runs::router())
        .merge(environment::router())
        .merge(events::router())
        .merge(owner::router())
        .merge(next_steps::router())
        .merge(audit::router())
        .merge(prompts::router())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            contract::enforce,
        ))
}

//! The API's shared state.

use std::sync::Arc;

use engine::Metrics;
use workflows::platform::Platform;

use crate::config::Secret;

/// What handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Engine client (deliveries are accepted through it).
    pub client: engine::Client,
    /// The domain's services (runner endpoints and MCP tools act through them).
    pub platform: Arc<Platform>,
    /// The webhook secret GitHub signs deliveries with.
    pub webhook_secret: Secret,
    /// Largest accepted body in bytes.
    pub max_body_bytes: usize,
    /// The engine metrics of the worker running in this process, served on `/metrics`; none in
    /// `serve`, which runs no worker (it serves the platform's families only, never zeroes).
    pub metrics: Option<Arc<Metrics>>,
    /// The staff API: JWT keys, token vault, OAuth, read routing, live events.
    pub staff: Arc<super::StaffState>,
    /// Readiness (served on `/readyz`; the ingress refuses fast while the database is down).
    pub readiness: crate::health::Readiness,
}

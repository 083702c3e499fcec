//! The platform's MCP server: streamable HTTP at `/mcp`, stateless (any replica serves any
//! request), one tool group per file. Each request carries the run token (checked by the HTTP
//! layer in `api::mcp`); a run sees only the tools its role and stage allow.

mod access;
mod control;
mod docs;
mod feedback;
pub(crate) mod framing;
mod labels;
mod reply;
mod self_improve;
mod server;

use std::{sync::Arc, time::Duration};

use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};
use tokio_util::sync::CancellationToken;
use workflows::platform::Platform;

use server::PlatformMcp;

/// The MCP service as a tower service, for `Router::nest_service("/mcp", …)`.
pub fn service(
    platform: Arc<Platform>,
    shutdown: CancellationToken,
) -> StreamableHttpService<impl rmcp::ServerHandler, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        // A ping every few seconds is also how a hung-up caller is noticed (the write fails and
        // the tool call is cancelled, which resumes the run's budget).
        .with_sse_keep_alive(Some(Duration::from_secs(5)))
        .with_cancellation_token(shutdown)
        // Every request must carry a run token, so DNS rebinding gains nothing; agents reach
        // the platform under its cluster host name, which a loopback-only list would refuse.
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(PlatformMcp::new(platform.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}

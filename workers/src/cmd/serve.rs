//! `codex-k8s serve`: the API server (GitHub webhook ingress, runner and MCP routes, the staff API,
//! `/health`, `/metrics`) until SIGTERM.

use std::sync::Arc;

use anyhow::Context;
use engine::Metrics;
use tokio_util::sync::CancellationToken;

use crate::{api, config::Config, database, http, platform};

/// Serves until `shutdown`.
pub async fn run(config: &Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let secret = config
        .github_webhook_secret
        .clone()
        .context("CK8S_GITHUB_WEBHOOK_SECRET is required")?;
    let pool = database::connect(config).await?;
    let wiring = platform::build(config, pool.clone(), platform::github_config(config)?)?;
    let staff = platform::staff_state(
        config,
        pool.clone(),
        platform::jwt_keys(config, false)?,
        platform::vault(config)?,
    )?;
    let state = api::AppState {
        staff,
        client: wiring.client,
        platform: wiring.platform.clone(),
        webhook_secret: secret,
        max_body_bytes: config.webhook_max_body_bytes,
        metrics: Arc::new(Metrics::new()),
    };
    http::serve(config.http_addr, api::app(state), shutdown).await
}

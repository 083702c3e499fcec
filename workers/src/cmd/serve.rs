//! `codex-k8s serve`: the API server (GitHub webhook ingress, runner and MCP routes, the staff API,
//! `/livez`, `/readyz`, `/metrics`) until SIGTERM.

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::{
    api,
    config::{Config, SERVE_ADDR},
    database,
    health::Readiness,
    http, platform,
};

/// Serves until `shutdown`.
pub async fn run(config: &Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = http::bind(config.http_addr_or(SERVE_ADDR)).await?;
    let secret = config
        .github_webhook_secret
        .clone()
        .context("CK8S_GITHUB_WEBHOOK_SECRET is required")?;
    let pool = database::connect(config).await?;
    let wiring = platform::build(config, pool.clone(), platform::github_config(config)?).await?;
    let staff = platform::staff_state(
        config,
        pool.clone(),
        platform::jwt_keys(config, false)?,
        platform::vault(config)?,
    )?;
    let readiness = Readiness::new(pool.clone(), None);
    let _monitor = readiness.spawn_monitor(shutdown.clone());
    let state = api::AppState {
        readiness,
        staff,
        client: wiring.client,
        platform: wiring.platform.clone(),
        webhook_secret: secret,
        max_body_bytes: config.webhook_max_body_bytes,
        metrics: None,
    };
    http::serve_on(listener, api::app(state), shutdown).await
}

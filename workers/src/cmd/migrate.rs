//! `codex-k8s migrate`: applies the migrations to `DATABASE_URL`.

use crate::{config::Config, database};

/// Applies migrations and returns.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let pool = database::connect(config).await?;
    database::migrate(&pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

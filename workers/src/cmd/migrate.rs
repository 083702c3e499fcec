//! `codex-k8s migrate`: applies the migrations to `DATABASE_URL`.

use crate::{config::Config, database};

/// Applies migrations and returns.
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let db = database::connect(config, false).await?;
    database::migrate(&db.pool).await?;
    tracing::info!("migrations applied");
    Ok(())
}

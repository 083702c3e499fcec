//! The database a subcommand uses: a pool over `DATABASE_URL` (or over the URL `dev` gives it).

use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::config::Config;

/// Connects to `DATABASE_URL`; fails with a clear message when it is not set.
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let Some(url) = &config.database_url else {
        bail!("DATABASE_URL is required for this subcommand");
    };
    connect_url(config, url.expose()).await
}

/// Connects to the given URL with the configured pool size.
pub async fn connect_url(config: &Config, url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .context("connect to Postgres (check DATABASE_URL)")
}

/// Applies the embedded migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("apply migrations")
}

//! The database a subcommand uses: `DATABASE_URL`, or a throwaway Postgres for `dev`.

use std::time::Duration;

use anyhow::{Context, bail};
use engine::throwaway::{ThrowawayOptions, ThrowawayPg};
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::config::Config;

/// A connected pool, keeping the throwaway server (if any) alive as long as it lives.
pub struct Database {
    /// The pool.
    pub pool: PgPool,
    /// The throwaway server behind the pool; stopped and deleted on drop.
    pub throwaway: Option<ThrowawayPg>,
}

/// Connects to `DATABASE_URL`, or (when allowed) starts a throwaway Postgres with pgvector.
pub async fn connect(config: &Config, allow_throwaway: bool) -> anyhow::Result<Database> {
    let (url, throwaway) = match &config.database_url {
        Some(url) => (url.expose().to_owned(), None),
        None if allow_throwaway => {
            let options = ThrowawayOptions {
                bindir: config.pg_bindir.clone(),
                ..ThrowawayOptions::default()
            };
            let pg = ThrowawayPg::start(options)
                .await
                .context("start a throwaway Postgres")?;
            tracing::info!(port = pg.port(), bindir = %pg.bindir().display(), "throwaway Postgres started");
            (pg.url(), Some(pg))
        }
        None => bail!("DATABASE_URL is required for this subcommand"),
    };
    let pool = PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await
        .context("connect to Postgres (check DATABASE_URL)")?;
    Ok(Database { pool, throwaway })
}

/// Applies the embedded migrations.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("apply migrations")
}

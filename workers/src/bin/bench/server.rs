//! The one throwaway Postgres of a bench run, and the databases each workload gets on it.

use std::{str::FromStr, time::Duration};

use anyhow::{Context, Result};
use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use testkit::throwaway::{ThrowawayOptions, ThrowawayPg};

/// How long any pool waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest statement the bench lets the server run (the 1M-row load and its VACUUM take seconds).
const STATEMENT_TIMEOUT: &str = "300s";

/// The server (fsync on, server defaults) and an admin pool on its `postgres` database.
pub(crate) struct Server {
    pg: ThrowawayPg,
    admin: PgPool,
    /// pg_stat_statements is loaded and each workload reports its top queries.
    pub(crate) diagnose: bool,
}

impl Server {
    /// Starts a server with the extensions apalis-postgres needs (hstore, pgcrypto) and pgvector
    /// (docs search).
    pub(crate) async fn start(diagnose: bool) -> Result<Self> {
        let options = ThrowawayOptions {
            extensions: vec!["hstore".into(), "pgcrypto".into(), "vector".into()],
            fsync: true,
            max_connections: 300,
            bindir: None,
        };
        let pg = ThrowawayPg::start(options)
            .await
            .context("start throwaway postgres")?;
        if diagnose {
            crate::diagnose::enable(&pg).await?;
        }
        let admin = pool(&pg.url(), 4).await?;
        Ok(Self {
            pg,
            admin,
            diagnose,
        })
    }

    /// Directory of the server's binaries (`pg_waldump`, ...).
    pub(crate) fn bindir(&self) -> &std::path::Path {
        self.pg.bindir()
    }

    /// The server's data directory.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.pg.data_dir()
    }

    /// The admin pool (database `postgres`).
    pub(crate) fn admin(&self) -> &PgPool {
        &self.admin
    }

    /// URL of a database on this server.
    pub(crate) fn url_for(&self, database: &str) -> String {
        self.pg.url_for(database)
    }

    /// A fresh database with the engine's migrations applied.
    pub(crate) async fn engine_db(&self, name: &str, connections: u32) -> Result<PgPool> {
        self.create(name).await?;
        let pool = pool(&self.url_for(name), connections).await?;
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .with_context(|| format!("migrate engine database {name}"))?;
        Ok(pool)
    }

    /// A fresh database with apalis-postgres's migrations applied.
    pub(crate) async fn apalis_db(&self, name: &str, connections: u32) -> Result<PgPool> {
        self.create(name).await?;
        let pool = pool(&self.url_for(name), connections).await?;
        apalis_postgres::PostgresStorage::setup(&pool)
            .await
            .with_context(|| format!("set up apalis database {name}"))?;
        Ok(pool)
    }

    /// Creates an empty database (a peer that migrates its own schema).
    pub(crate) async fn create(&self, name: &str) -> Result<()> {
        let sql = format!("create database {name}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin)
            .await
            .with_context(|| format!("create database {name}"))?;
        Ok(())
    }

    /// Drops a database, closing its remaining connections.
    pub(crate) async fn drop_db(&self, name: &str) -> Result<()> {
        let sql = format!("drop database if exists \"{name}\" with (force)");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.admin)
            .await
            .with_context(|| format!("drop database {name}"))?;
        Ok(())
    }

    /// Lets the next workload start from a quiet server: drops every bench database (so
    /// autovacuum has nothing left to do there), checkpoints, and waits (bounded) until no
    /// autovacuum worker runs.
    pub(crate) async fn settle(&self) -> Result<()> {
        let databases: Vec<String> = sqlx::query_scalar(
            "select datname::text from pg_database
             where datname not in ('postgres', 'template0', 'template1')",
        )
        .fetch_all(&self.admin)
        .await
        .context("list bench databases")?;
        for name in databases {
            self.drop_db(&name).await?;
        }
        sqlx::query("checkpoint")
            .execute(&self.admin)
            .await
            .context("checkpoint")?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let busy: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity where backend_type = 'autovacuum worker'",
            )
            .fetch_one(&self.admin)
            .await
            .context("count autovacuum workers")?;
            if busy == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// `version()` of the server.
    pub(crate) async fn version(&self) -> Result<String> {
        sqlx::query_scalar("select version()")
            .fetch_one(&self.admin)
            .await
            .context("read server version")
    }
}

/// A pool with a bounded acquire wait and a bounded statement time.
pub(crate) async fn pool(url: &str, connections: u32) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .with_context(|| format!("parse {url}"))?
        .options([("statement_timeout", STATEMENT_TIMEOUT)]);
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .with_context(|| format!("connect to {url}"))
}

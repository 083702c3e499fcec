//! Fresh, migrated databases for tests: one throwaway server per test process holds a template
//! database migrated once, and every test gets its own clone, so tests run in parallel.

use std::time::Duration;

use sqlx::{Connection, PgConnection, migrate::Migrator};
use uuid::Uuid;

use crate::throwaway::{ThrowawayError, ThrowawayOptions, ThrowawayPg};

const TEMPLATE: &str = "ck8s_template";

/// A throwaway server with a migrated template database.
#[derive(Debug)]
pub struct TestDatabases {
    pg: ThrowawayPg,
}

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TestDatabaseError {
    /// Starting the server failed.
    #[error("start the test server")]
    Start(#[from] ThrowawayError),
    /// Connecting, migrating or cloning failed; names the operation.
    #[error("test database operation {op} failed")]
    Database {
        /// The operation.
        op: &'static str,
        /// The driver error.
        #[source]
        source: sqlx::Error,
    },
    /// Migrating the template failed.
    #[error("migrate the template database")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> TestDatabaseError {
    move |source| TestDatabaseError::Database { op, source }
}

impl TestDatabases {
    /// Starts a server (pgvector required) and migrates its template with `migrator`.
    pub async fn start(migrator: &Migrator) -> Result<Self, TestDatabaseError> {
        let pg = ThrowawayPg::start(ThrowawayOptions::default()).await?;
        let url = pg.create_database(TEMPLATE).await?;
        let mut conn = PgConnection::connect(&url)
            .await
            .map_err(db("connect template"))?;
        migrator
            .run(&mut conn)
            .await
            .map_err(TestDatabaseError::Migrate)?;
        conn.close().await.map_err(db("close template"))?;
        Ok(Self { pg })
    }

    /// A new database cloned from the template; returns its URL.
    pub async fn fresh(&self) -> Result<String, TestDatabaseError> {
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&self.pg.url())
            .await
            .map_err(db("connect admin"))?;
        let sql = format!("create database {name} template {TEMPLATE}");
        // Cloning needs the template idle: another test cloning at the same time is retried.
        let mut attempt = 0;
        loop {
            match sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut admin)
                .await
            {
                Ok(_) => break,
                Err(_) if attempt < 100 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(db("clone template")(e)),
            }
        }
        admin.close().await.map_err(db("close admin"))?;
        Ok(self.pg.url_for(&name))
    }
}

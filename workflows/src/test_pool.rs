//! The one test-database fixture of this crate's tests: a throwaway Postgres (pgvector) per test
//! process with a migrated template, and a fresh clone of it per test.

use std::time::Duration;

use sqlx::{PgPool, postgres::PgPoolOptions};
use testkit::test_database::TestDatabases;
use tokio::sync::OnceCell;

static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A pool on a fresh, migrated database of its own.
pub(crate) async fn fresh() -> PgPool {
    let dbs = DATABASES
        .get_or_init(|| async {
            TestDatabases::start(&MIGRATOR)
                .await
                .expect("test databases")
        })
        .await;
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&dbs.fresh().await.expect("fresh database"))
        .await
        .expect("connect")
}

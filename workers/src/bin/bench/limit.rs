//! The server's group-commit ceiling for row writes: `connections` clients each committing
//! single-row INSERTs into a logged table (fsync on, default synchronous_commit) for a fixed time.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use sqlx::PgPool;

/// Rows committed per second, one row per commit.
pub(crate) async fn single_row_commits_per_s(
    pool: &PgPool,
    connections: usize,
    duration: Duration,
) -> Result<f64> {
    sqlx::query(
        "create table if not exists bench_limit (
            id bigint generated always as identity primary key,
            v bigint not null,
            created_at timestamptz not null default now())",
    )
    .execute(pool)
    .await
    .context("create bench_limit")?;
    let rows = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..connections {
        let (pool, rows) = (pool.clone(), rows.clone());
        tasks.spawn(async move {
            let mut conn = pool.acquire().await.context("acquire limit connection")?;
            let mut i = 0i64;
            while Instant::now() < deadline {
                sqlx::query("insert into bench_limit (v) values ($1)")
                    .bind(client as i64 * 1_000_000_000 + i)
                    .execute(&mut *conn)
                    .await
                    .context("insert into bench_limit")?;
                rows.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            anyhow::Ok(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("limit client panicked")??;
    }
    Ok(rows.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

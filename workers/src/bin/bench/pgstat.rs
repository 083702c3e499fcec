//! Row writes per table and commits of one database, from the cumulative statistics views.
//!
//! Backends publish their counters with a delay (and idle ones only after a while), so callers
//! close the pools that did the work first, and [`Snapshot::settled`] reads until two reads a
//! moment apart agree.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use sqlx::{PgPool, Row};

/// Cumulative counters of one database at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    /// Per table: n_tup_ins + n_tup_upd + n_tup_del.
    pub(crate) writes: BTreeMap<String, i64>,
    /// xact_commit of the database.
    pub(crate) commits: i64,
}

impl Snapshot {
    async fn read(pool: &PgPool) -> Result<Self> {
        // Publishes this backend's own pending counters (PG15+); others publish on their own.
        let _ = sqlx::query("select pg_stat_force_next_flush()")
            .execute(pool)
            .await;
        let rows = sqlx::query(
            "select relname::text as name, (n_tup_ins + n_tup_upd + n_tup_del)::bigint as writes
             from pg_stat_user_tables where schemaname = 'public'",
        )
        .fetch_all(pool)
        .await
        .context("read pg_stat_user_tables")?;
        let writes = rows
            .iter()
            .map(|r| (r.get::<String, _>("name"), r.get::<i64, _>("writes")))
            .collect();
        let commits: i64 = sqlx::query_scalar(
            "select xact_commit from pg_stat_database where datname = current_database()",
        )
        .fetch_one(pool)
        .await
        .context("read pg_stat_database")?;
        Ok(Self { writes, commits })
    }

    /// Reads until the write counters stop moving (two reads 300 ms apart agree), up to 20 s.
    pub(crate) async fn settled(pool: &PgPool) -> Result<Self> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = Self::read(pool).await?;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let next = Self::read(pool).await?;
            if next.writes == last.writes || Instant::now() > deadline {
                return Ok(next);
            }
            last = next;
        }
    }

    /// Writes per table since `before`, leaving out tables without any.
    pub(crate) fn writes_since(&self, before: &Snapshot) -> BTreeMap<String, i64> {
        self.writes
            .iter()
            .map(|(t, w)| (t.clone(), w - before.writes.get(t).copied().unwrap_or(0)))
            .filter(|(_, w)| *w != 0)
            .collect()
    }
}

/// What one database wrote, whatever its schema (graphile's is not `public`): row writes and
/// commits from `pg_stat_database`, and the server's WAL position (the bench runs one workload at
/// a time, so the WAL written meanwhile is that database's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DbWork {
    writes: i64,
    commits: i64,
    wal: i64,
}

impl DbWork {
    async fn read(admin: &PgPool, database: &str) -> Result<Self> {
        let _ = sqlx::query("select pg_stat_force_next_flush()")
            .execute(admin)
            .await;
        let row = sqlx::query(
            "select (tup_inserted + tup_updated + tup_deleted)::bigint as writes,
                    xact_commit::bigint as commits,
                    (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint as wal
             from pg_stat_database where datname = $1",
        )
        .bind(database)
        .fetch_one(admin)
        .await
        .with_context(|| format!("read pg_stat_database of {database}"))?;
        Ok(Self {
            writes: row.get("writes"),
            commits: row.get("commits"),
            wal: row.get("wal"),
        })
    }

    /// Reads until the counters stop moving (two reads 300 ms apart agree on writes and commits),
    /// up to 20 s: the backends that did the work publish their counters with a delay.
    pub(crate) async fn settled(admin: &PgPool, database: &str) -> Result<Self> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = Self::read(admin, database).await?;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let next = Self::read(admin, database).await?;
            let still = (next.writes, next.commits) == (last.writes, last.commits);
            if still || Instant::now() > deadline {
                return Ok(next);
            }
            last = next;
        }
    }

    /// Row writes, commits and WAL bytes per job since `before`.
    pub(crate) fn per_job(&self, before: &DbWork, n: u64) -> (f64, f64, f64) {
        let per = |d: i64| d as f64 / n as f64;
        (
            per(self.writes - before.writes),
            per(self.commits - before.commits),
            per(self.wal - before.wal),
        )
    }
}

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

//! `--diagnose`: what the server's backends of one database wait on during a drain, sampled from
//! `pg_stat_activity` by a connection of its own. Each sample counts every backend that is running
//! a statement, by the statement's first words and its wait event ("on CPU" when it waits on none).
//! The sampler's own round trips load the server too, so throughput under `--diagnose` is not a
//! figure to report.

use std::{collections::BTreeMap, time::Duration};

use anyhow::{Context, Result};
use tokio_util::sync::CancellationToken;

use crate::server::{self, Server};

/// Pause between samples (a sample itself is one round trip).
const EVERY: Duration = Duration::from_micros(500);

/// A running sampler; [`Waits::report`] stops it and prints what it saw.
pub(crate) struct Waits {
    database: String,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<Tally>>,
}

/// Samples taken, and active backends seen per (statement, wait event).
#[derive(Default)]
struct Tally {
    samples: u64,
    seen: BTreeMap<(String, String), u64>,
}

impl Waits {
    /// Starts sampling the backends of `database`.
    pub(crate) async fn start(server: &Server, database: &str) -> Result<Self> {
        let pool = server::pool(&server.url_for(database), 1).await?;
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut tally = Tally::default();
                while !stop.is_cancelled() {
                    let rows: Vec<(String, String)> = sqlx::query_as(
                        "select left(regexp_replace(coalesce(query, ''), '\\s+', ' ', 'g'), 40),
                                coalesce(wait_event_type || ':' || wait_event, 'on CPU')
                         from pg_stat_activity
                         where datname = current_database() and state = 'active'
                           and pid <> pg_backend_pid()",
                    )
                    .fetch_all(&pool)
                    .await
                    .context("sample pg_stat_activity")?;
                    tally.samples += 1;
                    for key in rows {
                        *tally.seen.entry(key).or_default() += 1;
                    }
                    tokio::time::sleep(EVERY).await;
                }
                pool.close().await;
                Ok(tally)
            }
        });
        Ok(Self {
            database: database.to_owned(),
            stop,
            task,
        })
    }

    /// Stops sampling and prints, per statement and wait event, the mean number of backends seen.
    pub(crate) async fn report(self) -> Result<()> {
        self.stop.cancel();
        let tally = self.task.await.context("wait sampler panicked")??;
        let samples = tally.samples.max(1) as f64;
        eprintln!(
            "  waits in {} ({} samples; mean active backends by statement and wait event):",
            self.database, tally.samples
        );
        let mut seen: Vec<_> = tally.seen.into_iter().collect();
        seen.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
        for ((query, wait), count) in seen.into_iter().take(15) {
            eprintln!("    {:>6.2}  {wait:<24} {query}", count as f64 / samples);
        }
        Ok(())
    }
}

//! Measuring helpers shared by the workloads: waiting for a count (in memory, then confirmed in
//! the database) and turning counts into rounded rates.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use sqlx::PgPool;

/// Waits until `counter` reaches `n`, failing after `timeout` or when it stops moving for
/// [`STALL`] (runs that failed or lost their lease never count).
pub(crate) async fn wait_counter(counter: &AtomicU64, n: u64, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let (mut seen, mut moved) = (counter.load(Ordering::Relaxed), Instant::now());
    while seen < n {
        let now = Instant::now();
        if now > deadline || now - moved > STALL {
            bail!("only {seen} of {n} done after {timeout:?} or {STALL:?} without progress");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        let next = counter.load(Ordering::Relaxed);
        if next != seen {
            (seen, moved) = (next, Instant::now());
        }
    }
    Ok(())
}

/// How long a count may stand still before a wait gives up (longer than a lease plus rescue).
pub(crate) const STALL: Duration = Duration::from_secs(30);

/// Waits until the scalar query `count_sql` returns at least `n`, failing after `timeout`.
pub(crate) async fn wait_db(
    pool: &PgPool,
    count_sql: &str,
    n: u64,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.to_owned()))
            .fetch_one(pool)
            .await
            .with_context(|| format!("poll {count_sql}"))?;
        if count >= n as i64 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{count_sql} is {count}, not {n}, after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Per-second rate of `n` things over `elapsed`.
pub(crate) fn per_s(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

/// Rounds to one decimal, for readable JSON.
pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Rounds to three decimals, for readable JSON.
pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// p50 and p99 of `samples`, in milliseconds (nearest rank).
pub(crate) fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

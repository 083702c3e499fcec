//! `backlog`: the per-job cost of claim + finish with a huge ready backlog vs a small one.
//!
//! Both cases use the same method: load the backlog plus the measured jobs, `VACUUM ANALYZE`, then
//! time three consecutive segments of `measured` completions under one worker (concurrency C),
//! so the backlog never drops below its size; the median segment counts.
//! The claim query alone is also timed (rolled back, so the backlog does not move).

use std::{
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use engine::Registry;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    Settings,
    engine_side::{self, QUEUE, RunningWorker},
    flows::Noop,
    measure::round3,
    server::Server,
};

/// The engine's own claim statement, timed directly.
pub(crate) const CLAIM_SQL: &str =
    include_str!("../../../../engine/queries/workflow_tasks/claim_available.sql");

/// Ready jobs of the small case.
const SMALL: u64 = 1_000;

/// Consecutive segments of `measured` jobs timed under one running worker; the median counts.
const SEGMENTS: u64 = 3;

/// Per-job cost and claim-query time of one backlog size.
struct Cost {
    per_job_ms: f64,
    claim_ms: f64,
}

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let big: u64 = if settings.quick { 200_000 } else { 1_000_000 };
    let measured: u64 = if settings.quick { 2_000 } else { 5_000 };
    let c = settings.concurrency;
    let small = cost(server, "backlog_small", SMALL, measured, settings).await?;
    let large = cost(server, "backlog_big", big, measured, settings).await?;
    Ok(json!({
        "small_ms": round3(small.per_job_ms),
        "big_ms": round3(large.per_job_ms),
        "ratio": round3(large.per_job_ms / small.per_job_ms),
        "small_n": SMALL,
        "big_n": big,
        "measured_jobs": measured,
        "concurrency": c,
        "claim_query_small_ms": round3(small.claim_ms),
        "claim_query_big_ms": round3(large.claim_ms),
        "claim_query_ratio": round3(large.claim_ms / small.claim_ms),
        "method": "ms per job = median over 3 consecutive segments of `measured_jobs` completions under one worker, with at least `n` ready runs behind them; claim_query = median of rolled-back claims of 100 on one connection, after 10 warm-up claims",
    }))
}

async fn cost(
    server: &Server,
    db: &str,
    backlog: u64,
    measured: u64,
    settings: Settings,
) -> Result<Cost> {
    let c = settings.concurrency;
    let pool = server.engine_db(db, 30).await?;
    let done = Arc::new(AtomicU64::new(0));
    let registry = Registry::new().with(Noop { done: done.clone() })?;
    let client = engine_side::client(&pool);
    engine_side::load_runs::<Noop>(&client, backlog + SEGMENTS * measured).await?;
    let t = Instant::now();
    sqlx::raw_sql("vacuum analyze workflow_runs, workflow_tasks")
        .execute(&pool)
        .await
        .with_context(|| format!("vacuum analyze {db}"))?;
    eprintln!("  vacuum analyze {db}: {:.1} s", t.elapsed().as_secs_f64());
    let claim_ms = claim_query_ms(&pool).await?;
    crate::diagnose::explain_claim(server, &pool, CLAIM_SQL, 100).await?;
    crate::diagnose::reset(server).await?;
    let started = Instant::now();
    let worker = RunningWorker::spawn(
        &pool,
        registry,
        engine_side::worker_config(c, settings.heartbeat),
    )?;
    let timeout = Duration::from_secs(300);
    let mut segments = Vec::new();
    let mut last = started;
    for k in 1..=SEGMENTS {
        engine_side::drained(&pool, &pool, &done, k * measured, timeout).await?;
        let now = Instant::now();
        segments.push((now - last).as_secs_f64() * 1000.0 / measured as f64);
        last = now;
    }
    worker.stop().await?;
    pool.close().await;
    crate::diagnose::report(server, db).await?;
    server.drop_db(db).await?;
    segments.sort_by(f64::total_cmp);
    let per_job_ms = segments[segments.len() / 2];
    eprintln!("  {db}: {per_job_ms:.3} ms/job, claim query {claim_ms:.2} ms");
    Ok(Cost {
        per_job_ms,
        claim_ms,
    })
}

/// Median time of the engine's claim of 100 tasks on one connection (as the claimer uses it, so
/// its prepared statement reaches the same cached plan), each claim rolled back.
async fn claim_query_ms(pool: &PgPool) -> Result<f64> {
    use sqlx::Connection;
    let mut conn = pool
        .acquire()
        .await
        .context("acquire claim probe connection")?;
    let mut times = Vec::new();
    for _ in 0..30 {
        let mut tx = conn.begin().await.context("begin claim probe")?;
        let t = Instant::now();
        let rows = sqlx::query(CLAIM_SQL)
            .bind(QUEUE)
            .bind(100_i64)
            .bind("bench-claim-probe")
            .bind(10.0_f64)
            .fetch_all(&mut *tx)
            .await
            .context("claim probe")?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(rows.len() == 100, "claim probe got {} rows", rows.len());
        tx.rollback().await.context("roll back claim probe")?;
    }
    // The first executions plan afresh; the claimer lives in the steady state after them.
    let mut steady = times.split_off(10);
    steady.sort_by(f64::total_cmp);
    Ok(steady[steady.len() / 2])
}

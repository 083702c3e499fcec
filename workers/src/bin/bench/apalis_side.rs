//! The apalis-postgres 1.0 side of `jobs` and `latency`: batch 100, LISTEN/NOTIFY wake-ups
//! (`with_pubsub`), the same concurrency as the engine.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, anyhow};
use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tokio::sync::mpsc;

use crate::measure::{wait_counter, wait_db};

/// The job type: a sequence number.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Job {
    seq: u64,
}

/// The apalis queue (job_type) of the bench.
const QUEUE: &str = "bench_jobs";

/// Jobs finished and acknowledged in the database.
const DONE_JOBS: &str = "select count(*) from apalis.jobs where status = 'Done'";

/// Connections of an apalis pool.
pub(crate) const POOL_SIZE: u32 = 30;

fn config() -> Config {
    Config::default().queue(QUEUE).batch_size(100)
}

/// How the apalis worker executes handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Handler futures are polled inside the worker's own stream (apalis's default).
    Inline,
    /// Each handler is `tokio::spawn`ed (`.parallelize(tokio::spawn)`).
    Spawned,
}

/// Pushes jobs `from..to` with one `push_all` (one multi-row INSERT).
async fn push(pool: &PgPool, from: u64, to: u64) -> Result<()> {
    let mut storage = PostgresStorage::<Job>::new(pool).with_config(config());
    let tasks: Vec<_> = (from..to)
        .map(|seq| TaskBuilder::new(Job { seq }).build())
        .collect();
    storage
        .push_all(&mut futures::stream::iter(tasks))
        .await
        .map_err(|e| anyhow!("apalis push_all of {} jobs: {e}", to - from))
}

async fn count(_: Job, done: Data<Arc<AtomicU64>>) -> Result<(), BoxDynError> {
    done.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

async fn report_start(job: Job, started: Data<mpsc::UnboundedSender<(u64, Instant)>>) {
    let _ = started.send((job.seq, Instant::now()));
}

/// Pushes `n` jobs in `push_all` calls of 5,000.
pub(crate) async fn push_jobs(pool: &PgPool, n: u64) -> Result<()> {
    for from in (0..n).step_by(5_000) {
        push(pool, from, (from + 5_000).min(n)).await?;
    }
    Ok(())
}

/// Times a worker with concurrency `c` from its start until `n` pushed jobs are acknowledged
/// `Done` in the database.
pub(crate) async fn drain(pool: &PgPool, n: u64, c: usize, mode: Mode) -> Result<Duration> {
    let done = Arc::new(AtomicU64::new(0));
    let ctx = WorkerContext::new("bench-apalis-jobs");
    let backend = PostgresStorage::<Job>::new(pool)
        .with_config(config())
        .with_pubsub();
    let started = Instant::now();
    let builder = WorkerBuilder::new(&ctx)
        .backend(backend)
        .data(done.clone())
        .concurrency(c);
    let handle = match mode {
        Mode::Inline => tokio::spawn(builder.build(count).run()),
        Mode::Spawned => tokio::spawn(builder.parallelize(tokio::spawn).build(count).run()),
    };
    let timeout = Duration::from_secs(300);
    wait_counter(&done, n, timeout).await?;
    wait_db(pool, DONE_JOBS, n, timeout).await?;
    let elapsed = started.elapsed();
    stop(&ctx, handle).await?;
    Ok(elapsed)
}

/// Enqueue→start latency with an idle worker: one job at a time, `samples` times.
pub(crate) async fn latency(pool: &PgPool, samples: u64) -> Result<Vec<Duration>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<(u64, Instant)>();
    let ctx = WorkerContext::new("bench-apalis-latency");
    let backend = PostgresStorage::<Job>::new(pool)
        .with_config(config())
        .with_pubsub();
    let worker = WorkerBuilder::new(&ctx)
        .backend(backend)
        .data(tx)
        .concurrency(10)
        .build(report_start);
    let handle = tokio::spawn(worker.run());
    // Let the worker register and its listener connect.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    for seq in 0..samples {
        let t0 = Instant::now();
        push(pool, seq, seq + 1).await?;
        let (got, at) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .with_context(|| format!("apalis job {seq} did not start within 60 s"))?
            .context("apalis worker stopped")?;
        anyhow::ensure!(got == seq, "apalis started job {got}, expected {seq}");
        latencies.push(at - t0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop(&ctx, handle).await?;
    Ok(latencies)
}

async fn stop(
    ctx: &WorkerContext,
    handle: tokio::task::JoinHandle<Result<(), WorkerError>>,
) -> Result<()> {
    ctx.stop().map_err(|e| anyhow!("stop apalis worker: {e}"))?;
    tokio::time::timeout(Duration::from_secs(30), handle)
        .await
        .context("apalis worker did not stop within 30 s")?
        .context("apalis worker task panicked")?
        .map_err(|e| anyhow!("apalis worker failed: {e}"))
}

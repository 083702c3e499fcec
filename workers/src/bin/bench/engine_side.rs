//! The engine side of the bench: bulk loading runs, the worker settings, and a worker running in
//! this process.

use std::{
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use engine::{Client, ClientConfig, Metrics, Registry, Worker, WorkerConfig, Workflow};
use futures::{StreamExt, TryStreamExt};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// The queue every bench workload uses.
pub(crate) const QUEUE: &str = "bench";

/// Runs per `start_many` call.
const CHUNK: usize = 5_000;

/// Starts `n` runs of `W` (inputs 0..n) in chunks, two chunks in flight.
pub(crate) async fn load_runs<W: Workflow<Input = u64>>(client: &Client, n: u64) -> Result<()> {
    let kind = W::KIND;
    let started = Instant::now();
    let chunks: Vec<(u64, u64)> = (0..n)
        .step_by(CHUNK)
        .map(|from| (from, (from + CHUNK as u64).min(n)))
        .collect();
    let created: Vec<i64> = futures::stream::iter(chunks)
        .map(|(from, to)| async move {
            let inputs: Vec<u64> = (from..to).collect();
            client
                .start_many::<W>(&inputs, Some(QUEUE))
                .await
                .with_context(|| format!("start runs {from}..{to} of {kind}"))
        })
        .buffer_unordered(2)
        .try_collect()
        .await?;
    let created: i64 = created.iter().sum();
    if created != n as i64 {
        bail!("started {created} of {n} runs of {kind}");
    }
    eprintln!(
        "  loaded {n} runs of {kind} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A client over the bench's database.
pub(crate) fn client(pool: &PgPool) -> Client {
    Client::new(pool.clone(), ClientConfig::default())
}

/// Worker settings for the bench queue with `slots` concurrent runs; `heartbeat` overrides the
/// default lease renewal period (a stress knob for the renewal path).
pub(crate) fn worker_config(slots: usize, heartbeat: Option<Duration>) -> WorkerConfig {
    let defaults = WorkerConfig::default();
    WorkerConfig {
        queues: vec![(QUEUE.to_owned(), slots)],
        claim_batch: 100,
        shutdown_grace: Duration::from_secs(2),
        heartbeat: heartbeat.unwrap_or(defaults.heartbeat),
        ..defaults
    }
}

/// Run counts by status, to explain a drain that did not finish.
pub(crate) async fn statuses(pool: &PgPool) -> String {
    let rows: Result<Vec<(String, i64)>, _> =
        sqlx::query_as("select status, count(*) from workflow_runs group by 1 order by 1")
            .fetch_all(pool)
            .await;
    match rows {
        Ok(rows) => format!("{rows:?}"),
        Err(e) => format!("(statuses unavailable: {e})"),
    }
}

/// An engine worker running in this process.
pub(crate) struct RunningWorker {
    shutdown: CancellationToken,
    handle: tokio::task::JoinHandle<engine::Result<()>>,
}

impl RunningWorker {
    /// Builds and spawns a worker.
    pub(crate) fn spawn(pool: &PgPool, registry: Registry, config: WorkerConfig) -> Result<Self> {
        let worker = Worker::new(pool.clone(), registry, config, Arc::new(Metrics::new()))
            .context("build engine worker")?;
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(worker.run(shutdown.clone()));
        Ok(Self { shutdown, handle })
    }

    /// Soft-stops the worker and waits (bounded) for it to return.
    pub(crate) async fn stop(self) -> Result<()> {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .context("engine worker did not stop within 30 s")?
            .context("engine worker task panicked")?
            .context("engine worker failed")
    }
}

/// Succeeded runs, for [`crate::measure::wait_db`].
pub(crate) const SUCCEEDED_RUNS: &str =
    "select count(*) from workflow_runs where status = 'succeeded'";

/// Waits until `n` bodies counted in `done` are also finished as succeeded in the database; on
/// timeout the error names the runs' statuses (failed runs never count).
pub(crate) async fn drained(
    pool: &PgPool,
    stats: &PgPool,
    done: &AtomicU64,
    n: u64,
    timeout: Duration,
) -> Result<()> {
    let waited = async {
        crate::measure::wait_counter(done, n, timeout).await?;
        crate::measure::wait_db(stats, SUCCEEDED_RUNS, n, timeout).await
    };
    match waited.await {
        Ok(()) => Ok(()),
        Err(e) => Err(e.context(format!("runs by status: {}", statuses(pool).await))),
    }
}

//! Test fixtures: one throwaway Postgres per test process, a migrated template database, and a
//! fresh database cloned from it for every test, so tests run in parallel.

use std::{sync::Arc, time::Duration};

use engine::{Client, ClientConfig, Metrics, Registry, Worker, WorkerConfig};
use sqlx::{PgPool, postgres::PgPoolOptions};
use testkit::test_database::TestDatabases;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A fresh, migrated database for one test.
pub async fn fresh_pool() -> PgPool {
    let dbs = DATABASES
        .get_or_init(|| async {
            TestDatabases::start(&MIGRATOR)
                .await
                .expect("test databases")
        })
        .await;
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&dbs.fresh().await.expect("fresh database"))
        .await
        .expect("connect test database")
}

/// Worker settings with short intervals, for tests.
pub fn fast_config(queues: &[(&str, usize)]) -> WorkerConfig {
    WorkerConfig {
        queues: queues.iter().map(|(q, n)| (q.to_string(), *n)).collect(),
        lease: Duration::from_secs(2),
        heartbeat: Duration::from_millis(500),
        poll_interval: Duration::from_millis(200),
        maintenance_interval: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(2),
        ..WorkerConfig::default()
    }
}

/// A running worker, stopped on drop of its handle or explicitly.
pub struct RunningWorker {
    pub shutdown: CancellationToken,
    pub handle: tokio::task::JoinHandle<engine::Result<()>>,
}

impl RunningWorker {
    /// Soft-stops and waits.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle.await.expect("worker task").expect("worker run");
    }
}

/// Starts a worker in this process.
pub fn spawn_worker(pool: &PgPool, registry: Registry, config: WorkerConfig) -> RunningWorker {
    let worker = Worker::new(pool.clone(), registry, config, Arc::new(Metrics::new()))
        .expect("valid config");
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(worker.run(shutdown.clone()));
    RunningWorker { shutdown, handle }
}

/// A client with default limits.
pub fn client(pool: &PgPool) -> Client {
    Client::new(pool.clone(), ClientConfig::default())
}

/// Polls until the run reaches a terminal status, or panics after `timeout`.
pub async fn wait_finished(
    client: &Client,
    run_id: uuid::Uuid,
    timeout: Duration,
) -> engine::RunDetail {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let run = client.get_run(run_id).await.expect("get run");
        if run.summary.status.is_terminal() {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run {run_id} did not finish in {timeout:?}: {run:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Polls until `check` holds on the run, or panics after `timeout`.
pub async fn wait_until(
    client: &Client,
    run_id: uuid::Uuid,
    timeout: Duration,
    check: impl Fn(&engine::RunDetail) -> bool,
) -> engine::RunDetail {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let run = client.get_run(run_id).await.expect("get run");
        if check(&run) {
            return run;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in {timeout:?}: {run:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The state of a run's task (`blocked`, `ready`, `scheduled`, `leased`, `waiting`, `parked`), or
/// `none` once the run has finished.
pub async fn task_state(pool: &PgPool, run_id: uuid::Uuid) -> String {
    sqlx::query_scalar::<_, String>("select state from workflow_tasks where run_id = $1")
        .bind(run_id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or_else(|| "none".into())
}

/// Polls (bounded) until the run's task is in `state`.
pub async fn wait_for_task(pool: &PgPool, run: uuid::Uuid, state: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while task_state(pool, run).await != state {
        assert!(
            tokio::time::Instant::now() < deadline,
            "task of {run} never {state}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

//! Conformance of the engine's SQL transitions against a real Postgres: every function's happy path,
//! the lost race (a stale epoch after a rescue), the wrong state, and the interleavings that used to
//! strand runs, leak slots or deadlock. Interleavings are forced with a second connection holding a
//! transaction open; the test waits until the other connection is blocked on a lock (read from
//! `pg_stat_activity`), never by sleeping.

mod admission;
mod claim;
mod cron;
mod fence;
mod lock_order;
mod park;
mod plans;
mod prune;
mod release;
mod rescue;
mod start;
mod terminate;
mod wait;

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::json;
use sqlx::{PgPool, pool::PoolConnection, postgres::PgPoolOptions};
use testkit::test_database::TestDatabases;
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{
    EntryKind, StepRecord, StepStatus, run,
    step::NewStep,
    task::{self, ClaimParams, Claimed, Completion},
};

static DATABASES: OnceCell<TestDatabases> = OnceCell::const_new();
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

pub(crate) async fn pool() -> PgPool {
    let dbs = DATABASES
        .get_or_init(|| async {
            TestDatabases::start(&MIGRATOR)
                .await
                .expect("test databases")
        })
        .await;
    PgPoolOptions::new()
        .max_connections(16)
        .connect(&dbs.fresh().await.expect("fresh database"))
        .await
        .expect("connect")
}

/// How to start a run in these tests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Spec {
    pub(crate) keys: Vec<(&'static str, i32)>,
    pub(crate) budget_ms: Option<i64>,
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) priority: i16,
    pub(crate) idempotency_key: Option<String>,
}

pub(crate) async fn start(pool: &PgPool, spec: Spec) -> Uuid {
    let input = json!({});
    let keys: Vec<String> = spec.keys.iter().map(|(k, _)| (*k).to_owned()).collect();
    let limits: Vec<i32> = spec.keys.iter().map(|(_, l)| *l).collect();
    let new = run::NewRun {
        id: Uuid::now_v7(),
        kind: "k",
        code_version: 1,
        queue: "q",
        input: &input,
        priority: spec.priority,
        idempotency_key: spec.idempotency_key.as_deref(),
        concurrency_keys: &keys,
        concurrency_limits: &limits,
        budget_ms: spec.budget_ms,
        run_at: spec.run_at,
        trace_parent: None,
    };
    run::start(pool, &new).await.unwrap().id
}

pub(crate) async fn start_plain(pool: &PgPool) -> Uuid {
    start(pool, Spec::default()).await
}

pub(crate) async fn claim_all(pool: &PgPool, limit: i64) -> Vec<Claimed> {
    let p = ClaimParams {
        queue: "q",
        limit,
        worker: "w",
        lease_secs: 30.0,
    };
    task::claim_available(pool, &p).await.unwrap()
}

pub(crate) async fn claim(pool: &PgPool) -> Claimed {
    let mut claimed = claim_all(pool, 10).await;
    assert_eq!(claimed.len(), 1, "exactly one task is claimable");
    claimed.remove(0)
}

/// A run's stored state: (status, end_reason, task state, finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) status: String,
    pub(crate) end_reason: Option<String>,
    pub(crate) task: Option<String>,
    pub(crate) finished: bool,
}

pub(crate) async fn state(pool: &PgPool, run_id: Uuid) -> State {
    let (status, end_reason, task, finished): (String, Option<String>, Option<String>, bool) =
        sqlx::query_as(
            "select r.status, r.end_reason, t.state, r.finished_at is not null
             from workflow_runs r left join workflow_tasks t on t.run_id = r.id where r.id = $1",
        )
        .bind(run_id)
        .fetch_one(pool)
        .await
        .unwrap();
    State {
        status,
        end_reason,
        task,
        finished,
    }
}

pub(crate) fn st(
    status: &str,
    end_reason: Option<&str>,
    task: Option<&str>,
    finished: bool,
) -> State {
    State {
        status: status.into(),
        end_reason: end_reason.map(Into::into),
        task: task.map(Into::into),
        finished,
    }
}

pub(crate) async fn active(pool: &PgPool, key: &str) -> i32 {
    sqlx::query_scalar("select active from concurrency_keys where id = $1")
        .bind(key)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub(crate) async fn event_kinds(pool: &PgPool, run_id: Uuid) -> Vec<String> {
    sqlx::query_scalar("select kind from flow_events where run_id = $1 order by id")
        .bind(run_id)
        .fetch_all(pool)
        .await
        .unwrap()
}

pub(crate) async fn orphan_events(pool: &PgPool, kind: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "select detail from flow_events where run_id is null and kind = $1 order by id",
    )
    .bind(kind)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Makes the run's lease expire now.
pub(crate) async fn expire(pool: &PgPool, run_id: Uuid) {
    sqlx::query("update workflow_tasks set lease_expires_at = now() - interval '1 second' where run_id = $1")
        .bind(run_id)
        .execute(pool)
        .await
        .unwrap();
}

pub(crate) async fn rescue(pool: &PgPool, run_id: Uuid) {
    expire(pool, run_id).await;
    let rescued = task::rescue_expired(pool, 3, 10).await.unwrap();
    assert!(rescued.iter().any(|r| r.run_id == run_id), "{rescued:?}");
}

pub(crate) fn step_write(run_id: Uuid, epoch: i64, seq: i32) -> NewStep {
    NewStep {
        run_id,
        epoch,
        seq,
        record: StepRecord {
            kind: EntryKind::Step,
            name: "s".into(),
            status: StepStatus::Succeeded,
            output: Some(json!(seq)),
            error: None,
        },
        attempts: 1,
        started_at: Utc::now(),
        bytes: 0,
    }
}

pub(crate) fn completion(c: &Claimed, status: &'static str) -> Completion {
    Completion {
        run_id: c.run_id,
        epoch: c.epoch,
        status,
        output: Some(json!(status)),
        error: None,
        bytes: 0,
    }
}

/// Finishes a run the way the completer does (one flush: task row, run row, slots released).
pub(crate) async fn finish(pool: &PgPool, c: &Claimed, status: &'static str) -> task::Completed {
    finish_on(pool, c, status).await.unwrap()
}

/// Finishes a run with one completer flush on `e` (a transaction keeps its locks until commit).
pub(crate) async fn finish_on(
    e: impl sqlx::PgExecutor<'_>,
    c: &Claimed,
    status: &'static str,
) -> crate::Result<task::Completed> {
    let mut flushed = crate::store::flush::write(e, &[], &[&completion(c, status)]).await?;
    assert_eq!(flushed.completed.len(), 1);
    Ok(flushed
        .completed
        .remove(&(c.run_id, c.epoch))
        .expect("the completion's outcome"))
}

/// Commits step outputs with one completer flush; returns the (run, epoch) of those accepted.
pub(crate) async fn write_steps(
    e: impl sqlx::PgExecutor<'_>,
    steps: &[NewStep],
) -> crate::Result<std::collections::HashSet<(Uuid, i64)>> {
    let steps: Vec<&NewStep> = steps.iter().collect();
    Ok(crate::store::flush::write(e, &steps, &[]).await?.accepted)
}

/// Locks task rows as a flush does first (run id order), to hold them in a test's transaction.
pub(crate) async fn hold_task_rows(e: impl sqlx::PgExecutor<'_>, run_ids: &[Uuid]) {
    sqlx::query(
        "select run_id from workflow_tasks where run_id = any($1) order by run_id for update",
    )
    .bind(run_ids)
    .fetch_all(e)
    .await
    .unwrap();
}

/// An operation running on a connection of its own, started by [`on_own_connection`].
pub(crate) struct Pending<T> {
    pub(crate) pid: i32,
    pub(crate) handle: tokio::task::JoinHandle<T>,
}

impl<T> Pending<T> {
    /// Waits until the operation's connection is blocked on a lock held elsewhere.
    pub(crate) async fn blocked(&self, pool: &PgPool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let waiting: Option<String> =
                sqlx::query_scalar("select wait_event_type from pg_stat_activity where pid = $1")
                    .bind(self.pid)
                    .fetch_optional(pool)
                    .await
                    .unwrap()
                    .flatten();
            if waiting.as_deref() == Some("Lock") {
                return;
            }
            assert!(
                !self.handle.is_finished(),
                "the operation finished instead of waiting for the lock"
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "never blocked on a lock"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub(crate) async fn result(self) -> T {
        tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("the operation finishes once the lock is free")
            .expect("operation task")
    }
}

/// Starts `op` on a connection of its own, in a task.
pub(crate) async fn on_own_connection<T: Send + 'static>(
    pool: &PgPool,
    op: impl FnOnce(PoolConnection<sqlx::Postgres>) -> BoxFuture<'static, T> + Send + 'static,
) -> Pending<T> {
    let mut conn = pool.acquire().await.unwrap();
    let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let handle = tokio::spawn(op(conn));
    Pending { pid, handle }
}

/// Deadlocks the database has detected so far (all databases of the test server: tests compare a
/// run of their own against zero, the count is only read after their connections closed).
pub(crate) async fn deadlocks(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select coalesce(sum(deadlocks), 0)::bigint from pg_stat_database where datname = current_database()")
        .fetch_one(pool)
        .await
        .unwrap()
}

//! A queue slot bounds the runs whose workflow code runs, not the ends waiting for their commit
//! (ADR 0024): the next run starts while the previous one's end is still uncommitted, and no
//! more bodies than slots ever run at once.

use std::time::Duration;

use engine::{RunStatus, StartOptions, prelude::*};
use uuid::Uuid;

use crate::{flows::PROBE, support::*};

/// Counts its body's start, waits for its gate outside any step, and returns.
struct Gated;
impl Workflow for Gated {
    const KIND: &'static str = "test_gated";
    type Input = ();
    type Output = ();
    async fn run(&self, ctx: WorkflowContext, _: ()) -> Result<(), WorkflowError> {
        let run = ctx.run_id();
        PROBE.hit(run, "body_started");
        PROBE.gate(run).notified().await;
        PROBE.hit(run, "body_done");
        Ok(())
    }
}

fn gated_registry() -> engine::Registry {
    engine::Registry::new().with(Gated).expect("valid")
}

async fn started(pool: &sqlx::PgPool) -> Uuid {
    client(pool)
        .start::<Gated>(&(), StartOptions::default())
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn the_next_run_starts_in_the_slot_while_the_previous_end_waits_for_its_commit() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, gated_registry(), fast_config(&[("default", 1)]));
    let first = started(&pool).await;
    PROBE
        .wait_for(first, "body_started", 1, Duration::from_secs(10))
        .await;
    let second = started(&pool).await;

    // A second connection holds the first run's task row: its end cannot commit.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("select 1 from workflow_tasks where run_id = $1 for update")
        .bind(first)
        .execute(&mut *holder)
        .await
        .unwrap();
    assert_eq!(PROBE.count(second, "body_started"), 0, "one slot, taken");
    PROBE.open(first);
    PROBE
        .wait_for(second, "body_started", 1, Duration::from_secs(10))
        .await;
    let first_now = client.get_run(first).await.unwrap();
    assert_eq!(
        first_now.summary.status,
        RunStatus::Running,
        "the first end is not committed yet"
    );
    assert_eq!(
        task_state(&pool, first).await,
        "leased",
        "its lease is kept"
    );

    // Once the row is free the first end commits; the second ends in turn.
    holder.commit().await.unwrap();
    let done = wait_finished(&client, first, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    PROBE.open(second);
    let done = wait_finished(&client, second, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    worker.stop().await;
}

#[tokio::test]
async fn no_more_bodies_run_at_once_than_the_queue_has_slots() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, gated_registry(), fast_config(&[("default", 2)]));
    let mut runs = Vec::new();
    for _ in 0..5 {
        runs.push(started(&pool).await);
    }
    // Open the runs one at a time, as they start: at every point exactly two bodies run.
    let mut finished = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while finished < runs.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the runs did not start in turn"
        );
        let running: Vec<Uuid> = runs
            .iter()
            .copied()
            .filter(|r| PROBE.count(*r, "body_started") == 1 && PROBE.count(*r, "body_done") == 0)
            .collect();
        let expected = (runs.len() - finished).min(2);
        if running.len() < expected {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        assert_eq!(running.len(), expected, "bodies running: {running:?}");
        PROBE.open(running[0]);
        PROBE
            .wait_for(running[0], "body_done", 1, Duration::from_secs(10))
            .await;
        finished += 1;
    }
    for id in runs {
        let done = wait_finished(&client, id, Duration::from_secs(10)).await;
        assert_eq!(done.summary.status, RunStatus::Succeeded);
    }
    worker.stop().await;
}

fn prefetching(slots: usize, prefetch: usize) -> engine::WorkerConfig {
    engine::WorkerConfig {
        prefetch,
        ..fast_config(&[("default", slots)])
    }
}

#[tokio::test]
async fn prefetched_tasks_wait_for_the_slot_and_a_cancelled_one_cleans_up_in_it_without_starting() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, gated_registry(), prefetching(1, 2));
    let first = started(&pool).await;
    PROBE
        .wait_for(first, "body_started", 1, Duration::from_secs(10))
        .await;
    let (second, third) = (started(&pool).await, started(&pool).await);
    wait_for_task(&pool, second, "leased").await;
    wait_for_task(&pool, third, "leased").await;
    assert_eq!(PROBE.count(second, "body_started"), 0, "one slot, taken");
    assert_eq!(PROBE.count(third, "body_started"), 0);

    // The cancel reaches the queued attempt; its cleanup (workflow code) waits for a slot, in
    // line behind the second run, which was waiting first.
    client.cancel(third, "not needed").await.unwrap();
    PROBE.open(first);
    PROBE
        .wait_for(second, "body_started", 1, Duration::from_secs(10))
        .await;
    PROBE.open(second);
    let done = wait_finished(&client, third, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Cancelled);
    assert_eq!(PROBE.count(third, "body_started"), 0, "never started");
    for run in [first, second] {
        let done = wait_finished(&client, run, Duration::from_secs(10)).await;
        assert_eq!(done.summary.status, RunStatus::Succeeded);
    }
    worker.stop().await;
}

#[tokio::test]
async fn a_stopping_worker_hands_its_prefetched_tasks_back_without_starting_them() {
    let pool = fresh_pool().await;
    let worker = spawn_worker(&pool, gated_registry(), prefetching(1, 1));
    let first = started(&pool).await;
    PROBE
        .wait_for(first, "body_started", 1, Duration::from_secs(10))
        .await;
    let second = started(&pool).await;
    wait_for_task(&pool, second, "leased").await;

    worker.shutdown.cancel();
    // Handed back while the running body still holds the slot, within the soft stop's grace.
    wait_for_task(&pool, second, "ready").await;
    assert_eq!(
        PROBE.count(first, "body_done"),
        0,
        "the first body still runs"
    );
    assert_eq!(PROBE.count(second, "body_started"), 0);
    let cause: String = sqlx::query_scalar(
        "select detail->>'phase' from flow_events where run_id = $1 and kind = 'attempt_cancelled'",
    )
    .bind(second)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(cause, "queued");
    PROBE.open(first);
    worker.handle.await.unwrap().unwrap();
}

//! Panics and bad values outside step bodies end in a clear failure within a bound: they never
//! retry forever holding their slots, and never leave an attempt behind whose lease is renewed.

use std::{sync::atomic::AtomicBool, time::Duration};

use engine::{RetryPolicy, RunStatus, StartOptions, WorkerConfig};

use crate::{
    flows::{self, BadCleanupPolicy, Empty, PROBE, PanicOutside, SleepForever},
    support::*,
};

fn config() -> WorkerConfig {
    WorkerConfig {
        panic_policy: RetryPolicy {
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(20),
            max_attempts: 3,
            ..RetryPolicy::default()
        },
        ..fast_config(&[("default", 4)])
    }
}

fn registry() -> engine::Registry {
    flows::registry_with(|r| {
        r.register(PanicOutside).unwrap();
        r.register(SleepForever).unwrap();
        r.register(BadCleanupPolicy {
            armed: AtomicBool::new(false),
        })
        .unwrap();
    })
}

async fn keyed<W: engine::Workflow<Input = Empty>>(client: &engine::Client) -> uuid::Uuid {
    let options = StartOptions {
        concurrency: vec![("k".into(), 3)],
        ..Default::default()
    };
    client.start::<W>(&Empty {}, options).await.unwrap().id
}

#[tokio::test]
async fn a_workflow_that_always_panics_outside_a_step_fails_after_the_bound_and_frees_its_slot() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, registry(), config());
    let run = keyed::<PanicOutside>(&client).await;
    let done = wait_finished(&client, run, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(done.error.as_ref().unwrap()["code"], "panic");
    assert_eq!(
        PROBE.count(run, "body"),
        3,
        "the policy's three attempts, no more"
    );
    assert_eq!(PROBE.count(run, "cleanup_failed"), 1);
    let active: i32 = sqlx::query_scalar("select active from concurrency_keys where id = 'k'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(active, 0);
    worker.stop().await;
}

#[tokio::test]
async fn a_sleep_too_long_to_represent_fails_the_run_clearly_instead_of_panicking() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, registry(), config());
    let run = keyed::<SleepForever>(&client).await;
    let done = wait_finished(&client, run, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(done.error.as_ref().unwrap()["code"], "invalid_sleep");
    assert!(done.events.iter().all(|e| e.kind != "attempt_panicked"));
    worker.stop().await;
}

#[tokio::test]
async fn a_cleanup_policy_that_panics_still_ends_the_run_and_leaves_no_attempt_behind() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let metrics = std::sync::Arc::new(engine::Metrics::new());
    let worker = engine::Worker::new(pool.clone(), registry(), config(), metrics).unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let handle = tokio::spawn(worker.run(shutdown.clone()));
    let run = keyed::<BadCleanupPolicy>(&client).await;
    let done = wait_finished(&client, run, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(
        PROBE.count(run, "cleanup_failed"),
        1,
        "the cleanup ran under the default policy"
    );
    let leased: i64 =
        sqlx::query_scalar("select count(*) from workflow_tasks where state = 'leased'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(leased, 0);
    shutdown.cancel();
    handle.await.unwrap().unwrap();
}

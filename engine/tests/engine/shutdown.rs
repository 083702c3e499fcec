use std::time::Duration;

use engine::{RunStatus, StartOptions, WorkerConfig};

use crate::{
    flows::{self, BlockInput, Blocker, PROBE},
    support::*,
};

#[tokio::test]
async fn a_soft_stop_lets_a_running_step_finish() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let run = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: Some(500),
                tag: "s".into(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    PROBE
        .wait_for(run.id, "work_started", 1, Duration::from_secs(5))
        .await;
    worker.stop().await;
    let done = client.get_run(run.id).await.unwrap();
    assert_eq!(done.summary.status, RunStatus::Succeeded);
}

#[tokio::test]
async fn a_step_longer_than_the_grace_period_is_handed_back_at_once() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let config = WorkerConfig {
        shutdown_grace: Duration::from_millis(300),
        lease: Duration::from_secs(30),
        heartbeat: Duration::from_secs(10),
        ..fast_config(&[("default", 2)])
    };
    let worker = spawn_worker(&pool, flows::registry(), config);
    let run = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: Some(3000),
                tag: "g".into(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    PROBE
        .wait_for(run.id, "work_started", 1, Duration::from_secs(5))
        .await;
    worker.stop().await;
    let handed = client.get_run(run.id).await.unwrap();
    assert_eq!(
        handed.summary.status,
        RunStatus::Pending,
        "ready again, not leased"
    );
    let cancelled = handed
        .events
        .iter()
        .find(|e| e.kind == "attempt_cancelled")
        .expect("audited");
    assert_eq!(cancelled.detail["cause"], "shutdown");
    // A new worker takes it at once rather than after the 30 s lease.
    let next = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    PROBE
        .wait_for(run.id, "work_started", 2, Duration::from_secs(2))
        .await;
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    next.stop().await;
}

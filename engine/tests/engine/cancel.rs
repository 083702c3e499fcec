use std::time::Duration;

use engine::{RunStatus, StartOptions, TerminateOutcome};

use crate::{
    flows::{self, BlockInput, Blocker, PROBE, WaitInput, Waiter},
    support::*,
};

#[tokio::test]
async fn cancelling_a_running_run_stops_its_step_and_runs_its_cleanup() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let run = client
        .start::<Blocker>(
            &BlockInput {
                tag: "c".into(),
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    PROBE
        .wait_for(run.id, "work_started", 1, Duration::from_secs(5))
        .await;
    assert_eq!(
        client
            .cancel(run.id, "owner changed their mind")
            .await
            .unwrap(),
        TerminateOutcome::Terminating
    );
    let done = wait_finished(&client, run.id, Duration::from_secs(5)).await;
    assert_eq!(done.summary.status, RunStatus::Cancelled);
    assert_eq!(PROBE.count(run.id, "work_dropped"), 1);
    assert_eq!(PROBE.count(run.id, "cleanup_cancelled"), 1);
    assert_eq!(
        client.cancel(run.id, "again").await.unwrap(),
        TerminateOutcome::AlreadyEnded
    );
    worker.stop().await;
}

#[tokio::test]
async fn cancelling_a_waiting_run_runs_its_cleanup() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let run = client
        .start::<Waiter>(&WaitInput::default(), StartOptions::default())
        .await
        .unwrap();
    wait_until(&client, run.id, Duration::from_secs(5), |r| {
        r.summary.status == RunStatus::Waiting
    })
    .await;
    client.cancel(run.id, "stop").await.unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(5)).await;
    assert_eq!(done.summary.status, RunStatus::Cancelled);
    assert_eq!(PROBE.count(run.id, "cleanup_cancelled"), 1);
    assert_eq!(done.waits[0].outcome.as_deref(), Some("cancelled"));
    worker.stop().await;
}

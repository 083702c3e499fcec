use std::time::Duration;

use engine::{RunStatus, StartOptions};

use crate::{
    flows::{self, Empty, PROBE, Replay},
    support::*,
};

#[tokio::test]
async fn completed_steps_return_their_stored_output_on_replay_and_never_run_again() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    let run = client
        .start::<Replay>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(done.output, Some(serde_json::json!(42)));
    // The sleep released the claim and the run was replayed from the start: step a ran once.
    assert_eq!(PROBE.count(run.id, "a"), 1);
    assert_eq!(PROBE.count(run.id, "b"), 1);
    let names: Vec<_> = done.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a", "sleep", "b"]);
    let step_b = &done.steps[2];
    let step_sleep = &done.steps[1];
    assert!(
        step_b.finished_at - step_sleep.finished_at >= chrono::Duration::milliseconds(250),
        "{done:#?}"
    );
    // Finished work leaves the claim table.
    let tasks: i64 = sqlx::query_scalar("select count(*) from workflow_tasks")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(tasks, 0);
    worker.stop().await;
}

#[tokio::test]
async fn a_durable_sleep_survives_a_worker_restart() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    let run = client
        .start::<Replay>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    PROBE.wait_for(run.id, "a", 1, Duration::from_secs(5)).await;
    worker.stop().await;
    let sleeping = client.get_run(run.id).await.unwrap();
    assert_ne!(sleeping.summary.status, RunStatus::Succeeded);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 4)]));
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(PROBE.count(run.id, "a"), 1);
    worker.stop().await;
}

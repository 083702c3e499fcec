use std::time::Duration;

use engine::{RunStatus, StartOptions};

use crate::{
    flows::{self, Flaky, FlakyInput, PROBE},
    support::*,
};

#[tokio::test]
async fn a_retryable_failure_is_retried_with_backoff_and_the_attempt_count_is_durable() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let run = client
        .start::<Flaky>(
            &FlakyInput {
                fail_times: 2,
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(done.output, Some(serde_json::json!(3)));
    assert_eq!(done.steps[0].attempts, 3);
    let retries = done
        .events
        .iter()
        .filter(|e| e.kind == "step_retry_scheduled")
        .count();
    assert_eq!(retries, 2);
    worker.stop().await;
}

#[tokio::test]
async fn a_panicking_step_is_a_failed_attempt_not_a_dead_worker() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let input = FlakyInput {
        fail_times: 1,
        panic: true,
        ..Default::default()
    };
    let run = client
        .start::<Flaky>(&input, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    let retry = done
        .events
        .iter()
        .find(|e| e.kind == "step_retry_scheduled")
        .expect("retry event");
    assert!(
        retry.detail["error"]
            .as_str()
            .unwrap()
            .contains("panic: boom 1"),
        "{:?}",
        retry.detail
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_terminal_error_or_exhausted_attempts_fail_the_run_after_its_cleanup() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let terminal = client
        .start::<Flaky>(
            &FlakyInput {
                fail_times: 1,
                terminal: true,
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    let exhausted = client
        .start::<Flaky>(
            &FlakyInput {
                fail_times: 10,
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    for (id, attempts) in [(terminal.id, 1), (exhausted.id, 4)] {
        let done = wait_finished(&client, id, Duration::from_secs(10)).await;
        assert_eq!(done.summary.status, RunStatus::Failed);
        assert_eq!(done.error.as_ref().unwrap()["code"], "step_failed");
        assert_eq!(done.steps[0].status, "failed");
        assert_eq!(done.steps[0].attempts, attempts);
        assert_eq!(PROBE.count(id, "cleanup_failed"), 1);
    }
    worker.stop().await;
}

#[tokio::test]
async fn a_step_that_keeps_crashing_its_worker_is_stopped_after_the_bound() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let input = FlakyInput::default();
    let run = client
        .start::<Flaky>(
            &input,
            StartOptions {
                queue: Some("poison".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // A worker that does not serve the queue still rescues it; a ghost worker "claims and dies" each time.
    let rescuer = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 1)]));
    for _ in 0..4 {
        sqlx::query(
            "update workflow_tasks set state = 'leased', epoch = nextval('workflow_task_epochs'), worker = 'ghost', \
             lease_expires_at = now() - interval '1 second' where run_id = $1 and state = 'ready'",
        )
        .bind(run.id)
        .execute(&pool)
        .await
        .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let state: String =
                sqlx::query_scalar("select state from workflow_tasks where run_id = $1")
                    .bind(run.id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            if state == "ready" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "not rescued");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("poison", 1)]));
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(done.error.as_ref().unwrap()["code"], "crash_loop");
    assert_eq!(
        PROBE.count(run.id, "flaky"),
        0,
        "the poison step never ran again"
    );
    assert_eq!(PROBE.count(run.id, "cleanup_failed"), 1);
    assert_eq!(
        done.events
            .iter()
            .filter(|e| e.kind == "lease_rescued")
            .count(),
        4
    );
    worker.stop().await;
    rescuer.stop().await;
}

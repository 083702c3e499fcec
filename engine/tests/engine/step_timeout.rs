//! A step attempt longer than its policy's timeout is cancelled and retried; every attempt of a step
//! gets the same idempotency key. A step whose output cannot be stored fails by itself, clearly.

use std::time::Duration;

use engine::{RunStatus, StartOptions};

use crate::{
    flows::{self, Empty, Hang, KEYS, Nul, PROBE},
    support::*,
};

#[tokio::test]
async fn a_hung_step_is_cancelled_at_its_timeout_and_retried_with_the_same_idempotency_key() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Hang).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let run = client
        .start::<Hang>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(done.output, Some(serde_json::json!(2)));
    assert_eq!(
        PROBE.count(run.id, "hang_dropped"),
        1,
        "the hung attempt was stopped"
    );
    let retry = done
        .events
        .iter()
        .find(|e| e.kind == "step_retry_scheduled")
        .unwrap();
    assert_eq!(retry.detail["error"], "timed out after 200 ms");
    let keys = KEYS.lock().unwrap()[&run.id].clone();
    assert_eq!(keys, [format!("{}:0", run.id), format!("{}:0", run.id)]);
    worker.stop().await;
}

#[tokio::test]
async fn a_step_output_postgres_cannot_store_fails_that_step_clearly() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Nul).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let run = client
        .start::<Nul>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(done.steps.len(), 1);
    assert_eq!(done.steps[0].status, "failed");
    let message = done.steps[0].error.as_ref().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("its output cannot be stored"), "{message}");
    assert_eq!(done.steps[0].attempts, 1, "a terminal failure, not retried");
    worker.stop().await;
}

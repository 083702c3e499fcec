use std::time::Duration;

use engine::{RunStatus, SignalOutcome, StartOptions};
use serde_json::json;

use crate::{
    flows::{self, BlockInput, Blocker, PROBE, WaitInput, Waiter},
    support::*,
};

#[tokio::test]
async fn a_signal_sent_before_the_wait_begins_is_kept_and_delivered() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let run = client
        .start::<Waiter>(&WaitInput::default(), StartOptions::default())
        .await
        .unwrap();
    let sent = client
        .signal(run.id, "go", json!("early"), None)
        .await
        .unwrap();
    assert_eq!(sent, SignalOutcome::Stored);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.output, Some(json!(["early"])));
    worker.stop().await;
}

#[tokio::test]
async fn a_signal_sent_during_the_wait_wakes_the_run_and_a_waiting_run_holds_no_slot() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    // One slot: if the waiting run held it, the second run could not proceed.
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 1)]));
    let run = client
        .start::<Waiter>(&WaitInput::default(), StartOptions::default())
        .await
        .unwrap();
    wait_until(&client, run.id, Duration::from_secs(10), |r| {
        r.summary.status == RunStatus::Waiting
    })
    .await;
    let other = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: Some(1),
                tag: "x".into(),
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    let other_done = wait_finished(&client, other.id, Duration::from_secs(10)).await;
    assert_eq!(other_done.summary.status, RunStatus::Succeeded);
    let active: i64 = sqlx::query_scalar(
        "select count(*) from pg_stat_activity where state = 'idle in transaction'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(active, 0, "a waiting run holds no transaction");
    assert_eq!(
        client
            .signal(run.id, "go", json!("late"), None)
            .await
            .unwrap(),
        SignalOutcome::Woke
    );
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.output, Some(json!(["late"])));
    assert_eq!(PROBE.count(run.id, "prepare"), 1);
    let kinds: Vec<_> = done.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"waiting") && kinds.contains(&"signal_received"),
        "{kinds:?}"
    );
    assert_eq!(done.waits.len(), 1);
    assert_eq!(done.waits[0].outcome.as_deref(), Some("signalled"));
    worker.stop().await;
}

#[tokio::test]
async fn each_signal_is_delivered_to_exactly_one_wait() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let run = client
        .start::<Waiter>(
            &WaitInput {
                waits: 2,
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    client
        .signal(run.id, "go", json!("one"), Some("k1"))
        .await
        .unwrap();
    assert_eq!(
        client
            .signal(run.id, "go", json!("one again"), Some("k1"))
            .await
            .unwrap(),
        SignalOutcome::Duplicate
    );
    // The first wait consumes "one"; the second keeps waiting for a second signal.
    wait_until(&client, run.id, Duration::from_secs(10), |r| {
        r.waits.len() == 1 && r.summary.status == RunStatus::Waiting
    })
    .await;
    client
        .signal(run.id, "go", json!("two"), Some("k2"))
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.output, Some(json!(["one", "two"])));
    let consumed: i64 = sqlx::query_scalar(
        "select count(*) from workflow_signals where run_id = $1 and consumed_at is not null",
    )
    .bind(run.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(consumed, 2);
    assert_eq!(
        client
            .signal(run.id, "go", json!("after"), None)
            .await
            .unwrap(),
        SignalOutcome::RunFinished
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_wait_with_a_timeout_ends_at_its_deadline() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let input = WaitInput {
        timeout_ms: Some(300),
        ..Default::default()
    };
    let run = client
        .start::<Waiter>(&input, StartOptions::default())
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.output, Some(json!([null])));
    assert_eq!(done.waits[0].outcome.as_deref(), Some("deadline"));
    worker.stop().await;
}

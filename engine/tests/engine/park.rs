//! Parking: a run whose replay diverges from its journal, whose kind no worker knows, or whose code
//! is newer than the worker's is parked (visible, counted, with an event naming what differs)
//! instead of failing or diverging; an operator retries it once the code is fixed.

use std::time::Duration;

use engine::{RetryOutcome, RunStatus, StartOptions, WorkerConfig};
use serde_json::json;

use crate::{
    flows::{self, After, Before, Empty, Longer, Shorter, Versioned, VersionedOld},
    support::*,
};

fn parked(run: &engine::RunDetail) -> bool {
    run.summary.status == RunStatus::Parked
}

#[tokio::test]
async fn a_replay_that_diverges_from_the_journal_parks_the_run_until_the_code_is_fixed() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let old = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Before).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let run = client
        .start::<Before>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    wait_until(&client, run.id, Duration::from_secs(10), |r| {
        r.summary.status == RunStatus::Waiting
    })
    .await;
    old.stop().await;

    // A bad deploy: the new code asks for step "b" where the journal holds "a".
    let bad = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(After).unwrap()),
        fast_config(&[("default", 2)]),
    );
    client.signal(run.id, "go", json!("!"), None).await.unwrap();
    let detail = wait_until(&client, run.id, Duration::from_secs(10), parked).await;
    let why = detail.parked.clone().unwrap();
    assert_eq!(why["code"], "nondeterministic");
    assert_eq!(why["position"], 0);
    assert_eq!(why["expected"], "step \"b\"");
    assert_eq!(why["found"], json!({"kind": "step", "name": "a"}));
    assert!(
        detail
            .events
            .iter()
            .any(|e| e.kind == "parked" && e.detail["position"] == 0)
    );
    assert_eq!(detail.output, None, "not failed, not diverged");
    bad.stop().await;

    // The fix is deployed; the operator retries; the run resumes from its journal.
    let fixed = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Before).unwrap()),
        fast_config(&[("default", 2)]),
    );
    assert_eq!(client.retry(run.id).await.unwrap(), RetryOutcome::Resumed);
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(
        done.output,
        Some(json!("a!")),
        "the signal sent before the park was kept"
    );
    fixed.stop().await;
}

#[tokio::test]
async fn history_left_over_after_the_workflow_returns_parks_the_run() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let old = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Longer).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let run = client
        .start::<Longer>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    wait_until(&client, run.id, Duration::from_secs(10), |r| {
        r.summary.status == RunStatus::Waiting
    })
    .await;
    old.stop().await;
    let new = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Shorter).unwrap()),
        fast_config(&[("default", 2)]),
    );
    client.signal(run.id, "go", json!(1), None).await.unwrap();
    let detail = wait_until(&client, run.id, Duration::from_secs(10), parked).await;
    let why = detail.parked.unwrap();
    assert_eq!(
        (why["position"].clone(), why["found"]["name"].clone()),
        (json!(1), json!("b"))
    );
    assert_eq!(why["expected"], "the workflow returned");
    new.stop().await;
}

#[tokio::test]
async fn a_run_of_an_unknown_kind_is_parked_after_the_bound_without_an_event_per_try_and_unparked_by_a_worker_that_knows_it()
 {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let config = WorkerConfig {
        max_skips: 2,
        ..fast_config(&[("default", 2)])
    };
    let ignorant = spawn_worker(&pool, flows::registry(), config);
    let run = client
        .start::<Versioned>(
            &Empty {},
            StartOptions {
                concurrency: vec![("k".into(), 1)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The first hand-back delays it 30 s; let the second offer come at once.
    let skipped_once = || async {
        sqlx::query_scalar::<_, i32>("select skips from workflow_tasks where run_id = $1")
            .bind(run.id)
            .fetch_optional(&pool)
            .await
            .unwrap()
            == Some(1)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !skipped_once().await {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("update workflow_tasks set run_at = now(), state = 'ready' where run_id = $1")
        .bind(run.id)
        .execute(&pool)
        .await
        .unwrap();
    let detail = wait_until(&client, run.id, Duration::from_secs(10), parked).await;
    assert_eq!(detail.parked.unwrap()["code"], "unknown_kind");
    let events: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(events.iter().filter(|k| **k == "parked").count(), 1);
    assert!(
        !events.contains(&"attempt_skipped"),
        "no event per hand-back: {events:?}"
    );
    let active: i32 = sqlx::query_scalar("select active from concurrency_keys where id = 'k'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(active, 0, "a parked run holds no slot");
    ignorant.stop().await;

    // A worker that knows the kind at the run's version unparks it by itself and runs it.
    let knowing = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Versioned).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    assert_eq!(done.code_version, 2);
    assert!(
        done.events
            .iter()
            .any(|e| e.kind == "unparked" && e.detail["reason"] == "kind_known")
    );
    knowing.stop().await;
}

#[tokio::test]
async fn a_worker_never_replays_a_run_started_by_newer_code() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let run = client
        .start::<Versioned>(&Empty {}, StartOptions::default())
        .await
        .unwrap();
    let config = WorkerConfig {
        max_skips: 1,
        ..fast_config(&[("default", 2)])
    };
    let old = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(VersionedOld).unwrap()),
        config,
    );
    let detail = wait_until(&client, run.id, Duration::from_secs(10), parked).await;
    let why = detail.parked.unwrap();
    assert_eq!(why["code"], "code_version_ahead");
    assert_eq!(
        (why["run_version"].clone(), why["worker_version"].clone()),
        (json!(2), json!(1))
    );
    old.stop().await;
    let new = spawn_worker(
        &pool,
        flows::registry_with(|r| r.register(Versioned).unwrap()),
        fast_config(&[("default", 2)]),
    );
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    assert_eq!(
        done.output,
        Some(json!(2)),
        "run by code of its own version, never older"
    );
    new.stop().await;
}

use std::time::Duration;

use engine::{RunStatus, StartOptions};
use serde_json::json;

use crate::{
    flows::{self, BlockInput, Blocker, PROBE, WaitInput, Waiter},
    support::*,
};

#[tokio::test]
async fn a_pausing_wait_stops_the_budget_so_a_3s_wait_fits_a_2s_budget() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let opts = StartOptions {
        budget: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let run = client
        .start::<Waiter>(
            &WaitInput {
                pausing: true,
                ..Default::default()
            },
            opts,
        )
        .await
        .unwrap();
    wait_until(&client, run.id, Duration::from_secs(5), |r| {
        r.summary.status == RunStatus::Waiting
    })
    .await;
    let paused = client.get_run(run.id).await.unwrap();
    assert!(
        paused.deadline_at.is_none(),
        "the clock is stopped while waiting"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    client
        .signal(run.id, "go", json!("answer"), None)
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert!(done.waits[0].paused_ms.unwrap() >= 2900, "{:?}", done.waits);
    assert!(
        done.budget_spent_ms.unwrap() < 2000,
        "spent {:?}",
        done.budget_spent_ms
    );
    let kinds: Vec<_> = done.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"timer_paused") && kinds.contains(&"timer_resumed"),
        "{kinds:?}"
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_spent_budget_times_the_run_out_stops_its_step_and_runs_its_cleanup() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    // Long enough for the step to start on a loaded machine (the budget runs from admission, and
    // a run timed out before its step began would test nothing); the step would sleep 60 s.
    let opts = StartOptions {
        budget: Some(Duration::from_secs(3)),
        ..Default::default()
    };
    let run = client
        .start::<Blocker>(
            &BlockInput {
                sleep_ms: Some(60_000),
                tag: "t".into(),
            },
            opts,
        )
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(15)).await;
    assert_eq!(done.summary.status, RunStatus::TimedOut);
    assert_eq!(
        PROBE.count(run.id, "work_started"),
        1,
        "the step started within the budget"
    );
    // The step (a 60 s sleep) is stopped: its future is dropped, possibly just after the run's
    // end is committed, so the test waits for the drop (bounded) instead of reading it at once.
    PROBE
        .wait_for(run.id, "work_dropped", 1, Duration::from_secs(10))
        .await;
    assert_eq!(PROBE.count(run.id, "work_dropped"), 1);
    assert_eq!(PROBE.count(run.id, "cleanup_timed_out"), 1);
    assert!(done.events.iter().any(|e| e.kind == "timed_out"));
    worker.stop().await;
}

#[tokio::test]
async fn a_non_pausing_wait_keeps_spending_the_budget() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    // Long enough for the wait to begin on a loaded machine (the budget runs from admission).
    let opts = StartOptions {
        budget: Some(Duration::from_secs(3)),
        ..Default::default()
    };
    let run = client
        .start::<Waiter>(&WaitInput::default(), opts)
        .await
        .unwrap();
    let done = wait_finished(&client, run.id, Duration::from_secs(15)).await;
    assert_eq!(done.summary.status, RunStatus::TimedOut);
    assert_eq!(PROBE.count(run.id, "cleanup_timed_out"), 1);
    assert_eq!(done.waits[0].outcome.as_deref(), Some("cancelled"));
    worker.stop().await;
}

#[tokio::test]
async fn a_delayed_start_whose_delay_is_longer_than_its_budget_runs_and_succeeds() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    let opts = StartOptions {
        run_at: Some(chrono::Utc::now() + chrono::Duration::milliseconds(1500)),
        budget: Some(Duration::from_millis(1000)),
        ..Default::default()
    };
    let run = client
        .start::<crate::flows::Double>(&crate::flows::Num { n: 5 }, opts)
        .await
        .unwrap();
    assert_eq!(task_state(&pool, run.id).await, "scheduled");
    let done = wait_finished(&client, run.id, Duration::from_secs(10)).await;
    assert_eq!(
        done.summary.status,
        RunStatus::Succeeded,
        "the budget starts when the run can run"
    );
    assert_eq!(done.output, Some(json!(10)));
    worker.stop().await;
}

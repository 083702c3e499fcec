use std::time::Duration;

use engine::{RunStatus, StartOptions, TerminateOutcome};

use crate::{
    flows::{self, BlockInput, Blocker, PROBE},
    support::*,
};

fn keyed(key: &str, limit: i32) -> StartOptions {
    StartOptions {
        concurrency: vec![(key.into(), limit)],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_saturated_key_admits_one_run_at_a_time_and_never_delays_other_keys() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 8)]));
    let gated = BlockInput {
        tag: "k".into(),
        ..Default::default()
    };
    let mut keyed_runs = Vec::new();
    for _ in 0..3 {
        keyed_runs.push(
            client
                .start::<Blocker>(&gated, keyed("issue-1", 1))
                .await
                .unwrap()
                .id,
        );
    }
    PROBE
        .wait_for(keyed_runs[0], "work_started", 1, Duration::from_secs(5))
        .await;
    // Runs of other keys (and of none) go through while issue-1 is saturated.
    let quick = BlockInput {
        sleep_ms: Some(1),
        tag: "q".into(),
    };
    let mut others = Vec::new();
    for i in 0..5 {
        let opts = if i % 2 == 0 {
            keyed(&format!("issue-{}", i + 10), 1)
        } else {
            StartOptions::default()
        };
        others.push(client.start::<Blocker>(&quick, opts).await.unwrap().id);
    }
    for id in &others {
        assert_eq!(
            wait_finished(&client, *id, Duration::from_secs(5))
                .await
                .summary
                .status,
            RunStatus::Succeeded
        );
    }
    assert_eq!(PROBE.count(keyed_runs[1], "work_started"), 0);
    assert_eq!(PROBE.count(keyed_runs[2], "work_started"), 0);
    // Releasing the holder admits the next one, in order, one at a time.
    PROBE.open(keyed_runs[0]);
    PROBE
        .wait_for(keyed_runs[1], "work_started", 1, Duration::from_secs(5))
        .await;
    assert_eq!(PROBE.count(keyed_runs[2], "work_started"), 0);
    // Cancelling a run that was never admitted ends it at once, without cleanup.
    assert_eq!(
        client.cancel(keyed_runs[2], "not needed").await.unwrap(),
        TerminateOutcome::Finished
    );
    PROBE.open(keyed_runs[1]);
    wait_finished(&client, keyed_runs[1], Duration::from_secs(5)).await;
    let active: i32 =
        sqlx::query_scalar("select active from concurrency_keys where id = 'issue-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(active, 0, "every slot is given back");
    worker.stop().await;
}

#[tokio::test]
async fn a_key_with_limit_two_runs_two_at_once() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 8)]));
    let gated = BlockInput {
        tag: "p".into(),
        ..Default::default()
    };
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(
            client
                .start::<Blocker>(&gated, keyed("project-a", 2))
                .await
                .unwrap()
                .id,
        );
    }
    PROBE
        .wait_for(runs[0], "work_started", 1, Duration::from_secs(5))
        .await;
    PROBE
        .wait_for(runs[1], "work_started", 1, Duration::from_secs(5))
        .await;
    assert_eq!(
        task_state(&pool, runs[2]).await,
        "blocked",
        "the third waits for a slot"
    );
    PROBE.open(runs[0]);
    PROBE
        .wait_for(runs[2], "work_started", 1, Duration::from_secs(5))
        .await;
    PROBE.open(runs[1]);
    PROBE.open(runs[2]);
    for id in runs {
        wait_finished(&client, id, Duration::from_secs(5)).await;
    }
    worker.stop().await;
}

#[tokio::test]
async fn a_run_with_two_keys_waits_for_both_and_frees_both() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let worker = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 8)]));
    let gated = BlockInput {
        tag: "two".into(),
        ..Default::default()
    };
    let both = |issue: &str| StartOptions {
        concurrency: vec![(format!("issue:{issue}"), 1), ("project:p".into(), 2)],
        ..Default::default()
    };
    // Two issues fill the project's two slots; a third issue waits for the project,
    // and a second run of issue 1 waits for its issue although the project frees up first.
    let a = client.start::<Blocker>(&gated, both("1")).await.unwrap().id;
    let b = client.start::<Blocker>(&gated, both("2")).await.unwrap().id;
    let c = client.start::<Blocker>(&gated, both("3")).await.unwrap().id;
    let a2 = client.start::<Blocker>(&gated, both("1")).await.unwrap().id;
    PROBE
        .wait_for(a, "work_started", 1, Duration::from_secs(5))
        .await;
    PROBE
        .wait_for(b, "work_started", 1, Duration::from_secs(5))
        .await;
    assert_eq!(task_state(&pool, c).await, "blocked", "the project is full");
    assert_eq!(task_state(&pool, a2).await, "blocked", "issue 1 is taken");
    PROBE.open(b); // frees project and issue 2: c (issue 3) is admitted, a2 still waits for issue 1
    PROBE
        .wait_for(c, "work_started", 1, Duration::from_secs(5))
        .await;
    assert_eq!(
        task_state(&pool, a2).await,
        "blocked",
        "issue 1 is still taken"
    );
    PROBE.open(a); // frees issue 1 and a project slot: a2 is admitted
    PROBE
        .wait_for(a2, "work_started", 1, Duration::from_secs(5))
        .await;
    PROBE.open(c);
    PROBE.open(a2);
    for id in [a, b, c, a2] {
        assert_eq!(
            wait_finished(&client, id, Duration::from_secs(5))
                .await
                .summary
                .status,
            RunStatus::Succeeded
        );
    }
    let active: i64 =
        sqlx::query_scalar("select coalesce(sum(active), 0)::bigint from concurrency_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(active, 0);
    worker.stop().await;
}

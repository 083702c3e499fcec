//! Inspection and metrics tell the truth: `pending` and `running` are told apart, queue gauges fall
//! to zero when a queue drains, and a worker reports only the queues it serves.

use std::{sync::Arc, time::Duration};

use engine::{Metrics, RunFilter, RunStatus, StartOptions, Worker};
use tokio_util::sync::CancellationToken;

use crate::{
    flows::{self, BlockInput, Blocker, Double, Num, PROBE},
    support::*,
};

fn gauge(metrics: &Metrics, name: &str, queue: &str) -> Option<f64> {
    let prefix = format!("codex_k8s_{name}{{queue=\"{queue}\"}} ");
    metrics
        .encode()
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.parse().ok()))
}

async fn metric_becomes(metrics: &Metrics, name: &str, queue: &str, want: f64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while gauge(metrics, name, queue) != Some(want) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name}{{queue={queue}}} never became {want}: {:?}",
            gauge(metrics, name, queue)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_pending_filter_returns_no_running_run_and_gauges_drain_to_zero_for_served_queues_only()
{
    let pool = fresh_pool().await;
    let client = client(&pool);
    let in_a = StartOptions {
        queue: Some("a".into()),
        ..Default::default()
    };
    let mut blockers = Vec::new();
    for i in 0..3 {
        let input = BlockInput {
            sleep_ms: None,
            tag: format!("b{i}"),
        };
        blockers.push(
            client
                .start::<Blocker>(&input, in_a.clone())
                .await
                .unwrap()
                .id,
        );
    }
    let elsewhere = client
        .start::<Double>(
            &Num { n: 1 },
            StartOptions {
                queue: Some("b".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let metrics = Arc::new(Metrics::new());
    let worker = Worker::new(
        pool.clone(),
        flows::registry(),
        fast_config(&[("a", 1)]),
        metrics.clone(),
    )
    .unwrap();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(worker.run(shutdown.clone()));

    let running = loop {
        if let Some(id) = blockers
            .iter()
            .find(|id| PROBE.count(**id, "work_started") == 1)
        {
            break *id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let list = |status| {
        let client = client.clone();
        async move {
            let filter = RunFilter {
                status: Some(status),
                ..Default::default()
            };
            client
                .list_runs(&filter)
                .await
                .unwrap()
                .runs
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    let pending = list(RunStatus::Pending).await;
    assert!(!pending.contains(&running), "a running run is not pending");
    assert_eq!(
        pending.len(),
        3,
        "two queued blockers and the run of queue b"
    );
    assert_eq!(list(RunStatus::Running).await, [running]);
    metric_becomes(&metrics, "queue_depth", "a", 2.0).await;
    assert_eq!(
        gauge(&metrics, "queue_depth", "b"),
        None,
        "queue b is not served here"
    );

    for id in &blockers {
        PROBE.open(*id);
    }
    for id in &blockers {
        loop {
            PROBE.open(*id);
            if client
                .get_run(*id)
                .await
                .unwrap()
                .summary
                .status
                .is_terminal()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    metric_becomes(&metrics, "queue_depth", "a", 0.0).await;
    metric_becomes(&metrics, "queue_oldest_ready_age_seconds", "a", 0.0).await;
    assert_eq!(
        client.get_run(elsewhere.id).await.unwrap().summary.status,
        RunStatus::Pending
    );
    shutdown.cancel();
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_backlog_counts_due_and_leased_tasks_of_the_given_queues_only() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    let on = |queue: &str| StartOptions {
        queue: Some(queue.into()),
        ..Default::default()
    };
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(
            client
                .start::<Double>(&Num { n }, on("a"))
                .await
                .unwrap()
                .id,
        );
    }
    client
        .start::<Double>(&Num { n: 9 }, on("other"))
        .await
        .unwrap();
    let later = StartOptions {
        run_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        ..on("a")
    };
    client.start::<Double>(&Num { n: 10 }, later).await.unwrap();
    // One task held by a worker, one waiting for a minute: as a claim and time would leave them.
    sqlx::query(
        "update workflow_tasks set state = 'leased', epoch = 1, lease_expires_at = now() + interval '1 hour' where run_id = $1",
    )
    .bind(ids[0])
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "update workflow_tasks set run_at = now() - interval '60 seconds' where run_id = $1",
    )
    .bind(ids[1])
    .execute(&pool)
    .await
    .unwrap();

    let backlog = client.backlog(&["a".into()]).await.unwrap();
    assert_eq!((backlog.due, backlog.leased), (2, 1), "{backlog:?}");
    assert!(backlog.oldest_due_age_s >= 60.0, "{backlog:?}");
    let none = client.backlog(&["empty".into()]).await.unwrap();
    assert_eq!((none.due, none.leased, none.oldest_due_age_s), (0, 0, 0.0));
}

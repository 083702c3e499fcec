//! One clock: a worker whose process clock runs an hour ahead of the database still sleeps, times
//! out and records instants by the database's clock, and its claimer does not spin.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use engine::{Clock, Metrics, RunStatus, StartOptions, Worker, WorkerConfig};
use tokio_util::sync::CancellationToken;

use crate::{
    flows::{self, Empty, Sleeper},
    support::*,
};

#[derive(Debug)]
struct Ahead(chrono::Duration);

impl Clock for Ahead {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

fn claim_polls(metrics: &Metrics) -> u64 {
    metrics
        .encode()
        .lines()
        .find(|l| l.starts_with("codex_k8s_claim_polls_total{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_process_clock_an_hour_ahead_changes_no_persisted_instant_and_does_not_spin_the_claimer()
{
    let pool = fresh_pool().await;
    let client = client(&pool);
    let metrics = Arc::new(Metrics::new());
    let config = WorkerConfig {
        clock: Arc::new(Ahead(chrono::Duration::hours(1))),
        ..fast_config(&[("default", 2)])
    };
    let registry = flows::registry_with(|r| r.register(Sleeper).unwrap());
    let worker = Worker::new(pool.clone(), registry, config, metrics.clone()).unwrap();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(worker.run(shutdown.clone()));

    let run = client
        .start::<Sleeper>(
            &Empty {},
            StartOptions {
                budget: Some(Duration::from_secs(60)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let polls_before = claim_polls(&metrics);
    let done = wait_finished(&client, run.id, Duration::from_secs(20)).await;
    let polls = claim_polls(&metrics) - polls_before;
    assert_eq!(
        done.summary.status,
        RunStatus::Succeeded,
        "not timed out by the fast clock"
    );
    let db_now: DateTime<Utc> = sqlx::query_scalar("select now()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let recorded: DateTime<Utc> = serde_json::from_value(done.output.clone().unwrap()).unwrap();
    assert!(
        (recorded - db_now).num_minutes().abs() < 5,
        "ctx.now() is the database's time, not the process's: {recorded} vs {db_now}"
    );
    let wake_at: DateTime<Utc> =
        serde_json::from_value(done.steps[0].output.clone().unwrap()["wake_at"].clone()).unwrap();
    assert!(
        (wake_at - done.steps[0].finished_at).num_seconds().abs() < 5,
        "the sleep's wake-up is computed by the database: {wake_at}"
    );
    assert!(
        polls < 200,
        "an idle claimer polls, it does not spin: {polls} claim queries"
    );
    shutdown.cancel();
    handle.await.unwrap().unwrap();
}

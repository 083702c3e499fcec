use std::time::Duration;

use engine::{RunStatus, StartOptions, WorkerConfig};

use crate::{
    flows::{self, BlockInput, Blocker, PROBE},
    support::*,
};

#[tokio::test]
async fn a_stale_attempt_cannot_overwrite_a_rescued_run() {
    let pool = fresh_pool().await;
    let client = client(&pool);
    // Worker A renews rarely, like a paused or partitioned process, so it does not notice.
    let slow = WorkerConfig {
        lease: std::time::Duration::from_secs(30),
        heartbeat: Duration::from_secs(29),
        ..fast_config(&[("default", 2)])
    };
    let a = spawn_worker(&pool, flows::registry(), slow);
    let run = client
        .start::<Blocker>(
            &BlockInput {
                tag: "A".into(),
                ..Default::default()
            },
            StartOptions::default(),
        )
        .await
        .unwrap();
    PROBE
        .wait_for(run.id, "work_started", 1, Duration::from_secs(5))
        .await;
    // A's lease expires; worker B rescues the run and completes it with the second attempt.
    sqlx::query("update workflow_tasks set lease_expires_at = now() - interval '1 second' where run_id = $1")
        .bind(run.id)
        .execute(&pool)
        .await
        .unwrap();
    let b = spawn_worker(&pool, flows::registry(), fast_config(&[("default", 2)]));
    PROBE
        .wait_for(run.id, "work_started", 2, Duration::from_secs(5))
        .await;
    PROBE.open(run.id); // one of the two waiting attempts proceeds...
    PROBE.open(run.id); // ...and then the other
    PROBE
        .wait_for(run.id, "work_done", 2, Duration::from_secs(5))
        .await;
    let done = wait_finished(&client, run.id, Duration::from_secs(5)).await;
    // Both workers stop only once their attempts are over, the stale one's refused writes included.
    a.stop().await;
    b.stop().await;
    let after = client.get_run(run.id).await.unwrap();
    assert_eq!(after.summary.status, RunStatus::Succeeded);
    assert_eq!(after.output, done.output);
    assert_eq!(after.steps.len(), 1, "exactly one committed output");
    assert_eq!(
        after.steps[0].output, after.output,
        "the step output is the winner's"
    );
    let rows: i64 = sqlx::query_scalar("select count(*) from workflow_steps where run_id = $1")
        .bind(run.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    assert!(after.events.iter().any(|e| e.kind == "lease_rescued"));
}

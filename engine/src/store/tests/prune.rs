//! Retention: finished runs older than the cut are deleted with their journal, waits, signals and
//! events, in bounded batches; live runs and recent runs stay; run-less events are pruned by age.

use serde_json::json;

use super::*;
use crate::store::{flow_event, signal};

async fn finished_run(pool: &PgPool) -> Uuid {
    let run_id = start_plain(pool).await;
    let c = claim(pool).await;
    write_steps(pool, &[step_write(run_id, c.epoch, 0)])
        .await
        .unwrap();
    signal::send(pool, run_id, "x", &json!(1), None)
        .await
        .unwrap();
    finish(pool, &c, "succeeded").await;
    run_id
}

#[tokio::test]
async fn old_finished_runs_go_with_everything_of_theirs_in_batches_and_nothing_else_does() {
    let pool = pool().await;
    let old: Vec<Uuid> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(finished_run(&pool).await);
        }
        v
    };
    sqlx::query(
        "update workflow_runs set created_at = now() - interval '41 days',
             finished_at = now() - interval '40 days' where id = any($1)",
    )
    .bind(&old)
    .execute(&pool)
    .await
    .unwrap();
    let recent = finished_run(&pool).await;
    // Started long ago, finished within the retention: it stays, and so does an old live run.
    let long_lived = finished_run(&pool).await;
    let old_live = start_plain(&pool).await;
    sqlx::query(
        "update workflow_runs set created_at = now() - interval '41 days' where id = any($1)",
    )
    .bind(vec![long_lived, old_live])
    .execute(&pool)
    .await
    .unwrap();
    let live = start_plain(&pool).await;
    sqlx::query("insert into flow_events (kind, created_at) values ('slot_drift', now() - interval '40 days'), ('slot_drift', now())")
        .execute(&pool)
        .await
        .unwrap();
    let cut = Utc::now() - chrono::Duration::days(30);
    assert_eq!(
        run::prune_finished(&pool, cut, 2).await.unwrap(),
        2,
        "bounded batch"
    );
    assert_eq!(run::prune_finished(&pool, cut, 2).await.unwrap(), 1);
    assert_eq!(run::prune_finished(&pool, cut, 2).await.unwrap(), 0);
    assert_eq!(flow_event::prune_orphans(&pool, cut, 10).await.unwrap(), 1);
    for table in ["workflow_steps", "workflow_signals", "flow_events"] {
        let left: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from {table} where run_id = any($1)"
        )))
        .bind(&old)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let runs: Vec<Uuid> = sqlx::query_scalar("select id from workflow_runs order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut kept = vec![recent, long_lived, old_live, live];
    kept.sort();
    assert_eq!(runs, kept);
    assert_eq!(orphan_events(&pool, "slot_drift").await.len(), 1);
}

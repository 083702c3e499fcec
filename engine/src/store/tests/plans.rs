//! The hot statements' plans stay per key when the tables are analyzed and the batch is large:
//! the cost of a claim or a flush follows its batch, never the size of the tables.

use super::*;

const CLAIM: &str = include_str!("../../../queries/workflow_tasks/claim_available.sql");
const FLUSH: &str = include_str!("../../../queries/completer/flush.sql");

/// Loads `n` ready runs of queue "q" in one statement and analyzes the tables.
async fn load_analyzed(pool: &PgPool, n: i32) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "with r as (
             insert into workflow_runs (id, kind, queue, input)
             select gen_random_uuid(), 'k', 'q', 'null' from generate_series(1, {n})
             returning id)
         insert into workflow_tasks (run_id, queue, priority, state) select id, 'q', 0, 'ready' from r;
         analyze workflow_runs, workflow_tasks;"
    )))
    .execute(pool)
    .await
    .unwrap();
}

/// Starts `n` plain runs of queue "q", one transaction each (as clients do).
async fn start_plain_runs(pool: &PgPool, n: usize) {
    for _ in 0..n {
        start_plain(pool).await;
    }
}

/// How many heap pages hold the rows of `table` now.
async fn pages_of(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(distinct (ctid::text::point)[0])::bigint from {table}"
    )))
    .fetch_one(pool)
    .await
    .unwrap()
}

fn plan_of(rows: Vec<sqlx::postgres::PgRow>) -> String {
    use sqlx::Row;
    rows.iter()
        .map(|r| r.get::<String, _>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_large_claim_on_analyzed_tables_reads_by_key_not_by_scanning_the_tables() {
    let pool = pool().await;
    load_analyzed(&pool, 5000).await;
    let mut tx = pool.begin().await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("explain {CLAIM}")))
        .bind("q")
        .bind(500_i64)
        .bind("w")
        .bind(30.0_f64)
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let plan = plan.join("\n");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}

#[tokio::test]
async fn the_prepared_flush_locks_its_tasks_by_key_however_many_are_leased() {
    let pool = pool().await;
    load_analyzed(&pool, 5000).await;
    // Many leased tasks (a prefetching worker's), then the plan a prepared flush settles on.
    claim_all(&pool, 1000).await;
    let plan = plan_of(
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "explain (generic_plan) {FLUSH}"
        )))
        .fetch_all(&pool)
        .await
        .unwrap(),
    );
    assert!(!plan.contains("Seq Scan"), "{plan}");
    assert!(!plan.contains("workflow_tasks_leased"), "{plan}");
}

/// A run that succeeds finishes in place: the flush's update of its run row is HOT, because no
/// btree index names a column that a successful finish changes (ADR 0030), and because each page
/// of new runs has room for a new version of nearly every row on it (ADR 0032). 200 runs fill
/// several pages and finish in one transaction, so nothing on a page can be pruned first and a
/// finished row is a little longer than a new one: 184 of 200 are HOT at half a page free, 90 at a
/// fifth free.
#[tokio::test]
async fn a_successful_finish_rewrites_the_run_row_in_place() {
    const RUNS: usize = 200;
    let pool = pool().await;
    start_plain_runs(&pool, RUNS).await;
    let claimed = claim_all(&pool, 500).await;
    assert_eq!(claimed.len(), RUNS);
    let completions: Vec<_> = claimed.iter().map(|c| completion(c, "succeeded")).collect();
    let completions: Vec<_> = completions.iter().collect();
    let mut tx = pool.begin().await.unwrap();
    let flushed = crate::store::flush::write(&mut *tx, &[], &completions)
        .await
        .unwrap();
    assert_eq!(flushed.completed.len(), RUNS);
    // This transaction's own counts, before they reach the shared statistics.
    let (updated, hot): (i64, i64) = sqlx::query_as(
        "select pg_stat_get_xact_tuples_updated('workflow_runs'::regclass),
                pg_stat_get_xact_tuples_hot_updated('workflow_runs'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(updated, RUNS as i64, "run rows updated");
    assert!(
        hot >= RUNS as i64 * 9 / 10,
        "{hot} of {RUNS} run rows were updated in place"
    );
    let pages = pages_of(&pool, "workflow_runs").await;
    assert!(pages > 2, "the runs span {pages} pages");
}

/// A claim rewrites each task it takes on the task's own page: the leased version is longer than the
/// ready one, and on a full page it would go to another page, which costs Postgres an extra row
/// lock record per task and a longer update record (ADR 0033). 200 tasks fill several pages and
/// are claimed in one transaction, with a worker name as long as a real one. With 60 % of each page
/// left free, none or one of the 200 moves (one in some runs); with the default full pages, about
/// 175 do. The test allows one in twenty.
#[tokio::test]
async fn a_claim_rewrites_each_task_on_its_own_page() {
    const RUNS: usize = 200;
    let pool = pool().await;
    start_plain_runs(&pool, RUNS).await;
    let mut tx = pool.begin().await.unwrap();
    let p = ClaimParams {
        queue: "q",
        limit: 500,
        worker: "codex-k8s-worker-7d9f8b6c5d-x2x4q-4242-9f3a1c2e",
        lease_secs: 30.0,
    };
    let claimed = task::claim_available(&mut *tx, &p).await.unwrap();
    assert_eq!(claimed.len(), RUNS);
    let (updated, moved): (i64, i64) = sqlx::query_as(
        "select pg_stat_get_xact_tuples_updated('workflow_tasks'::regclass),
                pg_stat_get_xact_tuples_newpage_updated('workflow_tasks'::regclass)",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(updated, RUNS as i64, "task rows updated");
    assert!(
        moved <= RUNS as i64 / 20,
        "{moved} of {RUNS} leased tasks went to another page"
    );
    let pages = pages_of(&pool, "workflow_tasks").await;
    assert!(pages > 2, "the tasks span {pages} pages");
}

/// Listing the failed runs among many that succeeded reads the index of ended runs, not every
/// run (the status has no index of its own: ADR 0030).
#[tokio::test]
async fn listing_failed_runs_reads_the_index_of_ended_runs() {
    let pool = pool().await;
    sqlx::raw_sql(
        "insert into workflow_runs (id, kind, queue, input, status, end_reason, finished_at)
         select gen_random_uuid(), 'k', 'q', 'null',
                case when i % 1000 = 0 then 'failed' else 'succeeded' end,
                case when i % 1000 = 0 then 'failed' end, now()
         from generate_series(1, 20000) i;
         analyze workflow_runs, workflow_tasks;",
    )
    .execute(&pool)
    .await
    .unwrap();
    let list = include_str!("../../../queries/workflow_runs/list.sql");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("explain {list}")))
        .bind(None::<String>)
        .bind("failed")
        .bind(None::<String>)
        .bind(None::<chrono::DateTime<chrono::Utc>>)
        .bind(None::<Uuid>)
        .bind(50_i64)
        .fetch_all(&pool)
        .await
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("workflow_runs_ended_created"), "{plan}");
    let params = run::ListParams {
        status: Some("failed"),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(run::list(&pool, &params).await.unwrap().len(), 20);
    let params = run::ListParams {
        status: Some("succeeded"),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(run::list(&pool, &params).await.unwrap().len(), 50);
}

/// The list's reading of failed runs through their end reason holds because the table refuses a
/// failed, cancelled or timed-out run without the same end reason.
#[tokio::test]
async fn a_run_cannot_end_failed_without_the_same_end_reason() {
    let pool = pool().await;
    let run_id = start_plain(&pool).await;
    for (status, reason) in [("failed", None), ("cancelled", Some("timed_out"))] {
        let refused =
            sqlx::query("update workflow_runs set status = $2, end_reason = $3 where id = $1")
                .bind(run_id)
                .bind(status)
                .bind(reason)
                .execute(&pool)
                .await
                .expect_err("refused");
        let code = refused
            .as_database_error()
            .and_then(|e| e.constraint().map(str::to_owned));
        assert_eq!(code.as_deref(), Some("workflow_runs_ended_with_reason"));
    }
}

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

//! `heartbeat`: the cost of renewing every lease of a process (per-attempt leases, today's design)
//! against renewing one liveness row per process (the alternative of ADR 0007), at 100, 1,000 and
//! 10,000 leased tasks: time and WAL bytes per renewal, on the same server.

use std::time::Instant;

use anyhow::Result;
use serde_json::{Value, json};

use crate::{Settings, measure::round3, server::Server};

const RENEW: &str = include_str!("../../../../engine/queries/workflow_tasks/extend_lease_many.sql");

async fn wal_lsn(pool: &sqlx::PgPool) -> Result<i64> {
    Ok(
        sqlx::query_scalar("select (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
            .fetch_one(pool)
            .await?,
    )
}

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let rounds = if settings.quick { 20 } else { 50 };
    let pool = server.engine_db("heartbeat", 8).await?;
    sqlx::raw_sql(
        "create table bench_worker_liveness (id text primary key, expires_at timestamptz not null);
         insert into bench_worker_liveness values ('w', now());",
    )
    .execute(&pool)
    .await?;
    let mut sizes = Vec::new();
    for leased in [100i64, 1_000, 10_000] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "delete from workflow_tasks; delete from workflow_runs;
             insert into workflow_runs (id, kind, queue, input) select gen_random_uuid(), 'k', 'bench', '0' from generate_series(1, {leased});
             insert into workflow_tasks (run_id, queue, priority, state, epoch, worker, lease_expires_at)
               select id, 'bench', 0, 'leased', nextval('workflow_task_epochs'), 'w', now() + interval '10 seconds' from workflow_runs;"
        )))
        .execute(&pool)
        .await?;
        sqlx::raw_sql("vacuum analyze workflow_tasks")
            .execute(&pool)
            .await?;
        let (ids, epochs): (Vec<uuid::Uuid>, Vec<i64>) =
            sqlx::query_as::<_, (uuid::Uuid, i64)>("select run_id, epoch from workflow_tasks")
                .fetch_all(&pool)
                .await?
                .into_iter()
                .unzip();
        let (mut per_task_ms, mut per_task_wal) = (0.0, 0);
        let (mut per_process_ms, mut per_process_wal) = (0.0, 0);
        for _ in 0..rounds {
            let wal = wal_lsn(&pool).await?;
            let t = Instant::now();
            let renewed = sqlx::query(RENEW)
                .bind(&ids)
                .bind(&epochs)
                .bind(10.0f64)
                .fetch_all(&pool)
                .await?;
            per_task_ms += t.elapsed().as_secs_f64() * 1000.0;
            per_task_wal += wal_lsn(&pool).await? - wal;
            anyhow::ensure!(
                renewed.len() as i64 == leased,
                "renewed {} of {leased}",
                renewed.len()
            );
            let wal = wal_lsn(&pool).await?;
            let t = Instant::now();
            sqlx::query("update bench_worker_liveness set expires_at = now() + interval '10 seconds' where id = 'w'")
                .execute(&pool)
                .await?;
            per_process_ms += t.elapsed().as_secs_f64() * 1000.0;
            per_process_wal += wal_lsn(&pool).await? - wal;
        }
        let r = f64::from(rounds);
        let line = json!({
            "leased_tasks": leased,
            "per_attempt_renewal_ms": round3(per_task_ms / r),
            "per_attempt_renewal_wal_bytes": per_task_wal / i64::from(rounds),
            "per_process_renewal_ms": round3(per_process_ms / r),
            "per_process_renewal_wal_bytes": per_process_wal / i64::from(rounds),
            // At the default lease of 10 s the heartbeat renews every 3.3 s.
            "per_attempt_share_of_a_core_pct": round3(per_task_ms / r / 3333.0 * 100.0),
        });
        eprintln!("  {line}");
        sizes.push(line);
    }
    pool.close().await;
    Ok(json!({ "rounds": rounds, "sizes": sizes }))
}

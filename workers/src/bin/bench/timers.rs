//! `timers`: enqueue→start latency of the engine with a million sleeping runs (future timers)
//! against none, side by side on the same server: timers live in their own index, so the claim path
//! and the idle claimer's wake-up do not scan them.

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::{
    Settings,
    engine_side::QUEUE,
    latency,
    measure::{percentiles, round3},
    server::Server,
};

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let sleeping: i64 = if settings.quick { 200_000 } else { 1_000_000 };
    let samples: u64 = if settings.quick { 100 } else { 200 };
    let empty = server.engine_db("timers_none", 20).await?;
    let full = server.engine_db("timers_many", 20).await?;
    let t = Instant::now();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "insert into workflow_runs (id, kind, queue, input)
           select gen_random_uuid(), 'bench_sleeper', '{QUEUE}', '0' from generate_series(1, {sleeping});
         insert into workflow_tasks (run_id, queue, priority, run_at, state)
           select id, queue, 0, now() + interval '1 day' + random() * interval '1 day', 'scheduled'
           from workflow_runs where kind = 'bench_sleeper';
"
    )))
    .execute(&full)
    .await
    .context("load sleeping runs")?;
    for table in ["workflow_tasks", "workflow_runs"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("vacuum analyze {table}")))
            .execute(&full)
            .await?;
    }
    eprintln!(
        "  loaded {sleeping} sleeping runs in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Interleaved halves, so machine noise hits both sides alike.
    let mut none = Vec::new();
    let mut many = Vec::new();
    for _ in 0..2 {
        none.extend(latency::engine_on(&empty, samples / 2).await?);
        many.extend(latency::engine_on(&full, samples / 2).await?);
    }
    let (none_p50, none_p99) = percentiles(none);
    let (many_p50, many_p99) = percentiles(many);
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "explain (analyze, buffers, costs off) select run_id from workflow_tasks
         where queue = '{QUEUE}' and state = 'scheduled' and run_at <= now() order by run_at limit 100"
    )))
    .fetch_all(&full)
    .await?;
    eprintln!(
        "  due-timer scan with {sleeping} future timers:\n    {}",
        plan.join("\n    ")
    );
    eprintln!("  p50 {none_p50:.2} ms vs {many_p50:.2} ms with {sleeping} sleeping runs");
    empty.close().await;
    full.close().await;
    Ok(json!({
        "sleeping_runs": sleeping,
        "samples": samples,
        "p50_ms_none": round3(none_p50),
        "p99_ms_none": round3(none_p99),
        "p50_ms_sleeping": round3(many_p50),
        "p99_ms_sleeping": round3(many_p99),
        "ratio_p50": round3(many_p50 / none_p50),
    }))
}

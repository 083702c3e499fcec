//! `steps`: 3-step workflows; durable step transitions per second, row writes per step (from the
//! statistics views), and the same server's single-row group-commit rate as the ceiling.

use std::{
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use anyhow::Result;
use engine::Registry;
use serde_json::{Value, json};

use crate::{
    Settings,
    engine_side::{self, RunningWorker},
    flows::ThreeSteps,
    limit,
    measure::{per_s, round1, round3},
    pgstat::Snapshot,
    server::{self, Server},
};

const DB: &str = "steps_engine";
const STEPS_PER_RUN: u64 = 3;
/// Clients of the group-commit ceiling measurement.
const LIMIT_CONNECTIONS: usize = 64;

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let runs: u64 = if settings.quick { 3_000 } else { 10_000 };
    let c = settings.steps_concurrency;
    let done = Arc::new(AtomicU64::new(0));
    let registry = Registry::new().with(ThreeSteps { done: done.clone() })?;

    let loader = server.engine_db(DB, 4).await?;
    let stats = server::pool(&server.url_for(DB), 2).await?;
    let empty = Snapshot::settled(&stats).await?;
    engine_side::load_runs::<ThreeSteps>(&engine_side::client(&loader), runs).await?;
    loader.close().await;
    let before = Snapshot::settled(&stats).await?;

    let pool = server::pool(&server.url_for(DB), 30).await?;
    crate::diagnose::reset(server).await?;
    let started = Instant::now();
    let worker = RunningWorker::spawn(
        &pool,
        registry,
        engine_side::worker_config(c, settings.heartbeat),
    )?;
    engine_side::drained(&pool, &stats, &done, runs, Duration::from_secs(300)).await?;
    let elapsed = started.elapsed();
    worker.stop().await?;
    pool.close().await;
    let after = Snapshot::settled(&stats).await?;
    crate::diagnose::report(server, DB).await?;

    let steps = STEPS_PER_RUN * runs;
    let by_table = after.writes_since(&before);
    let writes: i64 = by_table.values().sum();
    let start_writes: i64 = before.writes_since(&empty).values().sum();
    let writes_per_step = writes as f64 / steps as f64;
    let steps_per_s = per_s(steps, elapsed);
    let commits = after.commits - before.commits;
    eprintln!(
        "  engine: {runs} runs ({steps} steps) in {:.3} s, {writes} row writes, {commits} commits",
        elapsed.as_secs_f64()
    );

    let limit_pool = server::pool(&server.url_for(DB), LIMIT_CONNECTIONS as u32).await?;
    let limit_time = Duration::from_secs(if settings.quick { 2 } else { 5 });
    let limit = limit::single_row_commits_per_s(&limit_pool, LIMIT_CONNECTIONS, limit_time).await?;
    limit_pool.close().await;
    eprintln!("  limit: {limit:.0} single-row commits/s with {LIMIT_CONNECTIONS} clients");

    Ok(json!({
        "engine_steps_per_s": round1(steps_per_s),
        "writes_per_step": round3(writes_per_step),
        "limit_writes_per_s": round1(limit),
        "ratio_to_limit": round3(steps_per_s * writes_per_step / limit),
        "engine_commits_per_s": round1(commits as f64 / elapsed.as_secs_f64()),
        "writes_by_table": by_table,
        "start_writes_per_run": round3(start_writes as f64 / runs as f64),
        "runs": runs,
        "steps": steps,
        "concurrency": c,
        "limit_connections": LIMIT_CONNECTIONS,
    }))
}

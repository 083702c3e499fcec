//! `jobs`: plain single-step jobs, claim + ack per second, engine vs apalis-postgres at the same
//! concurrency; both timed from worker start until every job is acknowledged in the database.
//!
//! Each side runs on freshly loaded tables and on the same tables after `ANALYZE`, because the
//! planner's choice differs between the two (and the better one differs between the sides);
//! the line reports each side's best, the same-treatment ratios, and every sample.

use std::{
    sync::{Arc, atomic::AtomicU64},
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use engine::Registry;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    Settings,
    apalis_side::{self, Mode},
    cpu::CpuTime,
    engine_side::{self, RunningWorker},
    flows::Noop,
    measure::{per_s, round1, round3},
    server::Server,
};

/// Connections of the engine's pool.
const ENGINE_POOL: u32 = 30;

/// Whether the loaded tables were analyzed before the drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stats {
    Fresh,
    Analyzed,
}

/// One timed drain: which side, how, throughput and CPU per job on each side of the wire.
#[derive(Debug, Clone)]
struct Sample {
    side: &'static str,
    stats: Stats,
    per_s: f64,
    bench_cpu_us: f64,
    server_cpu_us: f64,
}

impl Sample {
    fn new(side: &'static str, stats: Stats, n: u64, elapsed: Duration, cpu: CpuTime) -> Self {
        let sample = Self {
            side,
            stats,
            per_s: per_s(n, elapsed),
            bench_cpu_us: cpu.bench.as_secs_f64() * 1e6 / n as f64,
            server_cpu_us: cpu.server.as_secs_f64() * 1e6 / n as f64,
        };
        eprintln!("  {}", sample.json());
        sample
    }

    fn json(&self) -> Value {
        json!({ "side": self.side, "tables": format!("{:?}", self.stats).to_lowercase(),
                "per_s": round1(self.per_s), "bench_cpu_us_per_job": round1(self.bench_cpu_us),
                "server_cpu_us_per_job": round1(self.server_cpu_us) })
    }
}

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let n: u64 = if settings.quick { 5_000 } else { 30_000 };
    let c = settings.concurrency;
    let mut samples = Vec::new();
    for round in 0..settings.rounds {
        for stats in [Stats::Fresh, Stats::Analyzed] {
            let tag = format!("{stats:?}_{round}").to_lowercase();
            let db = format!("jobs_engine_{tag}");
            samples.push(engine(server, &db, n, settings, stats).await?);
            for mode in [Mode::Inline, Mode::Spawned] {
                let db = format!("jobs_apalis_{mode:?}_{tag}").to_lowercase();
                samples.push(apalis(server, &db, n, c, mode, stats).await?);
            }
        }
    }
    let best = |engine: bool, stats: Option<Stats>| {
        samples
            .iter()
            .filter(|s| (s.side == "engine") == engine && stats.is_none_or(|t| t == s.stats))
            .max_by(|a, b| a.per_s.total_cmp(&b.per_s))
            .expect("every variant ran")
    };
    let (engine, apalis) = (best(true, None), best(false, None));
    let ratio = |stats| round3(best(true, Some(stats)).per_s / best(false, Some(stats)).per_s);
    Ok(json!({
        "engine_per_s": round1(engine.per_s),
        "apalis_per_s": round1(apalis.per_s),
        "ratio": round3(engine.per_s / apalis.per_s),
        "ratio_fresh_tables": ratio(Stats::Fresh),
        "ratio_analyzed_tables": ratio(Stats::Analyzed),
        "n": n,
        "concurrency": c,
        "rounds": settings.rounds,
        "engine_best": engine.json(),
        "apalis_best": apalis.json(),
        "engine_config": format!("slots {c}, claim_batch 100, pool {ENGINE_POOL}"),
        "apalis_config": format!("batch_size 100, with_pubsub, concurrency({c}), pool {}", apalis_side::POOL_SIZE),
        "samples": samples.iter().map(Sample::json).collect::<Vec<_>>(),
    }))
}

/// Loads `n` no-op runs into a fresh database and times a worker draining them.
async fn engine(
    server: &Server,
    db: &str,
    n: u64,
    settings: Settings,
    stats: Stats,
) -> Result<Sample> {
    let c = settings.concurrency;
    let pool = server.engine_db(db, ENGINE_POOL).await?;
    let done = Arc::new(AtomicU64::new(0));
    let registry = Registry::new().with(Noop { done: done.clone() })?;
    let client = engine_side::client(&pool);
    engine_side::load_runs::<Noop>(&client, n).await?;
    if stats == Stats::Analyzed {
        analyze(&pool, "workflow_runs, workflow_tasks").await?;
    }
    crate::diagnose::explain_complete(server, &pool).await?;
    crate::diagnose::reset(server).await?;
    let (started, cpu) = (Instant::now(), CpuTime::now());
    let worker = RunningWorker::spawn(
        &pool,
        registry,
        engine_side::worker_config(c, settings.heartbeat),
    )?;
    let timeout = Duration::from_secs(300);
    engine_side::drained(&pool, &pool, &done, n, timeout).await?;
    let sample = Sample::new(
        "engine",
        stats,
        n,
        started.elapsed(),
        CpuTime::now().since(&cpu),
    );
    worker.stop().await?;
    pool.close().await;
    crate::diagnose::report(server, db).await?;
    server.drop_db(db).await?;
    Ok(sample)
}

/// Pushes `n` jobs into a fresh apalis database and times a worker draining them.
async fn apalis(
    server: &Server,
    db: &str,
    n: u64,
    c: usize,
    mode: Mode,
    stats: Stats,
) -> Result<Sample> {
    let pool = server.apalis_db(db, apalis_side::POOL_SIZE).await?;
    apalis_side::push_jobs(&pool, n).await?;
    if stats == Stats::Analyzed {
        analyze(&pool, "apalis.jobs, apalis.workers").await?;
    }
    crate::diagnose::reset(server).await?;
    let cpu = CpuTime::now();
    let elapsed = apalis_side::drain(&pool, n, c, mode).await?;
    let side = match mode {
        Mode::Inline => "apalis_inline",
        Mode::Spawned => "apalis_spawned",
    };
    let sample = Sample::new(side, stats, n, elapsed, CpuTime::now().since(&cpu));
    pool.close().await;
    crate::diagnose::report(server, db).await?;
    server.drop_db(db).await?;
    Ok(sample)
}

/// Gives the planner statistics of the freshly loaded tables.
async fn analyze(pool: &PgPool, tables: &str) -> Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("analyze {tables}")))
        .execute(pool)
        .await
        .with_context(|| format!("analyze {tables}"))?;
    Ok(())
}

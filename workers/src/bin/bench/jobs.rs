//! `jobs`: plain single-step jobs, claim + ack per second, engine vs apalis-postgres at the same
//! concurrency and vs graphile-worker 0.18 (2 processes × 24, plain and with its documented
//! batching options); each timed from worker start until every job is acknowledged in the database.
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
    drain_probe::DrainProbe,
    engine_side::{self, RunningWorker},
    flows::Noop,
    graphile_side,
    measure::{per_s, round1, round3},
    pgstat::{DbWork, Snapshot},
    server::Server,
};

/// Connections of the engine's pool.
const ENGINE_POOL: u32 = 30;

/// Tasks the engine claims beyond its free slots (its local queue, like graphile-worker's): slots
/// plus prefetch is 500, graphile's `localQueue` size.
const PREFETCH: usize = 400;

/// Whether the loaded tables were analyzed before the drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stats {
    Fresh,
    Analyzed,
}

/// One timed drain: which side, how, throughput, CPU per job on each side of the wire, and what
/// the database wrote per job.
#[derive(Debug, Clone)]
struct Sample {
    side: &'static str,
    stats: Stats,
    per_s: f64,
    bench_cpu_us: f64,
    server_cpu_us: f64,
    /// Row writes, commits and WAL bytes per job.
    work: (f64, f64, f64),
}

impl Sample {
    async fn new(
        server: &Server,
        db: &str,
        side: &'static str,
        (stats, n): (Stats, u64),
        elapsed: Duration,
        cpu: CpuTime,
        before: DbWork,
    ) -> Result<Self> {
        let after = DbWork::settled(server.admin(), db).await?;
        let sample = Self {
            side,
            stats,
            per_s: per_s(n, elapsed),
            bench_cpu_us: cpu.bench.as_secs_f64() * 1e6 / n as f64,
            server_cpu_us: cpu.server.as_secs_f64() * 1e6 / n as f64,
            work: after.per_job(&before, n),
        };
        eprintln!("  {}", sample.json());
        Ok(sample)
    }

    fn json(&self) -> Value {
        let (writes, commits, wal) = self.work;
        json!({ "side": self.side, "tables": format!("{:?}", self.stats).to_lowercase(),
                "per_s": round1(self.per_s), "bench_cpu_us_per_job": round1(self.bench_cpu_us),
                "server_cpu_us_per_job": round1(self.server_cpu_us),
                "row_writes_per_job": round3(writes), "commits_per_job": round3(commits),
                "wal_bytes_per_job": round1(wal) })
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
        for mode in [graphile_side::Mode::Plain, graphile_side::Mode::Batched] {
            let db = format!("jobs_graphile_{mode:?}_{round}").to_lowercase();
            samples.push(graphile(server, &db, n, mode).await?);
        }
    }
    let best = |side: &str, stats: Option<Stats>| {
        samples
            .iter()
            .filter(|s| s.side.starts_with(side) && stats.is_none_or(|t| t == s.stats))
            .max_by(|a, b| a.per_s.total_cmp(&b.per_s))
            .expect("every variant ran")
    };
    let (engine, apalis) = (best("engine", None), best("apalis", None));
    let (graphile_plain, graphile_batched) =
        (best("graphile_plain", None), best("graphile_batched", None));
    let ratio =
        |stats| round3(best("engine", Some(stats)).per_s / best("apalis", Some(stats)).per_s);
    Ok(json!({
        "engine_per_s": round1(engine.per_s),
        "apalis_per_s": round1(apalis.per_s),
        "graphile_per_s": round1(graphile_plain.per_s),
        "graphile_batched_per_s": round1(graphile_batched.per_s),
        "ratio": round3(engine.per_s / apalis.per_s),
        "ratio_vs_graphile_batched": round3(engine.per_s / graphile_batched.per_s),
        "ratio_vs_graphile": round3(engine.per_s / graphile_plain.per_s),
        "ratio_fresh_tables": ratio(Stats::Fresh),
        "ratio_analyzed_tables": ratio(Stats::Analyzed),
        "n": n,
        "concurrency": c,
        "rounds": settings.rounds,
        "engine_best": engine.json(),
        "apalis_best": apalis.json(),
        "graphile_batched_best": graphile_batched.json(),
        "engine_config": format!("slots {c}, prefetch {PREFETCH}, claim_batch {}, pool {ENGINE_POOL}", c + PREFETCH),
        "apalis_config": format!("batch_size 100, with_pubsub, concurrency({c}), pool {}", apalis_side::POOL_SIZE),
        "graphile_config": format!(
            "graphile-worker 0.18.0 on Node 22, {} processes x concurrency {}, addJobs bulk load; batched: localQueue 500, completeJobBatchDelay 0, failJobBatchDelay 0",
            graphile_side::PROCESSES,
            graphile_side::CONCURRENCY
        ),
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
    crate::diagnose::explain_claim(
        server,
        &pool,
        crate::backlog::CLAIM_SQL,
        (c + PREFETCH) as i64,
    )
    .await?;
    crate::diagnose::explain_complete(server, &pool).await?;
    // The loading backends publish their row counts when they exit: the drain gets a new pool.
    pool.close().await;
    let pool = crate::server::pool(&server.url_for(db), ENGINE_POOL).await?;
    crate::diagnose::reset(server).await?;
    let stats_pool = crate::server::pool(&server.url_for(db), 1).await?;
    let tables_before = Snapshot::settled(&stats_pool).await?;
    let before = DbWork::settled(server.admin(), db).await?;
    let (started, cpu) = (Instant::now(), CpuTime::now());
    let config = engine::WorkerConfig {
        prefetch: PREFETCH,
        claim_batch: c + PREFETCH,
        ..engine_side::worker_config(c, settings.heartbeat)
    };
    let probe = DrainProbe::start(server, db).await?;
    let worker = RunningWorker::spawn(&pool, registry, config)?;
    let timeout = Duration::from_secs(300);
    engine_side::drained(&pool, &pool, &done, n, timeout).await?;
    let (elapsed, cpu) = (started.elapsed(), CpuTime::now().since(&cpu));
    worker.stop().await?;
    pool.close().await;
    let sample = Sample::new(server, db, "engine", (stats, n), elapsed, cpu, before).await?;
    if let Some(probe) = probe {
        probe.report(server, n).await?;
    }
    // Where the engine's row writes go, per table and job (its tables are in `public`).
    let by_table: serde_json::Map<String, Value> = Snapshot::settled(&stats_pool)
        .await?
        .writes_since(&tables_before)
        .into_iter()
        .map(|(table, w)| (table, json!(round3(w as f64 / n as f64))))
        .collect();
    eprintln!(
        "  engine row writes per job by table: {}",
        Value::Object(by_table)
    );
    stats_pool.close().await;
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
    // As for the engine: the loading backends exit (publishing their counts) before the drain.
    pool.close().await;
    let pool = crate::server::pool(&server.url_for(db), apalis_side::POOL_SIZE).await?;
    crate::diagnose::reset(server).await?;
    let before = DbWork::settled(server.admin(), db).await?;
    let cpu = CpuTime::now();
    let elapsed = apalis_side::drain(&pool, n, c, mode).await?;
    let cpu = CpuTime::now().since(&cpu);
    let side = match mode {
        Mode::Inline => "apalis_inline",
        Mode::Spawned => "apalis_spawned",
    };
    pool.close().await;
    let sample = Sample::new(server, db, side, (stats, n), elapsed, cpu, before).await?;
    crate::diagnose::report(server, db).await?;
    server.drop_db(db).await?;
    Ok(sample)
}

/// Bulk-adds `n` jobs into a fresh graphile database and times its workers draining them.
async fn graphile(server: &Server, db: &str, n: u64, mode: graphile_side::Mode) -> Result<Sample> {
    server.create(db).await?;
    let url = server.url_for(db);
    graphile_side::load(&url, n).await?;
    crate::diagnose::reset(server).await?;
    let before = DbWork::settled(server.admin(), db).await?;
    let cpu = CpuTime::now();
    let probe = DrainProbe::start(server, db).await?;
    let drained = graphile_side::drain(&url, n, mode).await?;
    let mut cpu = CpuTime::now().since(&cpu);
    if let Some(probe) = probe {
        probe.report(server, n).await?;
    }
    // The client side is graphile's worker processes, not this one.
    cpu.bench = Duration::from_secs_f64(drained.client_cpu_us_per_job * n as f64 / 1e6);
    let side = match mode {
        graphile_side::Mode::Plain => "graphile_plain",
        graphile_side::Mode::Batched => "graphile_batched",
    };
    let elapsed = Duration::from_secs_f64(drained.elapsed_ms / 1000.0);
    let sample = Sample::new(server, db, side, (Stats::Fresh, n), elapsed, cpu, before).await?;
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

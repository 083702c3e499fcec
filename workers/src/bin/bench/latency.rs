//! `latency`: enqueue→start with idle workers, one run at a time; the same for apalis (pubsub) and
//! graphile-worker (LISTEN/NOTIFY).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use engine::{Registry, StartOptions};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::{
    Settings, apalis_side,
    engine_side::{self, QUEUE, RunningWorker},
    flows::Ping,
    graphile_side,
    measure::{percentiles, round3},
    server::Server,
};

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, settings: Settings) -> Result<Value> {
    let samples: u64 = if settings.quick { 50 } else { 200 };
    let engine = percentiles(engine(server, samples).await?);
    let pool = server
        .apalis_db("latency_apalis", apalis_side::POOL_SIZE)
        .await?;
    let apalis = percentiles(apalis_side::latency(&pool, samples).await?);
    pool.close().await;
    server.create("latency_graphile").await?;
    let graphile = graphile_side::latency(&server.url_for("latency_graphile"), samples).await?;
    server.drop_db("latency_graphile").await?;
    eprintln!("  engine p50 {:.2} ms p99 {:.2} ms", engine.0, engine.1);
    eprintln!("  apalis p50 {:.2} ms p99 {:.2} ms", apalis.0, apalis.1);
    eprintln!(
        "  graphile p50 {:.2} ms p99 {:.2} ms",
        graphile.p50_ms, graphile.p99_ms
    );
    Ok(json!({
        "p50_ms": round3(engine.0),
        "p99_ms": round3(engine.1),
        "samples": samples,
        "apalis_p50_ms": round3(apalis.0),
        "apalis_p99_ms": round3(apalis.1),
        "graphile_p50_ms": round3(graphile.p50_ms),
        "graphile_p99_ms": round3(graphile.p99_ms),
    }))
}

/// Starts one run at a time on an idle worker; latency = body start − just before `start`.
async fn engine(server: &Server, samples: u64) -> Result<Vec<Duration>> {
    let pool = server.engine_db("latency_engine", 20).await?;
    let latencies = engine_on(&pool, samples).await?;
    pool.close().await;
    Ok(latencies)
}

/// The engine's enqueue→start latency on a prepared database.
pub(crate) async fn engine_on(pool: &sqlx::PgPool, samples: u64) -> Result<Vec<Duration>> {
    let pool = pool.clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let registry = Registry::new().with(Ping { started: tx })?;
    let client = engine_side::client(&pool);
    let worker = RunningWorker::spawn(&pool, registry, engine_side::worker_config(10, None))?;
    // Let the worker's listener connect before the first sample.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let options = StartOptions {
        queue: Some(QUEUE.into()),
        ..StartOptions::default()
    };
    let mut latencies = Vec::new();
    for seq in 0..samples {
        let t0 = Instant::now();
        client
            .start::<Ping>(&seq, options.clone())
            .await
            .with_context(|| format!("start latency run {seq}"))?;
        let (got, at) = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .with_context(|| format!("engine run {seq} did not start within 60 s"))?
            .context("engine worker stopped")?;
        anyhow::ensure!(got == seq, "engine started run {got}, expected {seq}");
        latencies.push(at - t0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.stop().await?;
    Ok(latencies)
}

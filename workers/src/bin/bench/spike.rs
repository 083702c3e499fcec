//! `apalis-memory`: the apalis spike's runtime measurement. apalis 1.0's worker loop over its
//! in-memory backend (no database), against plain `tokio::spawn` with a semaphore, both at
//! concurrency C with no-op handlers: what a worker runtime costs per task without storage.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Result, anyhow};
use apalis::prelude::*;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::{
    Settings,
    cpu::CpuTime,
    measure::{per_s, round1, round3, wait_counter},
};

/// Runs the spike and returns its JSON line.
pub(crate) async fn run(settings: Settings) -> Result<Value> {
    let n: u64 = if settings.quick { 100_000 } else { 500_000 };
    let c = settings.concurrency;
    let inline = apalis_memory(n, c, false).await?;
    let spawned = apalis_memory(n, c, true).await?;
    let tokio = tokio_semaphore(n, c).await?;
    let line =
        |(rate, cpu): (f64, f64)| json!({ "per_s": round1(rate), "cpu_us_per_task": round3(cpu) });
    Ok(json!({
        "n": n,
        "concurrency": c,
        "apalis_memory_inline": line(inline),
        "apalis_memory_spawned": line(spawned),
        "tokio_spawn_semaphore": line(tokio),
    }))
}

async fn count(_: u64, done: Data<Arc<AtomicU64>>) -> Result<(), BoxDynError> {
    done.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// (tasks/s, bench CPU µs per task) of an apalis worker draining `n` tasks from `MemoryStorage`.
async fn apalis_memory(n: u64, c: usize, spawned: bool) -> Result<(f64, f64)> {
    let mut storage = MemoryStorage::new();
    storage
        .push_bulk((0..n).collect())
        .await
        .map_err(|e| anyhow!("push to MemoryStorage: {e}"))?;
    let done = Arc::new(AtomicU64::new(0));
    let ctx = WorkerContext::new("bench-apalis-memory");
    let builder = WorkerBuilder::new(&ctx)
        .backend(storage)
        .data(done.clone())
        .concurrency(c);
    let (started, cpu) = (Instant::now(), CpuTime::now());
    let handle = if spawned {
        tokio::spawn(builder.parallelize(tokio::spawn).build(count).run())
    } else {
        tokio::spawn(builder.build(count).run())
    };
    wait_counter(&done, n, Duration::from_secs(120)).await?;
    let (elapsed, cpu) = (started.elapsed(), CpuTime::now().since(&cpu));
    ctx.stop().map_err(|e| anyhow!("stop apalis worker: {e}"))?;
    let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
    eprintln!(
        "  apalis MemoryStorage (spawned: {spawned}): {n} tasks in {:.3} s",
        elapsed.as_secs_f64()
    );
    Ok((per_s(n, elapsed), cpu.bench.as_secs_f64() * 1e6 / n as f64))
}

/// (tasks/s, CPU µs per task) of `tokio::spawn` per task, at most `c` at once.
async fn tokio_semaphore(n: u64, c: usize) -> Result<(f64, f64)> {
    let done = Arc::new(AtomicU64::new(0));
    let slots = Arc::new(Semaphore::new(c));
    let (started, cpu) = (Instant::now(), CpuTime::now());
    for _ in 0..n {
        let permit = slots.clone().acquire_owned().await?;
        let done = done.clone();
        tokio::spawn(async move {
            done.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    wait_counter(&done, n, Duration::from_secs(120)).await?;
    let (elapsed, cpu) = (started.elapsed(), CpuTime::now().since(&cpu));
    eprintln!(
        "  tokio::spawn + semaphore: {n} tasks in {:.3} s",
        elapsed.as_secs_f64()
    );
    Ok((per_s(n, elapsed), cpu.bench.as_secs_f64() * 1e6 / n as f64))
}

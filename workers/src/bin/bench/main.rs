//! `bench`: the engine against apalis-postgres 1.0 on one throwaway Postgres (fsync on).
//!
//! Runs each workload side by side and prints exactly one JSON object per workload on stdout;
//! progress and diagnostics go to stderr.
//! `cargo run --release --bin bench -- [--quick] [--only jobs,steps,latency,backlog,rescue,apalis-memory]`

mod apalis_side;
mod backlog;
mod diagnose;
mod flows;
mod hardware;
mod harness;
mod jobs;
mod latency;
mod limit;
mod pgstat;
mod rescue;
mod server;
mod spike;
mod steps;

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
    /// Worker slots of the engine in `steps`.
    #[arg(long, default_value_t = 200)]
    steps_concurrency: usize,
    /// Enable pg_stat_statements and print the top queries of each workload on stderr.
    #[arg(long)]
    diagnose: bool,
    /// Internal: run as the worker process that the `rescue` workload kills.
    #[arg(long = "rescue-child", hide = true, value_name = "DATABASE_URL")]
    rescue_child: Option<String>,
}

/// The workloads, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    Jobs,
    Steps,
    Latency,
    Backlog,
    Rescue,
    ApalisMemory,
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
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
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
    };
    let workloads = if cli.only.is_empty() {
        vec![
            Workload::Jobs,
            Workload::Steps,
            Workload::Latency,
            Workload::Backlog,
            Workload::Rescue,
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
        let t = std::time::Instant::now();
        let mut line = match (workload, server.as_ref()) {
            (Workload::ApalisMemory, _) => spike::run(settings).await?,
            (_, None) => unreachable!("a server is started for database workloads"),
            (Workload::Jobs, Some(s)) => jobs::run(s, settings).await?,
            (Workload::Steps, Some(s)) => steps::run(s, settings).await?,
            (Workload::Latency, Some(s)) => latency::run(s, settings).await?,
            (Workload::Backlog, Some(s)) => backlog::run(s, settings).await?,
            (Workload::Rescue, Some(s)) => rescue::run(s, settings).await?,
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

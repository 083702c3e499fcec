//! `codex-k8s`: the one CLI binary, with subcommands `dev`, `serve`, `worker`, `migrate`, `admin` and `runs`.

use std::process::ExitCode;

use clap::Parser;
use tokio_util::sync::CancellationToken;
use workers::{
    cmd,
    config::{Cli, Command},
    telemetry,
};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    workflows::tls::install_crypto_provider();
    let cli = Cli::parse();
    let telemetry = telemetry::init(
        cli.config.log_format_for(&cli.command),
        cli.config.trace_export().as_ref(),
    )?;
    let shutdown = CancellationToken::new();
    tokio::spawn(forward_signals(shutdown.clone()));
    let result = match cli.command {
        Command::Dev(args) => cmd::dev::run(&cli.config, args, shutdown).await,
        Command::Worker => cmd::worker::run(&cli.config, shutdown).await,
        Command::Migrate => cmd::migrate::run(&cli.config).await,
        Command::Serve => cmd::serve::run(&cli.config, shutdown).await,
        Command::Admin(args) => cmd::admin::run(&cli.config, args, shutdown).await,
        Command::ScriptedAgent => cmd::scripted_agent::run().await,
        Command::AgentRunner => cmd::agent_runner::run(shutdown).await,
        Command::GitCredential { operation } => {
            cmd::agent_runner::checkout::git_credential(&operation).await
        }
        // `runs` prints its own errors for a person and has exit codes of its own.
        Command::Runs(args) => return Ok(cmd::runs::run(&cli.config, args, shutdown).await),
    };
    if let Err(e) = &result {
        tracing::error!(error.message = %e, error.cause_chain = ?e, "codex-k8s stopped with an error");
    }
    // Blocking (bounded by the export timeout): the batched spans go out before the process ends.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    result.map(|()| ExitCode::SUCCESS)
}

/// Cancels the root token on SIGINT or SIGTERM (once installed, for the whole process).
async fn forward_signals(shutdown: CancellationToken) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error.message = %e, "cannot install the SIGTERM handler");
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
    }
    shutdown.cancel();
}

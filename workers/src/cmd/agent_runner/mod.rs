//! `codex-k8s agent-runner`: the agent of a stage run (the entrypoint of its pod; the local
//! runtime runs it as a process in the checked-out repository).
//!
//! 1. Fetch the run's context with the run token (`GET /api/v1/runner/context`).
//! 2. Write `CODEX_HOME/config.toml`: the model provider (`CK8S_MODEL_BASE_URL`, Responses API),
//!    the run's model and reasoning, the platform MCP server with the run token as bearer.
//! 3. If the lineage has a session, restore its latest rollout file and resume its thread.
//! 4. Run `codex exec --json` with stdin closed and parse its events: report each turn's usage
//!    (running totals; the platform stores deltas) and upload the rollout file after every turn
//!    as the lineage's next snapshot version; heartbeat meanwhile. Status lines mark only the
//!    runner's phases (preparing, starting, finished or failed): during a turn the status line is
//!    the agent's own, reported through the MCP tool `run_status_report`.
//! 5. Write `CK8S_RESULT_FILE` with the final message. Exit 0 when the turn completed; non-zero
//!    on `turn.failed`, a codex failure or when the run ended under it.
//! 6. Last, report the outcome (exit status, final message) to `POST /api/v1/runner/outcome`:
//!    stored for the launch attempt, it outlives the worker that launched the runner.
//!
//! The run token is never logged: it lives in a redacting [`Secret`](crate::config::Secret),
//! and codex's stderr is forwarded with the token replaced.

pub mod checkout;
mod client;
mod codex;
mod context;
mod events;
mod home;
mod outcome;
pub mod push;
mod reporter;
mod session;
mod settings;
pub mod wire;

use std::{path::Path, sync::Arc};

use anyhow::{Context, bail};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use outcome::report_to as report_outcome;
pub use settings::Settings;

use self::{
    client::PlatformClient,
    codex::Invocation,
    events::{Event, Item},
    home::HomeSettings,
    reporter::Reporter,
    session::{Upload, Uploader},
    wire::RunContext,
};

/// Runs the agent of the run named by the environment until codex is done.
pub async fn run(shutdown: CancellationToken) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    // The agent's spans continue the launching step's trace (`TRACEPARENT`).
    let span = tracing::info_span!("agent_runner");
    crate::trace::continue_from_env(&span);
    run_with(&settings, shutdown).instrument(span).await
}

/// Runs the agent with explicit settings.
#[tracing::instrument(skip_all, fields(run_id = tracing::field::Empty))]
pub async fn run_with(s: &Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let client = Arc::new(PlatformClient::new(&s.platform_url, s.token.clone())?);
    let ctx = context::fetch(&client)
        .await
        .context("fetch the run context")?;
    tracing::Span::current().record("run_id", tracing::field::display(ctx.run_id));
    tracing::info!(
        lineage = %ctx.lineage,
        model = %ctx.model,
        reasoning = %ctx.reasoning,
        session_version = ctx.session.as_ref().map(|m| m.version),
        "run context fetched"
    );
    let reporter = Reporter::new(client.clone());
    let stop_beats = CancellationToken::new();
    let ended = CancellationToken::new();
    let beats = reporter.heartbeats(s.heartbeat_every, stop_beats.clone(), ended.clone());
    // Registered before codex starts: only this process can later claim the push credential.
    let push_key = push::PushKey::generate();
    push::register(&client, &push_key).await;
    let mut final_message = None;
    let result = work(
        s,
        &client,
        &reporter,
        &ctx,
        &shutdown,
        &ended,
        &mut final_message,
    )
    .await;
    match &result {
        Ok(()) => reporter.status("codex finished").await,
        Err(e) => {
            let line = codex::redact(&format!("codex failed: {e:#}"), &s.token);
            reporter.status(&line).await;
        }
    }
    // codex has exited: only now may the work be pushed (its status line comes after codex's).
    let result = match result {
        Ok(()) => push::deliver(&client, &reporter, &ctx, &s.workdir, &push_key)
            .await
            .map(|_| ()),
        failed => failed,
    };
    // Heartbeats run through the push: a long push is not a stalled agent.
    stop_beats.cancel();
    let _ = beats.await;
    // Last: the outcome (after the push, so a refused push is the outcome).
    report_outcome_of(&client, &result, final_message).await;
    result
}

/// The runner's outcome, reported last (the report wakes the stage run, which may end the run
/// and revoke the token at once).
async fn report_outcome_of(
    client: &PlatformClient,
    result: &anyhow::Result<()>,
    final_message: Option<String>,
) {
    let report = wire::OutcomeReport {
        exit_code: if result.is_ok() { 0 } else { 1 },
        final_message,
        pull_request: None,
    };
    // A failed report is logged by `report`; the runtime's exit status remains.
    let _ = outcome::report(client, &report).await;
}

/// What the event stream told so far.
#[derive(Debug, Default)]
struct Progress {
    thread_id: Option<String>,
    /// Turns the thread had before this run.
    base_turns: i32,
    /// Turns completed in this run.
    completed: i32,
    last_message: Option<String>,
    failure: Option<String>,
}

async fn work(
    s: &Settings,
    client: &PlatformClient,
    reporter: &Reporter,
    ctx: &RunContext,
    shutdown: &CancellationToken,
    ended: &CancellationToken,
    final_message: &mut Option<String>,
) -> anyhow::Result<()> {
    reporter.status("preparing codex").await;
    let home_settings = HomeSettings {
        model_base_url: &s.model_base_url,
        model_api_key_env: s.model_api_key_env.as_deref(),
        mcp_tool_timeout_secs: s.mcp_tool_timeout_secs,
    };
    home::prepare(&s.codex_home, ctx, &home_settings)
        .with_context(|| format!("prepare CODEX_HOME {}", s.codex_home.display()))?;
    let sessions = home::sessions_dir(&s.codex_home);
    let restored = match &ctx.session {
        Some(meta) => {
            let restored = session::restore(client, &sessions, meta)
                .await
                .context("restore the lineage's codex session")?;
            tracing::info!(thread_id = %restored.thread_id, version = restored.version, turns = restored.turns, "session restored");
            Some(restored)
        }
        None => None,
    };
    // A relaunch after an interruption continues the thread with the platform's resume note.
    let prompt = match (
        std::env::var("CK8S_RESUME_PROMPT")
            .ok()
            .filter(|p| !p.trim().is_empty()),
        &restored,
    ) {
        (Some(note), Some(_)) => note,
        _ => context::prompt(ctx, s.prompt_file.as_deref())?,
    };
    let invocation = Invocation {
        bin: s.codex_bin.clone(),
        home: s.codex_home.clone(),
        workdir: s.workdir.clone(),
        prompt,
        resume: restored.as_ref().map(|r| r.thread_id.clone()),
        log: s.codex_log.clone(),
    };
    let mut uploader = Uploader::new(restored.as_ref());
    let mut progress = Progress {
        thread_id: invocation.resume.clone(),
        base_turns: restored.as_ref().map_or(0, |r| r.turns),
        ..Progress::default()
    };
    reporter
        .status(if invocation.resume.is_some() {
            "resuming the codex thread"
        } else {
            "starting codex"
        })
        .await;
    tracing::info!(codex = %codex::display_bin(&invocation.bin), resume = invocation.resume.is_some(), "starting codex");
    let mut running = invocation
        .spawn(&s.token)
        .with_context(|| format!("start codex ({})", invocation.bin.display()))?;
    let mut stopped = None;
    loop {
        tokio::select! {
            line = running.stdout.next_line() => match line {
                Ok(Some(line)) => {
                    if let Some(event) = events::parse(&line) {
                        handle(event, &mut progress, client, reporter, &mut uploader, &sessions).await;
                    } else if !line.trim().is_empty() {
                        tracing::debug!(line = %codex::redact(&line, &s.token), "codex stdout");
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error.message = %e, "reading codex output failed");
                    break;
                }
            },
            _ = shutdown.cancelled() => {
                stopped = Some("the runner was asked to stop");
                break;
            }
            _ = ended.cancelled() => {
                stopped = Some("the run ended on the platform");
                break;
            }
        }
    }
    if stopped.is_some() {
        let _ = running.child.start_kill();
    }
    let code = running.wait().await.context("wait for codex")?;
    tracing::info!(code, turns = progress.completed, "codex exited");
    if let Some(thread) = &progress.thread_id {
        save_session(client, &mut uploader, &sessions, thread).await;
    }
    write_result(s.result_file.as_deref(), progress.last_message.as_deref())?;
    final_message.clone_from(&progress.last_message);
    if let Some(reason) = stopped {
        bail!("codex was stopped: {reason}");
    }
    if let Some(message) = progress.failure {
        bail!("codex turn failed: {message}");
    }
    if code != 0 {
        bail!("codex exited with code {code}");
    }
    if progress.completed == 0 {
        bail!("codex exited without completing a turn");
    }
    Ok(())
}

async fn handle(
    event: Event,
    progress: &mut Progress,
    client: &PlatformClient,
    reporter: &Reporter,
    uploader: &mut Uploader,
    sessions: &Path,
) {
    match event {
        Event::ThreadStarted { thread_id } => {
            if progress
                .thread_id
                .as_ref()
                .is_some_and(|known| *known != thread_id)
            {
                tracing::warn!(thread_id = %thread_id, "codex started another thread than the one resumed");
            }
            tracing::info!(thread_id = %thread_id, "codex thread started");
            progress.thread_id = Some(thread_id);
        }
        Event::TurnStarted => {
            let n = progress.base_turns + progress.completed + 1;
            tracing::info!(turn = n, "codex turn started");
        }
        Event::ItemStarted(Item::McpToolCall { server, tool, .. }) => {
            tracing::info!(server = %server, tool = %tool, "MCP tool call started");
            // A tool call may wait for the Owner for hours: save the thread now, so a runner that
            // dies meanwhile can be relaunched and resume it.
            if let Some(thread) = progress.thread_id.clone() {
                save_session(client, uploader, sessions, &thread).await;
            }
        }
        Event::ItemCompleted(Item::McpToolCall {
            server,
            tool,
            status,
        }) => {
            tracing::info!(server = %server, tool = %tool, status = %status, "MCP tool call finished");
        }
        Event::ItemCompleted(Item::AgentMessage { text }) => {
            tracing::info!(chars = text.chars().count(), "agent message");
            progress.last_message = Some(text);
        }
        Event::ItemCompleted(Item::Error { message }) | Event::Error { message } => {
            tracing::warn!(codex.message = %message, "codex warning");
        }
        Event::TurnCompleted { usage } => {
            let turn = progress.base_turns + progress.completed;
            progress.completed += 1;
            let Some(thread) = progress.thread_id.clone() else {
                tracing::warn!("a turn completed before codex named its thread");
                return;
            };
            reporter.usage(&thread, turn, usage).await;
            save_session(client, uploader, sessions, &thread).await;
        }
        Event::TurnFailed { message } => {
            tracing::error!(codex.message = %message, "codex turn failed");
            progress.failure = Some(message);
        }
        other => tracing::debug!(event = ?other, "codex event"),
    }
}

/// Uploads the thread's rollout file if it changed; failures are logged (the run's work stands,
/// but a later run of the lineage will start from the previous snapshot).
async fn save_session(
    client: &PlatformClient,
    uploader: &mut Uploader,
    sessions: &Path,
    thread_id: &str,
) {
    let Some(path) = session::find_rollout(sessions, thread_id) else {
        tracing::warn!(thread_id = %thread_id, "codex wrote no rollout file for the thread");
        return;
    };
    match uploader.upload(client, thread_id, &path).await {
        Ok(Upload::Stored(saved)) => {
            tracing::info!(
                version = saved.version,
                size_bytes = saved.size_bytes,
                replayed = saved.replayed,
                "session snapshot uploaded"
            );
        }
        Ok(Upload::Unchanged) => tracing::debug!("session unchanged since the last upload"),
        Err(e) => {
            tracing::error!(error.message = %e, expected_version = uploader.version(), "session snapshot upload failed")
        }
    }
}

/// Writes `{"final_message", "pull_request"}` where the runtime reads it.
fn write_result(path: Option<&Path>, final_message: Option<&str>) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let body = json!({ "final_message": final_message, "pull_request": null });
    std::fs::write(path, body.to_string())
        .with_context(|| format!("write the result file {}", path.display()))
}

//! `codex-k8s scripted-agent`: a stand-in agent for tests and `dev` without the codex CLI. It
//! follows a JSON script (`CK8S_AGENT_SCRIPT`): write files, sleep, then finish with a message or
//! exit with a code, and writes its result where the runtime asked (`CK8S_RESULT_FILE`). A run of
//! role `reviewer` (`CK8S_ROLE`) follows the script's `reviewer` part, by default a review that
//! changes nothing and approves.

use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use serde_json::json;

/// One scripted action.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Writes a file relative to the working directory.
    WriteFile {
        /// Relative path.
        path: String,
        /// Content.
        content: String,
    },
    /// Sleeps.
    SleepMs(u64),
    /// Exits at once with this code (no result file).
    Exit(i32),
    /// Appends a line with the run id (`CK8S_RUN_ID`) to this file: tests count launches.
    RecordLaunch(String),
    /// Waits until this file exists: a barrier a test releases.
    WaitFile(String),
    /// Reports the outcome (this exit code, the script's final message and pull request) to the
    /// runner API (`CK8S_PLATFORM_URL` with `CK8S_RUN_TOKEN`), as the agent runner does before it
    /// exits; a failed report fails the agent.
    ReportOutcome(i32),
}

/// How often a waiting agent looks for its barrier file.
const BARRIER_POLL: Duration = Duration::from_millis(50);

/// The script.
#[derive(Debug, Deserialize)]
pub struct Script {
    /// Actions in order.
    #[serde(default)]
    pub steps: Vec<Action>,
    /// The final message written to the result.
    #[serde(default)]
    pub final_message: Option<String>,
    /// A pull request to report.
    #[serde(default)]
    pub pull_request: Option<u64>,
    /// What a reviewer run does instead; default: [`default_review`].
    #[serde(default)]
    pub reviewer: Option<Box<Script>>,
}

/// The default pre-review: changes nothing, approves (the review completion contract).
fn default_review() -> Script {
    Script {
        steps: Vec::new(),
        final_message: Some(
            json!({ "status": "done", "summary": "The scripted reviewer found nothing blocking.", "verdict": "approve", "blocking_findings": 0, "open_questions": [] })
                .to_string(),
        ),
        pull_request: None,
        reviewer: None,
    }
}

fn default_script() -> Script {
    Script {
        steps: vec![Action::WriteFile {
            path: "NOTES.md".into(),
            content: "# Notes\n\nWritten by the scripted agent.\n".into(),
        }],
        final_message: Some("The scripted agent wrote NOTES.md.".into()),
        pull_request: None,
        reviewer: None,
    }
}

/// Runs the script in the current directory, in a span continuing the launching step's trace
/// (`TRACEPARENT`), as the agent runner does.
pub async fn run() -> anyhow::Result<()> {
    use tracing::Instrument;
    let span = tracing::info_span!("scripted_agent");
    crate::trace::continue_from_env(&span);
    run_script().instrument(span).await
}

async fn run_script() -> anyhow::Result<()> {
    let script = match std::env::var("CK8S_AGENT_SCRIPT") {
        Ok(raw) if !raw.trim().is_empty() => {
            serde_json::from_str::<Script>(&raw).context("parse CK8S_AGENT_SCRIPT")?
        }
        _ => default_script(),
    };
    let script = if std::env::var("CK8S_ROLE").is_ok_and(|r| r == "reviewer") {
        script.reviewer.map(|r| *r).unwrap_or_else(default_review)
    } else {
        script
    };
    let prompt = std::env::var("CK8S_PROMPT_FILE")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    println!(
        "scripted agent: prompt of {} bytes, {} step(s)",
        prompt.len(),
        script.steps.len()
    );
    for action in &script.steps {
        match action {
            Action::WriteFile { path, content } => {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("create {}", parent.display()))?;
                }
                std::fs::write(path, content).with_context(|| format!("write {path}"))?;
                println!("wrote {path}");
            }
            Action::SleepMs(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            Action::Exit(code) => std::process::exit(*code),
            Action::RecordLaunch(path) => {
                use std::io::Write;
                let run_id = std::env::var("CK8S_RUN_ID").unwrap_or_default();
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("open {path}"))?;
                // One write of the whole line: with O_APPEND it cannot interleave with another
                // agent's (`writeln!` may write the id and the newline separately).
                file.write_all(format!("{run_id}\n").as_bytes())
                    .with_context(|| format!("append to {path}"))?;
            }
            Action::WaitFile(path) => {
                while !std::path::Path::new(path).exists() {
                    tokio::time::sleep(BARRIER_POLL).await;
                }
            }
            Action::ReportOutcome(code) => report(&script, *code).await?,
        }
    }
    if let Ok(result) = std::env::var("CK8S_RESULT_FILE") {
        let body =
            json!({ "final_message": script.final_message, "pull_request": script.pull_request });
        std::fs::write(&result, body.to_string()).with_context(|| format!("write {result}"))?;
    }
    Ok(())
}

async fn report(script: &Script, exit_code: i32) -> anyhow::Result<()> {
    let url = std::env::var("CK8S_PLATFORM_URL").context("CK8S_PLATFORM_URL is not set")?;
    let token: crate::config::Secret = std::env::var("CK8S_RUN_TOKEN")
        .context("CK8S_RUN_TOKEN is not set")?
        .parse()
        .map_err(|e| anyhow::anyhow!("CK8S_RUN_TOKEN: {e}"))?;
    let outcome = super::agent_runner::wire::OutcomeReport {
        exit_code,
        final_message: script.final_message.clone(),
        pull_request: script.pull_request,
    };
    let reply = super::agent_runner::report_outcome(&url, token, &outcome).await?;
    println!("outcome reported for attempt {}", reply.attempt);
    Ok(())
}

//! `codex-k8s scripted-agent`: a stand-in agent for tests and `dev` without the codex CLI. It
//! follows a JSON script (`CK8S_AGENT_SCRIPT`): write files, sleep, then finish with a message or
//! exit with a code, and writes its result where the runtime asked (`CK8S_RESULT_FILE`).

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
}

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
}

fn default_script() -> Script {
    Script {
        steps: vec![Action::WriteFile {
            path: "NOTES.md".into(),
            content: "# Notes\n\nWritten by the scripted agent.\n".into(),
        }],
        final_message: Some("The scripted agent wrote NOTES.md.".into()),
        pull_request: None,
    }
}

/// Runs the script in the current directory.
pub async fn run() -> anyhow::Result<()> {
    let script = match std::env::var("CK8S_AGENT_SCRIPT") {
        Ok(raw) if !raw.trim().is_empty() => {
            serde_json::from_str::<Script>(&raw).context("parse CK8S_AGENT_SCRIPT")?
        }
        _ => default_script(),
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
        }
    }
    if let Ok(result) = std::env::var("CK8S_RESULT_FILE") {
        let body =
            json!({ "final_message": script.final_message, "pull_request": script.pull_request });
        std::fs::write(&result, body.to_string()).with_context(|| format!("write {result}"))?;
    }
    Ok(())
}

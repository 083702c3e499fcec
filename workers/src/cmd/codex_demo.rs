//! The codex part of `dev --demo`: when the codex CLI is installed, the stage run's agent is
//! `codex-k8s agent-runner` driving the real codex against a scripted local model that asks the
//! Owner one question through the platform's MCP tool `owner_feedback_request`, then has codex
//! commit a file in its checkout (the runner pushes it; the platform opens the pull request); the
//! reviewer's codex, started by the pre-review gate, answers with an `approve` verdict. A local approver
//! endpoint receives the signed approval request (the universal approver contract), the question
//! is answered from the terminal (or with the first option when there is no terminal), and the
//! answer goes back through the approver callback.

use std::{
    io::{BufRead, IsTerminal},
    path::PathBuf,
    time::Duration,
};

use anyhow::Context;
use axum::{Json, Router, extract::State, routing::post};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use workflows::runtime::AgentCommand;

use testkit::model::{FakeModel, Script, Turn};

/// The codex binary: `CK8S_CODEX_BIN`, the test install under `tests/node_modules`, or `codex` on PATH.
pub(crate) fn find_codex() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("CK8S_CODEX_BIN") {
        return Some(PathBuf::from(bin));
    }
    let tests = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/node_modules"
    ));
    let native = tests.join("@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex");
    if native.exists() {
        return Some(native);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("codex"))
        .find(|p| p.exists())
}

/// The running pieces of the codex demo.
pub(crate) struct CodexDemo {
    /// The scripted model codex talks to.
    pub(crate) model: FakeModel,
    /// Where the platform POSTs approval requests.
    pub(crate) approver_url: String,
    requests: mpsc::Receiver<Value>,
}

async fn receive(State(tx): State<mpsc::Sender<Value>>, Json(body): Json<Value>) -> Json<Value> {
    let _ = tx.send(body).await;
    Json(json!({ "status": "received" }))
}

/// Starts the scripted model and the local approver; returns them and the agent to launch.
pub(crate) async fn start(codex: PathBuf) -> anyhow::Result<(CodexDemo, AgentCommand)> {
    let question = json!({
        "question": "Which search backend should the shop use?",
        "options": [
            { "id": "postgres", "label": "Postgres full-text search" },
            { "id": "opensearch", "label": "OpenSearch" }
        ],
        "allow_custom": true
    });
    let work = "mkdir -p docs && printf '# Search\\n\\nThe backend is the one the Owner chose in the Issue.\\n' > docs/search.md && git add -A && git commit -qm 'Describe the search backend'";
    let verdict = json!({ "status": "done", "summary": "docs/search.md records the Owner's choice; nothing blocking.", "verdict": "approve", "blocking_findings": 0, "open_questions": [] });
    let script = Script::new([
        Turn::chain(
            "mcp__platform__owner_feedback_request",
            question,
            Turn::tool_call(
                "exec_command",
                json!({ "cmd": work }),
                "## Describe the search backend\nRecorded the Owner's choice of search backend in docs/search.md.",
            ),
        ),
        Turn::message(verdict.to_string()),
    ]);
    let model = FakeModel::start(script)
        .await
        .context("start the scripted model")?;
    let (tx, requests) = mpsc::channel(8);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let approver_url = format!("http://{}/approver", listener.local_addr()?);
    let app = Router::new()
        .route("/approver", post(receive))
        .with_state(tx);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let agent = AgentCommand {
        program: std::env::current_exe().context("locate this binary for the agent runner")?,
        args: vec!["agent-runner".into()],
        env: vec![
            ("CK8S_CODEX_BIN".into(), codex.display().to_string()),
            ("CK8S_MODEL_BASE_URL".into(), model.base_url()),
        ],
    };
    Ok((
        CodexDemo {
            model,
            approver_url,
            requests,
        },
        agent,
    ))
}

fn ask_terminal(question: &str, options: &[(String, String)]) -> (Option<String>, Option<String>) {
    println!("\nowner     the agent asks: {question}");
    for (i, (_, label)) in options.iter().enumerate() {
        println!("          {}. {label}", i + 1);
    }
    if !std::io::stdin().is_terminal() {
        let first = options.first().map(|(id, _)| id.clone());
        println!("          (no terminal: answering with option 1)");
        return (first, None);
    }
    println!("          type a number, or your own answer:");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    let line = line.trim().to_owned();
    match line
        .parse::<usize>()
        .ok()
        .and_then(|n| options.get(n.wrapping_sub(1)))
    {
        Some((id, _)) => (Some(id.clone()), None),
        None => (None, Some(line)),
    }
}

impl CodexDemo {
    /// Answers each feedback request the approver receives, as `by`, until `stop`.
    pub(crate) fn answer_questions(mut self, by: String, stop: CancellationToken) -> FakeModel {
        let model = self.model;
        let mut requests = std::mem::replace(&mut self.requests, mpsc::channel(1).1);
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client");
            loop {
                let request = tokio::select! {
                    r = requests.recv() => match r { Some(r) => r, None => return },
                    _ = stop.cancelled() => return,
                };
                if request["kind"] != "feedback" {
                    continue;
                }
                let question = request["request"]["question"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                let options: Vec<(String, String)> = request["request"]["options"]
                    .as_array()
                    .map(|o| {
                        o.iter()
                            .map(|o| {
                                (
                                    o["id"].as_str().unwrap_or("").to_owned(),
                                    o["label"].as_str().unwrap_or("").to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let (option_id, custom_answer) =
                    tokio::task::spawn_blocking(move || ask_terminal(&question, &options))
                        .await
                        .unwrap_or((None, None));
                let answer = json!({
                    "request_id": request["request_id"],
                    "decision": "approved",
                    "by": by,
                    "option_id": option_id,
                    "custom_answer": custom_answer,
                });
                let url = request["callback"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let token = request["callback"]["token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                match http
                    .post(&url)
                    .bearer_auth(token)
                    .json(&answer)
                    .send()
                    .await
                {
                    Ok(r) => println!("owner     answer sent: {}", r.status()),
                    Err(e) => println!("owner     could not send the answer: {e}"),
                }
            }
        });
        model
    }
}

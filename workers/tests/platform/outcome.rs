//! Crash-safe agent outcomes at the platform level: the runner API's outcome report (idempotent
//! per launch attempt, refused for a replaced attempt), the report waking the stage run without a
//! probe, a silent agent treated as gone, and the :eyes: reaction not repeated by a re-run step.

use std::{path::PathBuf, time::Duration};

use axum::{body::Body, http::Request};
use engine::RunStatus;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;
use workflows::{
    runtime::AgentCommand,
    store::run_token::{self, NewLaunchToken, RunToken},
};

use crate::support::*;

/// The scripted agent with `script`, reaching the platform API at an address the test serves.
pub fn scripted_agent(script: &Value) -> AgentCommand {
    AgentCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_codex-k8s")),
        args: vec!["scripted-agent".into()],
        env: vec![("CK8S_AGENT_SCRIPT".into(), script.to_string())],
    }
}

/// Binds the address agents reach the API at; serve the router there with [`serve`].
pub async fn api_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

/// Serves the platform's router for its agents.
pub fn serve(p: &TestPlatform, listener: tokio::net::TcpListener) {
    let router = p.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
}

/// Routes a `run:dev` label on a new Issue `issue`; the stage run's id.
pub async fn dev_run(p: &TestPlatform, issue: u64) -> Uuid {
    p.github.add_issue("acme/shop", issue, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", issue, "run:dev", &["run:dev"]),
        )
        .await;
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    run.unwrap()
}

pub(crate) async fn token(p: &TestPlatform, run: Uuid, attempt: u32) -> RunToken {
    let token = RunToken::generate();
    let new = NewLaunchToken {
        run_id: run,
        token: &token,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        attempt,
    };
    run_token::insert_for_attempt(&p.pool, &new).await.unwrap();
    token
}

async fn report(p: &TestPlatform, token: &RunToken, body: Value) -> (u16, Value) {
    let req = Request::post("/api/v1/runner/outcome")
        .header("authorization", format!("Bearer {}", token.expose()))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = p.router.clone().oneshot(req).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn problem(body: &Value) -> &str {
    body["type"]
        .as_str()
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_outcome_is_stored_once_per_attempt_and_a_report_from_a_replaced_attempt_is_refused() {
    // No stage worker: the run stays queued, the test holds its tokens.
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    let run = dev_run(&p, 70).await;
    let first = token(&p, run, 0).await;
    let done = json!({ "exit_code": 0, "final_message": "done", "pull_request": 12 });
    let (status, body) = report(&p, &first, done.clone()).await;
    assert_eq!(
        (status, body.clone()),
        (201, json!({ "attempt": 0, "recorded": true }))
    );
    // A retry of the same report changes nothing.
    let (status, body) = report(&p, &first, done.clone()).await;
    assert_eq!(
        (status, body),
        (200, json!({ "attempt": 0, "recorded": false }))
    );
    // A different report for the same attempt: the first one stands.
    let (status, body) = report(&p, &first, json!({ "exit_code": 1 })).await;
    assert_eq!((status, problem(&body)), (409, "outcome-conflict"));
    let stored: Vec<(i32, i32, Option<String>, Option<i64>)> = sqlx::query_as(
        "select attempt, exit_code, final_message, pull_request from agent_outcomes where agent_run_id = $1",
    )
    .bind(run)
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(stored, vec![(0, 0, Some("done".into()), Some(12))]);
    // The agent is launched again (attempt 1): the first attempt's token is revoked.
    let second = token(&p, run, 1).await;
    let (status, body) = report(&p, &first, done.clone()).await;
    assert_eq!((status, problem(&body)), (401, "bad-run-token"));
    // A token of the old attempt that is still live (issued late) is refused as stale.
    let late = token(&p, run, 0).await;
    let (status, body) = report(&p, &late, json!({ "exit_code": 0 })).await;
    assert_eq!((status, problem(&body)), (409, "stale-attempt"), "{body}");
    let (status, body) = report(&p, &second, json!({ "exit_code": 0 })).await;
    assert_eq!(
        (status, body),
        (201, json!({ "attempt": 1, "recorded": true }))
    );
    let (status, body) = report(&p, &second, json!({ "exit_code": 0, "pull_request": 0 })).await;
    assert_eq!((status, problem(&body)), (400, "bad-request"));
    p.stop().await;
}

#[tokio::test]
async fn a_reported_outcome_wakes_the_stage_run_without_a_probe_and_stands_for_the_missing_result()
{
    let dir = std::env::temp_dir().join(format!("ck8s-outcome-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    // Reports, then never exits on its own and writes no result file: only the report tells.
    let script = json!({
        "steps": [
            { "write_file": { "path": "NOTES.md", "content": "notes" } },
            { "report_outcome": 0 },
            { "wait_file": dir.join("never").display().to_string() }
        ],
        "final_message": "reported through the runner API"
    });
    let (listener, api_url) = api_listener().await;
    let p = TestPlatform::start(Options {
        agent: Some((scripted_agent(&script), api_url)),
        // No probe within the test's time: the report's signal has to wake the run.
        probe_every: Duration::from_secs(600),
        ..Options::default()
    })
    .await;
    serve(&p, listener);
    let run = dev_run(&p, 71).await;
    let done = p.finished(run, Duration::from_secs(60)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    let output = done.output.unwrap();
    assert_eq!(output["final_message"], "reported through the runner API");
    assert!(
        !done.steps.iter().any(|s| s.name.starts_with("probe_agent")),
        "woken by the report, not by a probe"
    );
    let _ = std::fs::remove_dir_all(&dir);
    p.stop().await;
}

#[tokio::test]
async fn a_running_agent_that_stopped_sending_heartbeats_is_treated_as_gone() {
    let dir = std::env::temp_dir().join(format!("ck8s-silent-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = json!({ "steps": [{ "wait_file": dir.join("never").display().to_string() }] });
    let (listener, api_url) = api_listener().await;
    let p = TestPlatform::start(Options {
        agent: Some((scripted_agent(&script), api_url)),
        // Gone after 3 silent seconds, seen at the next probe (every 2 s).
        heartbeat_every: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    serve(&p, listener);
    let run = dev_run(&p, 72).await;
    let pid_file = p.runtime_root.join(run.to_string()).join("agent.pid");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() {
        assert!(tokio::time::Instant::now() < deadline, "never launched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The agent beat once, long ago, and then fell silent (its process still runs).
    let stamped = sqlx::query(
        "update run_tokens set last_heartbeat_at = now() - interval '10 seconds' where agent_run_id = $1",
    )
    .bind(run)
    .execute(&p.pool)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(stamped, 1);
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Failed, "{done:#?}");
    let error = done.error.unwrap();
    assert_eq!(error["code"], "agent_failed");
    assert!(
        error["message"].as_str().unwrap().contains("heartbeat"),
        "{error}"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the silent agent was stopped"
    );
    let _ = std::fs::remove_dir_all(&dir);
    p.stop().await;
}

fn reaction_posts(p: &TestPlatform, issue: u64) -> usize {
    let path = format!("/repos/acme/shop/issues/{issue}/reactions");
    p.github
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::POST && r.path == path)
        .count()
}

#[tokio::test]
async fn the_pickup_reaction_is_not_posted_again_when_its_step_runs_again_after_a_crash() {
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        // The reviewer run the gate starts would post its own pickup reaction on the Issue.
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    let run = dev_run(&p, 73).await;
    // A worker reacted, then died before the step's checkpoint committed.
    p.github.add_reaction("acme/shop", 73, BOT, "eyes").unwrap();
    sqlx::query("update agent_runs set pickup_reacted_at = now() where id = $1")
        .bind(run)
        .execute(&p.pool)
        .await
        .unwrap();
    p.start_worker(&[("ingress", 4), ("stages", 2)]);
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert!(done.steps.iter().any(|s| s.name == "pickup_reaction"));
    assert_eq!(reaction_posts(&p, 73), 0, "not posted again");
    assert_eq!(p.github.reactions("acme/shop", 73).len(), 1);
    p.stop().await;
}

//! The issue's kill test: 50 stage runs whose agents block on a barrier the test holds; the worker
//! process running them is SIGKILLed while all 50 agents run; a new worker is started and the
//! agents are released. Every run must succeed, every agent must have been launched once, and
//! the runs' GitHub side effects (status comment, :eyes: reaction) must not be repeated.

use std::{collections::HashMap, path::PathBuf, process::Stdio, time::Duration};

use engine::RunStatus;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use workflows::github::{ClientConfig, Token};

use crate::{
    outcome::{api_listener, scripted_agent, serve},
    support::*,
};

const CHILD_ENV: &str = "CK8S_TEST_CRASH_CHILD";
/// Stage runs in the test.
const RUNS: u64 = 50;
/// The first Issue's number.
const FIRST_ISSUE: u64 = 200;

/// What the killed worker process needs to join the test's platform.
#[derive(Serialize, Deserialize)]
struct ChildConfig {
    database_url: String,
    github_url: String,
    platform_token: String,
    bot_token: String,
    runtime_root: PathBuf,
    api_url: String,
    script: serde_json::Value,
}

fn options(api_url: String, script: &serde_json::Value) -> Options {
    Options {
        agent: Some((scripted_agent(script), api_url)),
        max_active_runs: RUNS as i32 + 10,
        // Crash safety of the stage run itself: no reviewer runs (their comments and reactions
        // would be counted with the stage run's).
        review_max_rounds: 0,
        ..Options::default()
    }
}

#[tokio::test]
#[ignore = "entry point of the worker process the kill test SIGKILLs; run by it with CK8S_TEST_CRASH_CHILD"]
async fn child_worker() {
    let Ok(raw) = std::env::var(CHILD_ENV) else {
        return;
    };
    let c: ChildConfig = serde_json::from_str(&raw).unwrap();
    let github = ClientConfig {
        base_url: c.github_url.clone(),
        retry_backoff: Duration::from_millis(10),
        ..ClientConfig::new(Token::new(c.platform_token), Token::new(c.bot_token))
    };
    let platform = TestPlatform::start(Options {
        queues: vec![("stages", RUNS as usize)],
        database_url: Some(c.database_url.clone()),
        runtime_root: Some(c.runtime_root.clone()),
        github: Some(github),
        ..options(c.api_url.clone(), &c.script)
    })
    .await;
    // Until killed; a child whose parent vanished gives up after ten minutes.
    tokio::time::sleep(Duration::from_secs(600)).await;
    drop(platform);
}

async fn count(p: &TestPlatform, sql: &'static str, runs: &[Uuid]) -> i64 {
    sqlx::query_scalar(sql)
        .bind(runs)
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

fn launches(file: &std::path::Path) -> HashMap<Uuid, usize> {
    let mut out = HashMap::new();
    for line in std::fs::read_to_string(file).unwrap_or_default().lines() {
        if let Ok(id) = line.trim().parse() {
            *out.entry(id).or_default() += 1;
        }
    }
    out
}

#[tokio::test]
async fn fifty_agents_outlive_a_worker_killed_under_them_and_every_run_succeeds_once() {
    let dir = std::env::temp_dir().join(format!("ck8s-kill-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let barrier = dir.join("release");
    let launch_log = dir.join("launches");
    let script = json!({
        "steps": [
            { "record_launch": launch_log.display().to_string() },
            { "wait_file": barrier.display().to_string() },
            { "write_file": { "path": "NOTES.md", "content": "# Notes\n\nWritten after the crash.\n" } },
            { "report_outcome": 0 }
        ],
        "final_message": "done, although the worker that launched me died"
    });
    let (listener, api_url) = api_listener().await;
    // This process routes deliveries and serves the API; the stage runs go to the child.
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 8)],
        ..options(api_url.clone(), &script)
    })
    .await;
    serve(&p, listener);
    let config = ChildConfig {
        database_url: p.url.clone(),
        github_url: p.github.base_url().to_owned(),
        platform_token: p.github.platform_token().to_owned(),
        bot_token: p.github.bot_token().to_owned(),
        runtime_root: p.runtime_root.clone(),
        api_url,
        script,
    };
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "crash::child_worker", "--nocapture"])
        .env(CHILD_ENV, serde_json::to_string(&config).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut runs = Vec::new();
    for issue in FIRST_ISSUE..FIRST_ISSUE + RUNS {
        p.github.add_issue("acme/shop", issue, "task", &["run:dev"]);
        let (id, _, _) = p
            .deliver(
                "issues",
                &issue_labeled("owner", "User", issue, "run:dev", &["run:dev"]),
            )
            .await;
        runs.push(id);
    }
    let mut run_ids = Vec::new();
    for delivery in &runs {
        let (outcome, reason, run) = p.routed(delivery).await;
        assert_eq!(outcome, "run_started", "{reason:?}");
        run_ids.push(run.unwrap());
    }
    // Every agent runs (blocked on the barrier) and every run waits for its agent.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    loop {
        let started = count(
            &p,
            "select count(*) from workflow_steps where name = 'comment_started' and run_id = any($1)",
            &run_ids,
        )
        .await;
        if launches(&launch_log).len() == RUNS as usize && started == RUNS as i64 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the child never had all agents running: {} launched, {started} started",
            launches(&launch_log).len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Runs whose task the child held leased (mid-step) rather than parked in their wait.
    let leased = count(
        &p,
        "select count(*) from workflow_tasks where state = 'leased' and run_id = any($1)",
        &run_ids,
    )
    .await;
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    p.start_worker(&[("ingress", 8), ("stages", RUNS as usize)]);
    std::fs::write(&barrier, "").unwrap();
    let mut by_status: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    for run in &run_ids {
        let done = p.finished(*run, Duration::from_secs(180)).await;
        *by_status
            .entry(format!("{:?}", done.summary.status))
            .or_default() += 1;
        if done.summary.status != RunStatus::Succeeded {
            failures.push(done.error.clone());
        }
    }
    let launched = launches(&launch_log);
    let launched_once = run_ids
        .iter()
        .filter(|r| launched.get(r) == Some(&1))
        .count();
    let rescued = count(
        &p,
        "select count(distinct run_id) from flow_events where kind = 'lease_rescued' and run_id = any($1)",
        &run_ids,
    )
    .await;
    let outcomes = count(
        &p,
        "select count(*) from agent_outcomes where agent_run_id = any($1)",
        &run_ids,
    )
    .await;
    let mut one_comment = 0;
    let mut one_reaction = 0;
    let mut one_reaction_post = 0;
    for issue in FIRST_ISSUE..FIRST_ISSUE + RUNS {
        let comments = p
            .github
            .comments("acme/shop", issue)
            .into_iter()
            .filter(|(_, b)| b.contains("codex-k8s:run-status"))
            .count();
        one_comment += usize::from(comments == 1);
        let eyes = p
            .github
            .reactions("acme/shop", issue)
            .iter()
            .filter(|(_, r)| r == "eyes")
            .count();
        one_reaction += usize::from(eyes == 1);
        let path = format!("/repos/acme/shop/issues/{issue}/reactions");
        let posts = p
            .github
            .requests()
            .iter()
            .filter(|r| r.method == http::Method::POST && r.path == path)
            .count();
        one_reaction_post += usize::from(posts == 1);
    }
    println!(
        "kill test: {RUNS} runs, by status {by_status:?}; {leased} leased by the killed worker, {rescued} rescued; \
         {launched_once} agents launched exactly once ({} launches in all); {outcomes} outcomes reported; \
         {one_comment} issues with one status comment, {one_reaction} with one :eyes: reaction, \
         {one_reaction_post} with one reaction request",
        launched.values().sum::<usize>()
    );
    assert_eq!(
        by_status.get("Succeeded").copied().unwrap_or(0),
        RUNS as usize,
        "{failures:#?}"
    );
    assert_eq!(launched_once, RUNS as usize, "{launched:?}");
    assert_eq!(launched.values().sum::<usize>(), RUNS as usize);
    assert_eq!(one_comment, RUNS as usize);
    assert_eq!(one_reaction, RUNS as usize);
    assert_eq!(one_reaction_post, RUNS as usize);
    let _ = std::fs::remove_dir_all(&dir);
    p.stop().await;
}

use std::time::Duration;

use engine::RunStatus;
use serde_json::json;

use crate::support::*;

fn status_comments(p: &TestPlatform, issue: u64) -> Vec<String> {
    p.github
        .comments("acme/shop", issue)
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| b.contains("codex-k8s:run-status"))
        .collect()
}

/// The status comments of one run (the reviewer's pre-review posts its own).
fn run_comments(p: &TestPlatform, issue: u64, run: uuid::Uuid) -> Vec<String> {
    let marker = format!("run_id={run}");
    status_comments(p, issue)
        .into_iter()
        .filter(|b| b.contains(&marker))
        .collect()
}

/// The reviewer run the stage run `run` started, once it ended.
async fn reviewer_of(p: &TestPlatform, run: uuid::Uuid) -> engine::RunDetail {
    let reviewer: uuid::Uuid =
        sqlx::query_scalar("select reviewer_run_id from reviews where stage_run_id = $1")
            .bind(run)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    p.finished(reviewer, Duration::from_secs(30)).await
}

#[tokio::test]
async fn a_dev_run_goes_from_label_to_a_finished_status_comment_with_next_steps() {
    let p = TestPlatform::start(Options::default()).await;
    p.github
        .add_issue("acme/shop", 50, "Add search", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 50, "run:dev", &["run:dev"]),
        )
        .await;
    let (outcome, _, run) = p.routed(&id).await;
    assert_eq!(outcome, "run_started");
    let done = p.finished(run.unwrap(), Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(
        done.output.as_ref().unwrap()["changed_files"],
        json!(["NOTES.md"])
    );
    let comments = run_comments(&p, 50, run.unwrap());
    assert_eq!(
        comments.len(),
        1,
        "one status comment per run: {comments:#?}"
    );
    let body = &comments[0];
    assert!(
        body.contains("🏁 finished") && body.contains("`succeeded`") && body.contains("Pre-review"),
        "{body}"
    );
    // The Owner's next steps come with the reviewer's verdict, in its status comment.
    let review = reviewer_of(&p, run.unwrap()).await;
    assert_eq!(review.summary.status, RunStatus::Succeeded, "{review:#?}");
    let comments = run_comments(&p, 50, review.summary.id);
    assert_eq!(comments.len(), 1, "{comments:#?}");
    let body = &comments[0];
    assert!(
        body.contains("Next steps") && body.contains("https://console.example/?modal=next-step"),
        "{body}"
    );
    assert!(
        body.contains("removes `run:dev`") || body.contains("final:"),
        "{body}"
    );
    assert!(
        p.github
            .reactions("acme/shop", 50)
            .iter()
            .any(|(_, r)| r == "eyes")
    );
    let labels = p.github.labels("acme/shop", 50);
    assert!(
        labels.contains(&"state:in-review".to_owned()) && !labels.contains(&"run:dev".to_owned()),
        "{labels:?}"
    );
    let names: Vec<_> = done.steps.iter().map(|s| s.name.as_str()).collect();
    for step in [
        "load_run",
        "comment_created",
        "prepare_runtime",
        "render_prompt",
        "launch_agent",
        "collect_results",
        "comment_finished",
        "release_runtime",
    ] {
        assert!(names.contains(&step), "{step} in {names:?}");
    }
    let status: String = sqlx::query_scalar("select status from agent_runs where id = $1")
        .bind(run.unwrap())
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
    p.stop().await;
}

#[tokio::test]
async fn a_documentation_stage_that_changes_code_fails_its_write_scope_check() {
    let script = json!({ "steps": [{ "write_file": { "path": "src/main.rs", "content": "fn main() {}" } }], "final_message": "done" });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 51, "Write the PRD", &["run:prd"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 51, "run:prd", &["run:prd"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    let done = p.finished(run.unwrap(), Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(
        done.error.as_ref().unwrap()["code"],
        "write_scope_violation"
    );
    let body = &status_comments(&p, 51)[0];
    assert!(
        body.contains("`failed`") && body.contains("write_scope_violation"),
        "{body}"
    );
    let status: String = sqlx::query_scalar("select status from agent_runs where id = $1")
        .bind(run.unwrap())
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(status, "failed");
    p.stop().await;
}

#[tokio::test]
async fn a_failing_agent_fails_the_run_and_its_cleanup_reports_it() {
    let script = json!({ "steps": [{ "exit": 3 }] });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 52, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 52, "run:dev", &["run:dev"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    let done = p.finished(run.unwrap(), Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Failed);
    assert_eq!(done.error.as_ref().unwrap()["code"], "agent_failed");
    assert!(status_comments(&p, 52)[0].contains("agent exited with code 3"));
    assert!(
        !p.runtime_root.join(run.unwrap().to_string()).exists(),
        "the workspace is released"
    );
    p.stop().await;
}

#[tokio::test]
async fn the_status_comment_is_not_duplicated_after_a_crash_between_posting_and_committing() {
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 53, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 53, "run:dev", &["run:dev"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    let run = run.unwrap();
    // The comment was posted, then the worker died before the step (and the comment id) committed.
    let posted = format!("<!-- codex-k8s:run-status run_id={run} -->\nposted before the crash");
    p.github.add_comment("acme/shop", 53, BOT, &posted).unwrap();
    p.start_worker(&[("ingress", 4), ("stages", 2)]);
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded);
    let comments = run_comments(&p, 53, run);
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert!(comments[0].contains("🏁 finished"));
    p.stop().await;
}

#[tokio::test]
async fn the_run_budget_pauses_while_the_agent_waits_for_the_owner() {
    // 5 s of agent time against a 3 s budget: it fits only because 4 s of it wait for the Owner.
    let script = json!({ "steps": [{ "sleep_ms": 5000 }], "final_message": "answered" });
    let options = Options {
        agent_script: Some(script.to_string()),
        stage_budget: Duration::from_secs(3),
        ..Options::default()
    };
    let p = TestPlatform::start(options).await;
    p.github.add_issue("acme/shop", 54, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 54, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&id).await.2.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !p
        .wiring
        .client
        .get_run(run)
        .await
        .unwrap()
        .steps
        .iter()
        .any(|s| s.name == "launch_agent")
    {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = &p.wiring.client;
    client
        .signal(
            run,
            "agent_event",
            json!({ "kind": "waiting_owner" }),
            Some("w1"),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        status_comments(&p, 54)[0].contains("waiting for the Owner"),
        "{}",
        status_comments(&p, 54)[0]
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    client
        .signal(run, "agent_event", json!({ "kind": "resumed" }), Some("r1"))
        .await
        .unwrap();
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    let paused: i64 = done
        .waits
        .iter()
        .filter(|w| w.pausing)
        .filter_map(|w| w.paused_ms)
        .sum();
    assert!(paused >= 3500, "paused {paused} ms: {:#?}", done.waits);
    assert!(done.budget_spent_ms.unwrap() < 3000);
    p.stop().await;
}

#[tokio::test]
async fn a_run_that_spends_its_budget_while_active_times_out_and_its_agent_is_stopped() {
    let script = json!({ "steps": [{ "sleep_ms": 60000 }] });
    let options = Options {
        agent_script: Some(script.to_string()),
        stage_budget: Duration::from_secs(2),
        ..Options::default()
    };
    let p = TestPlatform::start(options).await;
    p.github.add_issue("acme/shop", 55, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 55, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&id).await.2.unwrap();
    let pid_file = p.runtime_root.join(run.to_string()).join("agent.pid");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !pid_file.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent never launched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let done = p.finished(run, Duration::from_secs(30)).await;
    assert_eq!(done.summary.status, RunStatus::TimedOut);
    assert!(
        !std::path::Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the agent process was stopped"
    );
    assert!(status_comments(&p, 55)[0].contains("`timed_out`"));
    p.stop().await;
}

#[tokio::test]
async fn a_finished_runs_runtime_is_kept_for_its_ttl_and_then_released() {
    let options = Options {
        queues: vec![("ingress", 4), ("stages", 2), ("default", 2)],
        runtime_ttl: Duration::from_secs(2),
        ..Options::default()
    };
    let p = TestPlatform::start(options).await;
    p.github.add_issue("acme/shop", 56, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 56, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&id).await.2.unwrap();
    assert_eq!(
        p.finished(run, Duration::from_secs(30))
            .await
            .summary
            .status,
        RunStatus::Succeeded
    );
    let dir = p.runtime_root.join(run.to_string());
    assert!(dir.join("repo/NOTES.md").exists(), "kept after the run");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while dir.exists() {
        assert!(tokio::time::Instant::now() < deadline, "never released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    p.stop().await;
}

//! The mandatory reviewer pre-review: a stage run that reports a pull request starts the reviewer
//! run by itself, the Owner's `state:in-review` comes only after the reviewer's verdict, and a
//! `changes_requested` verdict loops into the stage's revise, bounded by `review_max_rounds`.

use std::time::Duration;

use engine::RunStatus;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// The agent runs of an Issue as (id, kind, trigger), oldest first.
async fn runs_of(p: &TestPlatform, issue: i64) -> Vec<(Uuid, String, Option<String>)> {
    sqlx::query_as(
        "select id, kind, trigger from agent_runs where issue_number = $1 order by created_at, id",
    )
    .bind(issue)
    .fetch_all(&p.pool)
    .await
    .unwrap()
}

/// Waits until the Issue has `n` agent runs and all of them ended.
async fn settled(p: &TestPlatform, issue: i64, n: usize) -> Vec<(Uuid, String, Option<String>)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let runs = runs_of(p, issue).await;
        if runs.len() >= n {
            let mut all_done = true;
            for (id, _, _) in &runs {
                let run = p.wiring.client.get_run(*id).await.unwrap();
                all_done &= run.summary.status.is_terminal();
            }
            if all_done {
                return runs;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "issue {issue}: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn reviews(p: &TestPlatform) -> Vec<Value> {
    sqlx::query_scalar("select to_jsonb(r) from reviews r order by round")
        .fetch_all(&p.pool)
        .await
        .unwrap()
}

fn comment_of(p: &TestPlatform, issue: u64, run: Uuid) -> String {
    let marker = format!("run_id={run}");
    let found: Vec<String> = p
        .github
        .comments("acme/shop", issue)
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| b.contains(&marker))
        .collect();
    assert_eq!(found.len(), 1, "one status comment of {run}: {found:#?}");
    found[0].clone()
}

#[tokio::test]
async fn a_stage_run_with_a_pull_request_starts_its_reviewer_and_the_owner_reviews_after_the_verdict()
 {
    let script =
        json!({ "steps": [], "final_message": "Opened the pull request.", "pull_request": 70 });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 60, "Add search", &["run:dev"]);
    p.github
        .add_pull_request("acme/shop", 70, "codex/issue-60", "c0ffee", &[]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 60, "run:dev", &["run:dev"]),
        )
        .await;
    let stage = p.routed(&id).await.2.unwrap();
    let runs = settled(&p, 60, 2).await;
    assert_eq!(runs.len(), 2, "the stage run and its reviewer: {runs:?}");
    assert_eq!(runs[0].0, stage);
    let (reviewer, kind, _) = &runs[1];
    assert_eq!(kind, "reviewer");
    for id in [stage, *reviewer] {
        let done = p.wiring.client.get_run(id).await.unwrap();
        assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    }
    // The review is linked: to its stage run, the pull request head it saw, its verdict.
    let linked = reviews(&p).await;
    assert_eq!(linked.len(), 1, "{linked:#?}");
    assert_eq!(linked[0]["stage_run_id"], json!(stage));
    assert_eq!(linked[0]["reviewer_run_id"], json!(reviewer));
    assert_eq!(linked[0]["head"], "c0ffee");
    assert_eq!(linked[0]["verdict"], "approve");
    assert_eq!(linked[0]["round"], 1);
    let role: String = sqlx::query_scalar("select role from agent_runs where id = $1")
        .bind(reviewer)
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(role, "reviewer");
    // The Owner's turn only after the verdict: the stage run's finish added no `state:in-review`;
    // the first request that did comes after the reviewer's status comment was posted.
    let requests = p.github.requests();
    let first =
        |pred: &dyn Fn(&testkit::github::RecordedRequest) -> bool| requests.iter().position(pred);
    let reviewer_marker = format!("run_id={reviewer}");
    let reviewer_posted = first(&|r| r.body.contains(&reviewer_marker)).expect("reviewer comment");
    let in_review = first(&|r| r.path.ends_with("/labels") && r.body.contains("state:in-review"))
        .expect("state:in-review added");
    assert!(
        reviewer_posted < in_review,
        "state:in-review (request {in_review}) before the reviewer ran (request {reviewer_posted})"
    );
    let stage_steps: Vec<String> = p
        .wiring
        .client
        .get_run(stage)
        .await
        .unwrap()
        .steps
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(
        stage_steps.contains(&"start_review".to_owned()),
        "{stage_steps:?}"
    );
    let issue = p.github.labels("acme/shop", 60);
    assert!(
        issue.contains(&"state:in-review".to_owned()) && !issue.contains(&"run:dev".to_owned()),
        "{issue:?}"
    );
    let pr = p.github.labels("acme/shop", 70);
    assert!(
        pr.contains(&"state:in-review".to_owned()) && !pr.contains(&"need:reviewer".to_owned()),
        "{pr:?}"
    );
    // Both status comments on the Issue: the stage's says a pre-review follows, the
    // reviewer's shows the verdict and the Owner's next steps.
    let stage_comment = comment_of(&p, 60, stage);
    assert!(
        stage_comment.contains("Pre-review") && stage_comment.contains("#70"),
        "{stage_comment}"
    );
    let review_comment = comment_of(&p, 60, *reviewer);
    assert!(
        review_comment.contains("Reviewer verdict: `approve`")
            && review_comment.contains("Next steps"),
        "{review_comment}"
    );
    p.stop().await;
}

#[tokio::test]
async fn changes_requested_starts_a_revise_and_after_the_last_round_asks_the_owner() {
    let review = json!({ "status": "done", "summary": "The search has no tests.", "verdict": "changes_requested", "blocking_findings": 1 });
    let script = json!({
        "steps": [],
        "final_message": "Opened the pull request.",
        "pull_request": 71,
        "reviewer": { "steps": [], "final_message": review.to_string() }
    });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 61, "Add search", &["run:dev"]);
    p.github
        .add_pull_request("acme/shop", 71, "codex/issue-61", "beef", &[]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 61, "run:dev", &["run:dev"]),
        )
        .await;
    let stage = p.routed(&id).await.2.unwrap();
    // dev → review (round 1, changes requested) → dev:revise → review (round 2 of 2) → Owner.
    let runs = settled(&p, 61, 4).await;
    let shape: Vec<(&str, Option<&str>)> = runs
        .iter()
        .map(|(_, k, t)| (k.as_str(), t.as_deref()))
        .collect();
    assert_eq!(
        shape,
        [
            ("stage", Some("dev")),
            ("reviewer", None),
            ("stage", Some("dev_revise")),
            ("reviewer", None),
        ],
        "bounded at 2 rounds"
    );
    assert_eq!(runs[0].0, stage);
    let linked = reviews(&p).await;
    assert_eq!(linked.len(), 2, "{linked:#?}");
    assert_eq!(linked[0]["round"], 1);
    assert_eq!(linked[0]["stage_run_id"], json!(stage));
    assert_eq!(linked[0]["revise_run_id"], json!(runs[2].0));
    assert_eq!(linked[1]["round"], 2);
    assert_eq!(linked[1]["stage_run_id"], json!(runs[2].0));
    assert_eq!(linked[1]["revise_run_id"], Value::Null);
    for review in &linked {
        assert_eq!(review["verdict"], "changes_requested");
        assert_eq!(review["summary"], "The search has no tests.");
    }
    let issue = p.github.labels("acme/shop", 61);
    assert!(
        issue.contains(&"need:input".to_owned()) && !issue.contains(&"state:in-review".to_owned()),
        "{issue:?}"
    );
    let last = comment_of(&p, 61, runs[3].0);
    assert!(
        last.contains("`changes_requested` (round 2 of 2)") && last.contains("need:input"),
        "{last}"
    );
    let first = comment_of(&p, 61, runs[1].0);
    assert!(first.contains(&runs[2].0.to_string()), "{first}");
    p.stop().await;
}

#[tokio::test]
async fn a_reviewer_run_that_fails_hands_the_gate_to_the_owner_with_need_input() {
    let script = json!({
        "steps": [],
        "final_message": "Opened the pull request.",
        "pull_request": 72,
        "reviewer": { "steps": [{ "exit": 3 }] }
    });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 62, "Add search", &["run:dev"]);
    p.github
        .add_pull_request("acme/shop", 72, "codex/issue-62", "f00d", &[]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 62, "run:dev", &["run:dev"]),
        )
        .await;
    let stage = p.routed(&id).await.2.unwrap();
    let runs = settled(&p, 62, 2).await;
    assert_eq!(runs.len(), 2, "no revise, no second review: {runs:?}");
    assert_eq!(runs[0].0, stage);
    let (reviewer, kind, _) = &runs[1];
    assert_eq!(kind, "reviewer");
    let failed = p.wiring.client.get_run(*reviewer).await.unwrap();
    assert_eq!(failed.summary.status, RunStatus::Failed, "{failed:#?}");
    // The gate is not left open: the Owner is asked on the Issue, the pull request no longer
    // waits for a reviewer, and nobody is told it is their review yet.
    let issue = p.github.labels("acme/shop", 62);
    assert!(
        issue.contains(&"need:input".to_owned()) && !issue.contains(&"state:in-review".to_owned()),
        "{issue:?}"
    );
    let pull = p.github.labels("acme/shop", 72);
    assert!(!pull.contains(&"need:reviewer".to_owned()), "{pull:?}");
    let comment = comment_of(&p, 62, *reviewer);
    assert!(
        comment.contains("need:input") && comment.contains("need:reviewer"),
        "the reviewer's comment says what the Owner can do: {comment}"
    );
    let (status, failure): (String, Option<String>) =
        sqlx::query_as("select status, failure from agent_runs where id = $1")
            .bind(reviewer)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(failure.is_some(), "the mirror names why");
    p.stop().await;
}

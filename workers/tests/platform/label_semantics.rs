//! Label semantics: an open `need:input` blocks stage entry, a `run:*` label ends a live
//! discussion (and says so), and a cancelled run's mirror agrees with its engine run even when
//! it never started.

use std::time::Duration;

use engine::RunStatus;
use serde_json::{Value, json};

use crate::support::*;

async fn mirrored(p: &TestPlatform, run: uuid::Uuid) -> String {
    sqlx::query_scalar("select status from agent_runs where id = $1")
        .bind(run)
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

fn closed(issue: u64) -> Value {
    let mut p = example("issues", Some("closed"));
    p["repository"]["full_name"] = "acme/shop".into();
    p["sender"]["login"] = "owner".into();
    p["sender"]["type"] = "User".into();
    p["issue"]["number"] = issue.into();
    p
}

#[tokio::test]
async fn an_open_need_input_blocks_stage_entry_and_says_so() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 93, "task", &["need:input", "run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 93, "run:dev", &["need:input", "run:dev"]),
        )
        .await;
    assert_eq!(
        p.routed(&id).await,
        (
            "warned".to_owned(),
            Some("need_input_open".to_owned()),
            None
        )
    );
    let comments = p.github.comments("acme/shop", 93);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].1.contains("open `need:input`"),
        "{}",
        comments[0].1
    );
    p.stop().await;
}

#[tokio::test]
async fn a_run_label_cancels_the_live_discussion_and_names_the_reason() {
    // The discussion agent would talk for a long time; the stage run must not wait for it.
    let script = json!({ "steps": [{ "sleep_ms": 20000 }], "final_message": "talked" });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 94, "task", &["mode:discussion"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 94, "mode:discussion", &["mode:discussion"]),
        )
        .await;
    let discussion = p.routed(&id).await.2.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while mirrored(&p, discussion).await != "running" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the discussion never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.github
        .add_issue("acme/shop", 94, "task", &["mode:discussion", "run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled(
                "owner",
                "User",
                94,
                "run:dev",
                &["mode:discussion", "run:dev"],
            ),
        )
        .await;
    let (outcome, _, stage) = p.routed(&id).await;
    assert_eq!(outcome, "run_started");
    let ended = p.finished(discussion, Duration::from_secs(20)).await;
    assert_eq!(ended.summary.status, RunStatus::Cancelled);
    let message = ended.error.as_ref().unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("`run:dev` was added") && !message.contains("closed"),
        "{message}"
    );
    assert_eq!(mirrored(&p, discussion).await, "cancelled");
    let marker = format!("run_id={discussion}");
    let comment = p
        .github
        .comments("acme/shop", 94)
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.contains(&marker))
        .unwrap();
    assert!(comment.contains("`run:dev` was added"), "{comment}");
    // The stage run starts without waiting for the discussion agent's 20 s.
    let stage = stage.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while mirrored(&p, stage).await == "pending" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stage run waits"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    p.wiring.client.cancel(stage, "test over").await.unwrap();
    p.finished(stage, Duration::from_secs(20)).await;
    p.stop().await;
}

#[tokio::test]
async fn a_queued_run_cancelled_before_it_starts_is_cancelled_in_agent_runs_too() {
    // No stage worker: the project's 2 slots are taken by the first two runs, the third queues.
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    let mut runs = Vec::new();
    for issue in [95, 96, 97] {
        p.github.add_issue("acme/shop", issue, "task", &["run:dev"]);
        let (id, _, _) = p
            .deliver(
                "issues",
                &issue_labeled("owner", "User", issue, "run:dev", &["run:dev"]),
            )
            .await;
        runs.push(p.routed(&id).await.2.unwrap());
    }
    // Only the run that waits says so, at once (the others hold their slots).
    let queued = p.github.comments("acme/shop", 97);
    assert_eq!(queued.len(), 1, "{queued:#?}");
    assert!(
        queued[0].1.contains("queued behind an active run"),
        "{}",
        queued[0].1
    );
    assert!(queued[0].1.contains(&runs[2].to_string()));
    assert!(p.github.comments("acme/shop", 95).is_empty());
    let (id, _, _) = p.deliver("issues", &closed(97)).await;
    assert_eq!(p.routed(&id).await.0, "cleanup");
    let ended = p.finished(runs[2], Duration::from_secs(10)).await;
    assert_eq!(ended.summary.status, RunStatus::Cancelled);
    assert_eq!(mirrored(&p, runs[2]).await, "cancelled");
    assert_eq!(mirrored(&p, runs[0]).await, "pending");
    // Its comment is the same one, now saying why it never started.
    let comments = p.github.comments("acme/shop", 97);
    assert_eq!(comments.len(), 1, "{comments:#?}");
    assert!(
        comments[0].1.contains("`cancelled`") && comments[0].1.contains("the Issue was closed"),
        "{}",
        comments[0].1
    );
    p.stop().await;
}

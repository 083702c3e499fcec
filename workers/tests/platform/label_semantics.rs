//! Label semantics: an open `need:input` blocks stage entry, a `run:*` label ends a live
//! discussion (and says so), comments during a discussion queue behind it and each is answered
//! once, and a cancelled run's mirror agrees with its engine run even when
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

/// A human's comment on Issue `issue` in discussion mode, with GitHub's comment id `id`.
fn discussion_comment(issue: u64, id: u64) -> Value {
    let mut c = example("issue_comment", Some("created"));
    c["repository"]["full_name"] = "acme/shop".into();
    c["issue"]["number"] = issue.into();
    c["issue"]["labels"] = json!([{ "name": "mode:discussion" }]);
    c["issue"].as_object_mut().unwrap().remove("pull_request");
    c["comment"]["id"] = id.into();
    c["sender"]["login"] = "owner".into();
    c["sender"]["type"] = "User".into();
    c
}

#[tokio::test]
async fn comments_during_a_discussion_queue_behind_it_and_each_is_answered_once() {
    let dir = std::env::temp_dir().join(format!("ck8s-talk-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let barrier = dir.join("release");
    let launches = dir.join("launches");
    let script = json!({
        "steps": [
            { "record_launch": launches.display().to_string() },
            { "wait_file": barrier.display().to_string() }
        ],
        "final_message": "answered"
    });
    let p = TestPlatform::start(Options {
        agent_script: Some(script.to_string()),
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 98, "task", &["mode:discussion"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 98, "mode:discussion", &["mode:discussion"]),
        )
        .await;
    let first = p.routed(&id).await.2.unwrap();
    let started = |n: usize| {
        let launches = launches.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let lines = std::fs::read_to_string(&launches).unwrap_or_default();
                if lines.lines().count() >= n {
                    return lines;
                }
                assert!(tokio::time::Instant::now() < deadline, "no launch #{n}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    started(1).await;
    // Two comments while the first discussion's agent talks: each starts a run, queued behind it.
    let mut queued = Vec::new();
    for comment in [9801, 9802] {
        let (id, _, _) = p
            .deliver("issue_comment", &discussion_comment(98, comment))
            .await;
        let (outcome, reason, run) = p.routed(&id).await;
        assert_eq!(outcome, "run_started", "{reason:?}");
        queued.push(run.unwrap());
    }
    for run in &queued {
        assert_eq!(mirrored(&p, *run).await, "pending");
    }
    // Released: the first answers; the next one's agent starts after both comments were made and
    // answers them; the last finds them answered and ends without an agent or a comment.
    std::fs::write(&barrier, "go").unwrap();
    for run in [first, queued[0], queued[1]] {
        let ended = p.finished(run, Duration::from_secs(30)).await;
        assert_eq!(ended.summary.status, RunStatus::Succeeded, "{run}");
    }
    let launched = started(2).await;
    assert_eq!(
        launched.lines().collect::<Vec<_>>(),
        vec![first.to_string(), queued[0].to_string()]
    );
    let answered_by: Value = sqlx::query_scalar(
        "select detail from flow_events where run_id = $1 and kind = 'discussion_already_answered'",
    )
    .bind(queued[1])
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(answered_by, json!({ "answered_by": queued[0] }));
    assert_eq!(mirrored(&p, queued[1]).await, "succeeded");
    let marker = format!("run_id={}", queued[1]);
    let status = p
        .github
        .comments("acme/shop", 98)
        .into_iter()
        .map(|(_, body)| body)
        .find(|body| body.contains(&marker))
        .expect("the queued run's status comment");
    assert!(
        status.contains(&format!(
            "discussion run {} started after this comment",
            queued[0]
        )),
        "{status}"
    );
    p.stop().await;
}

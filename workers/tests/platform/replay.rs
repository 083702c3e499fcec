//! Replay safety: one captured, signed label event re-sent under fresh `X-GitHub-Delivery` ids
//! starts one run with one status comment, and starts nothing once its label is gone.

use std::time::Duration;

use crate::support::*;

async fn stage_runs(p: &TestPlatform, issue: i64) -> Vec<uuid::Uuid> {
    sqlx::query_scalar("select id from agent_runs where issue_number = $1 and kind = 'stage'")
        .bind(issue)
        .fetch_all(&p.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn one_signed_body_sent_under_five_delivery_ids_starts_one_run_and_one_comment() {
    // Routing only at first, so every delivery is routed before the run can remove its label.
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 8)],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 90, "task", &["run:dev"]);
    let body = issue_labeled("owner", "User", 90, "run:dev", &["run:dev"]).to_string();
    let signature = workers::api::sign(SECRET.as_bytes(), body.as_bytes());
    let mut ids = Vec::new();
    for _ in 0..5 {
        let id = uuid::Uuid::new_v4().to_string();
        let (status, _, _) = p
            .post("issues", &id, body.as_bytes(), Some(signature.clone()))
            .await;
        assert_eq!(status, 202);
        ids.push(id);
    }
    let mut outcomes = Vec::new();
    let mut runs = std::collections::BTreeSet::new();
    for id in &ids {
        let (outcome, reason, run) = p.routed(id).await;
        outcomes.push((outcome, reason));
        runs.extend(run);
    }
    let started = outcomes.iter().filter(|(o, _)| o == "run_started").count();
    assert_eq!(started, 1, "{outcomes:?}");
    assert_eq!(
        outcomes
            .iter()
            .filter(|(o, r)| o == "duplicate" && r.as_deref() == Some("event_already_routed"))
            .count(),
        4,
        "{outcomes:?}"
    );
    assert_eq!(runs.len(), 1, "every delivery names the same run: {runs:?}");
    let run = *runs.first().unwrap();
    assert_eq!(stage_runs(&p, 90).await, vec![run]);
    p.start_worker(&[("stages", 2)]);
    p.finished(run, Duration::from_secs(30)).await;
    let marker = format!("run_id={run}");
    let comments: Vec<_> = p
        .github
        .comments("acme/shop", 90)
        .into_iter()
        .filter(|(_, b)| b.contains(&marker))
        .collect();
    assert_eq!(comments.len(), 1, "{comments:#?}");

    // The label is gone (the run removed it): the same body again starts nothing.
    assert!(
        !p.github
            .labels("acme/shop", 90)
            .contains(&"run:dev".to_owned())
    );
    let id = uuid::Uuid::new_v4().to_string();
    p.post("issues", &id, body.as_bytes(), Some(signature.clone()))
        .await;
    let (outcome, reason, again) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref(), again),
        ("ignored", Some("trigger_label_removed"), None)
    );
    assert_eq!(stage_runs(&p, 90).await, vec![run]);
    p.stop().await;
}

#[tokio::test]
async fn a_replayed_label_event_after_the_label_was_removed_starts_no_run() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    // The label was added (and this body captured), then removed before the body is replayed.
    p.github.add_issue("acme/shop", 91, "task", &[]);
    let body = issue_labeled("owner", "User", 91, "run:dev", &["run:dev"]).to_string();
    let signature = workers::api::sign(SECRET.as_bytes(), body.as_bytes());
    for _ in 0..5 {
        let id = uuid::Uuid::new_v4().to_string();
        p.post("issues", &id, body.as_bytes(), Some(signature.clone()))
            .await;
        let (outcome, reason, run) = p.routed(&id).await;
        assert_eq!(
            (outcome.as_str(), reason.as_deref(), run),
            ("ignored", Some("trigger_label_removed"), None)
        );
    }
    assert!(stage_runs(&p, 91).await.is_empty());
    assert!(p.github.comments("acme/shop", 91).is_empty());
    p.stop().await;
}

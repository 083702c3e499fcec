//! Owner actions through the staff API: the approvals inbox shows an agent's pending question
//! with its options, and deciding goes through the approver callback's path — exactly one of
//! two concurrent decisions wins, the other is refused as the callback would refuse it.

use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;
use workflows::approval::{ApprovalConfig, FeedbackAsk, FeedbackOption, SigningKey};

use crate::support::*;

#[tokio::test]
async fn the_inbox_shows_a_pending_question_and_exactly_one_of_two_decisions_wins() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        approval: Some(ApprovalConfig {
            signing_key: Some(SigningKey::new("owner-actions-secret")),
            callback_key: Some(SigningKey::new("owner-actions-callback-key")),
            owner_wait: Duration::from_millis(100),
            poll_every: Duration::from_millis(20),
            ..ApprovalConfig::default()
        }),
        ..Options::default()
    })
    .await;
    p.add_user("padmin", Some("admin"), false).await;
    p.add_user("rw", Some("read_write"), false).await;
    p.github.add_issue("acme/shop", 9, "ask me", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 9, "run:dev", &["run:dev"]),
        )
        .await;
    let run_id = p.routed(&delivery).await.2.expect("a stage run");
    let run = workflows::store::agent_run::get(&p.pool, run_id)
        .await
        .unwrap()
        .unwrap();
    let ask = FeedbackAsk {
        question: "Which database?".into(),
        options: vec![
            FeedbackOption {
                id: "pg".into(),
                label: "Postgres".into(),
            },
            FeedbackOption {
                id: "my".into(),
                label: "MySQL".into(),
            },
        ],
        allow_custom: false,
    };
    let pending = workflows::approval::request_feedback(
        &p.wiring.platform,
        &run,
        ask,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert!(
        matches!(pending, workflows::approval::FeedbackOutcome::Pending(_)),
        "{pending:?}"
    );
    let owner = p.token_for("owner@acme.test").await;
    let (s, inbox, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/approvals?project=acme",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(s, 200, "{inbox}");
    let item = inbox["items"][0].clone();
    assert_eq!(
        (item["kind"].as_str(), item["question"].as_str()),
        (Some("feedback"), Some("Which database?"))
    );
    assert_eq!(
        item["options"],
        json!([{ "id": "pg", "label": "Postgres" }, { "id": "my", "label": "MySQL" }])
    );
    let id = item["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/staff/approvals/{id}/decision");
    // A read_write member may not decide; an unknown option is refused like the callback refuses it.
    let rw = p.token_for("rw@acme.test").await;
    let (s, _, _) = p
        .staff_call(
            "POST",
            &path,
            Some(&rw),
            Some(json!({ "decision": "approved", "option_id": "pg" })),
        )
        .await;
    assert_eq!(s, 403);
    let (s, problem, _) = p
        .staff_call(
            "POST",
            &path,
            Some(&owner),
            Some(json!({ "decision": "approved", "option_id": "oracle" })),
        )
        .await;
    assert_eq!(
        (s, problem["code"].as_str()),
        (400, Some("invalid-answer")),
        "{problem}"
    );
    // Two decisions at once: one wins.
    let padmin = p.token_for("padmin@acme.test").await;
    let (a, b) = tokio::join!(
        p.staff_call(
            "POST",
            &path,
            Some(&owner),
            Some(json!({ "decision": "approved", "option_id": "pg" }))
        ),
        p.staff_call(
            "POST",
            &path,
            Some(&padmin),
            Some(json!({ "decision": "denied", "reason": "not now" }))
        ),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let winner = if a.0 == 200 { &a.1 } else { &b.1 };
    assert!(
        matches!(
            winner["state"].as_str(),
            Some("approved" | "denied" | "applied")
        ),
        "{winner}"
    );
    let (s, _, _) = p
        .staff_call(
            "POST",
            &path,
            Some(&owner),
            Some(json!({ "decision": "denied" })),
        )
        .await;
    assert_eq!(s, 409, "a decided request takes no other answer");
    let (_, inbox, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/approvals?project=acme",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(
        inbox["items"].as_array().map(Vec::len),
        Some(0),
        "nothing pending any more"
    );
    p.stop().await;
}

use std::time::Duration;

use engine::{RunStatus, SignalOutcome, StartOptions};
use serde_json::json;
use workflows::{
    agent_label::{AgentLabels, AgentLabelsInput, OWNER_DECISION},
    policy::{AgentLabelRequest, IssueNumber, LabelSet, Thread},
};

use crate::support::*;

fn request(issue: u64, add: &[&str]) -> AgentLabelsInput {
    AgentLabelsInput {
        repository: "acme/shop".into(),
        requested_by_run: uuid::Uuid::nil(),
        request: AgentLabelRequest {
            thread: Thread::Issue(IssueNumber(issue)),
            add: LabelSet::parse(add.iter().copied()).unwrap(),
            remove: LabelSet::default(),
        },
    }
}

async fn wait_waiting(p: &TestPlatform, run: uuid::Uuid) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while p.wiring.client.get_run(run).await.unwrap().summary.status != RunStatus::Waiting {
        assert!(tokio::time::Instant::now() < deadline, "never waited");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn an_agents_run_label_is_applied_only_after_the_owner_approves() {
    let p = TestPlatform::start(Options {
        queues: vec![("ingress", 4), ("default", 4)],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 80, "task", &[]);
    let run = p
        .wiring
        .client
        .start::<AgentLabels>(
            &request(80, &["state:in-review", "run:qa"]),
            StartOptions::default(),
        )
        .await
        .unwrap();
    wait_waiting(&p, run.id).await;
    assert_eq!(
        p.github.labels("acme/shop", 80),
        ["state:in-review"],
        "state:* applies at once, run:* waits"
    );
    let decision = json!({ "approved": true, "by": "owner" });
    assert_eq!(
        p.wiring
            .client
            .signal(run.id, OWNER_DECISION, decision, Some("approval-1"))
            .await
            .unwrap(),
        SignalOutcome::Woke
    );
    let done = p.finished(run.id, Duration::from_secs(10)).await;
    assert_eq!(
        done.output,
        Some(json!({ "outcome": "approved", "by": "owner" }))
    );
    assert!(
        p.github
            .labels("acme/shop", 80)
            .contains(&"run:qa".to_owned())
    );
    // The bot's label event counts as the approver's (qa without a candidate asks for input).
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled(BOT, "User", 80, "run:qa", &["state:in-review", "run:qa"]),
        )
        .await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("need_input", Some("issue_trigger_candidate_not_found"))
    );
    p.stop().await;
}

#[tokio::test]
async fn a_denied_request_applies_only_the_direct_changes() {
    let p = TestPlatform::start(Options {
        queues: vec![("default", 4)],
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 81, "task", &[]);
    let run = p
        .wiring
        .client
        .start::<AgentLabels>(
            &request(81, &["need:input", "run:dev"]),
            StartOptions::default(),
        )
        .await
        .unwrap();
    wait_waiting(&p, run.id).await;
    p.wiring
        .client
        .signal(
            run.id,
            OWNER_DECISION,
            json!({ "approved": false, "by": "owner" }),
            None,
        )
        .await
        .unwrap();
    let done = p.finished(run.id, Duration::from_secs(10)).await;
    assert_eq!(
        done.output,
        Some(json!({ "outcome": "denied", "by": "owner" }))
    );
    assert_eq!(p.github.labels("acme/shop", 81), ["need:input"]);
    // Only state:* / need:* labels: applied without asking.
    let direct = p
        .wiring
        .client
        .start::<AgentLabels>(&request(81, &["state:blocked"]), StartOptions::default())
        .await
        .unwrap();
    assert_eq!(
        p.finished(direct.id, Duration::from_secs(10)).await.output,
        Some(json!({ "outcome": "applied" }))
    );
    p.stop().await;
}

use std::time::Duration;

use engine::RunStatus;
use workflows::{
    policy::{Action, IssueNumber, Login, Trigger},
    transition,
};

use crate::support::*;

#[tokio::test]
async fn a_confirmed_next_step_moves_the_labels_and_its_label_event_starts_the_run_as_the_confirmer()
 {
    let p = TestPlatform::start(Options::default()).await;
    p.github.add_issue("acme/shop", 60, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 60, "run:dev", &["run:dev"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    assert_eq!(
        p.finished(run.unwrap(), Duration::from_secs(30))
            .await
            .summary
            .status,
        RunStatus::Succeeded
    );

    let owner = Login::parse("owner").unwrap();
    let action = Action::IssueStageTransition {
        issue: IssueNumber(60),
        target: Trigger::Qa,
    };
    let preview = transition::preview(&p.wiring.platform, "acme/shop", action, &owner)
        .await
        .unwrap();
    let diff = transition::execute(&p.wiring.platform, "acme/shop", &preview, &owner)
        .await
        .unwrap();
    assert_eq!(
        diff.added_labels
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
        ["run:qa"]
    );
    assert!(
        p.github
            .labels("acme/shop", 60)
            .contains(&"run:qa".to_owned())
    );

    // GitHub now sends the bot's label event; it counts as the owner's confirmation.
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled(BOT, "User", 60, "run:qa", &["state:in-review", "run:qa"]),
        )
        .await;
    let (outcome, reason, qa) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    let stage: String = sqlx::query_scalar("select stage from agent_runs where id = $1")
        .bind(qa.unwrap())
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(stage, "qa");
    let kinds: Vec<String> =
        sqlx::query_scalar("select kind from flow_events where run_id is null order by id")
            .fetch_all(&p.pool)
            .await
            .unwrap();
    assert_eq!(kinds, ["next_step_previewed", "next_step_executed"]);
    p.stop().await;
}

#[tokio::test]
async fn a_stale_preview_is_refused_and_audited() {
    let mut p = TestPlatform::start(Options {
        queues: vec![],
        ..Options::default()
    })
    .await;
    p.github
        .add_issue("acme/shop", 61, "task", &["state:in-review"]);
    let owner = Login::parse("owner").unwrap();
    let action = Action::IssueStageTransition {
        issue: IssueNumber(61),
        target: Trigger::Plan,
    };
    let preview = transition::preview(&p.wiring.platform, "acme/shop", action, &owner)
        .await
        .unwrap();
    // Someone changes the labels between preview and confirmation.
    p.wiring
        .platform
        .code_host
        .add_labels("acme/shop", 61, &["run:arch".to_owned()])
        .await
        .unwrap();
    let err = transition::execute(&p.wiring.platform, "acme/shop", &preview, &owner)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(
        !p.github
            .labels("acme/shop", 61)
            .contains(&"run:plan".to_owned())
    );
    let refused: i64 =
        sqlx::query_scalar("select count(*) from flow_events where kind = 'next_step_refused'")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(refused, 1);
    // A bot label event with no confirmation behind it starts nothing.
    p.start_worker(&[("ingress", 2)]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled(BOT, "User", 61, "run:arch", &["run:arch"]),
        )
        .await;
    assert_eq!(
        p.routed(&id).await.1.as_deref(),
        Some("sender_is_platform_bot")
    );
    p.stop().await;
}

use std::time::Duration;

use serde_json::{Value, json};
use testkit::github::Fault;
use workflows::policy::{PolicyConfig, Trigger};

use crate::support::*;

fn routing_only() -> Options {
    Options {
        queues: vec![("ingress", 8)],
        ..Options::default()
    }
}

async fn agent_row(p: &TestPlatform, run: uuid::Uuid) -> Value {
    sqlx::query_scalar::<_, Value>("select to_jsonb(a) from agent_runs a where id = $1")
        .bind(run)
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

fn snake(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

#[tokio::test]
async fn every_trigger_label_starts_the_right_stage_role_and_mode_or_says_why_not() {
    let p = TestPlatform::start(routing_only()).await;
    let modes = PolicyConfig::default().modes;
    for (i, trigger) in Trigger::ALL.into_iter().enumerate() {
        let issue = 100 + i as u64;
        let label = trigger.default_label();
        // Mixed case and padding: names match trimmed and case-insensitively.
        let sent = if i % 2 == 0 {
            format!(" {} ", label.to_uppercase())
        } else {
            label.clone()
        };
        p.github
            .add_issue("acme/shop", issue, "task", &[label.as_str()]);
        let (id, status, _) = p
            .deliver(
                "issues",
                &issue_labeled("owner", "User", issue, &sent, &[sent.as_str()]),
            )
            .await;
        assert_eq!(status, 202);
        let (outcome, reason, run) = p.routed(&id).await;
        let spec = trigger.stage().spec();
        match outcome.as_str() {
            "run_started" => {
                let row = agent_row(&p, run.unwrap()).await;
                assert_eq!(row["trigger"], snake(trigger), "{label}");
                assert_eq!(row["stage"], snake(trigger.stage()), "{label}");
                assert_eq!(row["role"], snake(spec.role), "{label}");
                assert_eq!(
                    row["execution_mode"],
                    snake(modes.for_trigger(trigger)),
                    "{label}"
                );
                assert_eq!(row["branch"], json!(format!("codex/issue-{issue}")));
            }
            // Revises that need a pull request, and late stages without a candidate, do not start.
            "failed_precondition" => assert_eq!(
                reason.as_deref(),
                Some("revise_pull_request_not_found"),
                "{label}"
            ),
            "need_input" => assert_eq!(
                reason.as_deref(),
                Some("issue_trigger_candidate_not_found"),
                "{label}"
            ),
            other => panic!("{label}: unexpected outcome {other} ({reason:?})"),
        }
    }
    let started: i64 = sqlx::query_scalar("select count(*) from agent_runs")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert!(started >= 20, "most triggers start runs: {started}");
    p.stop().await;
}

#[tokio::test]
async fn two_trigger_labels_are_a_conflict_comment_and_no_run() {
    let p = TestPlatform::start(routing_only()).await;
    p.github
        .add_issue("acme/shop", 7, "task", &["run:dev", "run:qa"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 7, "run:qa", &["run:dev", "run:qa"]),
        )
        .await;
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref(), run),
        ("conflict", Some("issue_trigger_label_conflict"), None)
    );
    let comments = p.github.comments("acme/shop", 7);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].1.contains("`run:dev`") && comments[0].1.contains("`run:qa`"),
        "{}",
        comments[0].1
    );
    p.stop().await;
}

#[tokio::test]
async fn two_model_labels_fail_the_run_with_a_clear_reason() {
    let p = TestPlatform::start(routing_only()).await;
    let labels = ["run:dev", "[ai-model-gpt-5.4]", "[ai-model-gpt-5.2]"];
    p.github.add_issue("acme/shop", 8, "task", &labels);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 8, "run:dev", &labels),
        )
        .await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("failed_precondition", Some("model_label_conflict"))
    );
    assert!(
        p.github.comments("acme/shop", 8)[0]
            .1
            .contains("failed_precondition")
    );
    p.stop().await;
}

#[tokio::test]
async fn the_actor_guard_lets_only_owners_admins_and_writers_start_runs() {
    let p = TestPlatform::start(routing_only()).await;
    p.add_user("reader", Some("read"), false).await;
    p.add_user("writer", Some("read_write"), false).await;
    p.add_user("maintainer", Some("admin"), false).await;
    p.add_user("platform-admin", None, true).await;
    p.add_user("outsider", None, false).await;
    let cases = [
        ("owner", "User", "run_started", None),
        ("platform-admin", "User", "run_started", None),
        ("maintainer", "User", "run_started", None),
        ("writer", "User", "run_started", None),
        (
            "reader",
            "User",
            "ignored",
            Some("sender_role_read_not_permitted"),
        ),
        (
            "outsider",
            "User",
            "ignored",
            Some("sender_not_project_member"),
        ),
        (
            "stranger",
            "User",
            "ignored",
            Some("sender_not_platform_user"),
        ),
        (
            "dependabot[bot]",
            "Bot",
            "ignored",
            Some("sender_not_human"),
        ),
        (BOT, "User", "ignored", Some("sender_is_platform_bot")),
    ];
    for (i, (sender, kind, outcome, reason)) in cases.into_iter().enumerate() {
        let issue = 200 + i as u64;
        p.github.add_issue("acme/shop", issue, "task", &["run:dev"]);
        let (id, _, _) = p
            .deliver(
                "issues",
                &issue_labeled(sender, kind, issue, "run:dev", &["run:dev"]),
            )
            .await;
        let (got, why, _) = p.routed(&id).await;
        assert_eq!(
            (got.as_str(), why.as_deref()),
            (outcome, reason),
            "{sender}"
        );
    }
    p.stop().await;
}

#[tokio::test]
async fn an_unbound_repository_gets_a_warning_comment() {
    let p = TestPlatform::start(routing_only()).await;
    let mut payload = issue_labeled("owner", "User", 3, "run:dev", &["run:dev"]);
    payload["repository"]["full_name"] = "other/repo".into();
    p.github.add_issue("other/repo", 3, "task", &["run:dev"]);
    let (id, _, _) = p.deliver("issues", &payload).await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("warned", Some("repository_not_bound"))
    );
    assert_eq!(p.github.comments("other/repo", 3).len(), 1);
    p.stop().await;
}

#[tokio::test]
async fn every_handled_recorded_event_is_routed_and_recorded() {
    let p = TestPlatform::start(routing_only()).await;
    let events = [
        ("issues", Some("labeled")),
        ("issues", Some("unlabeled")),
        ("issues", Some("closed")),
        ("issues", Some("deleted")),
        ("issue_comment", Some("created")),
        ("pull_request", Some("labeled")),
        ("pull_request", Some("closed")),
        ("pull_request_review", Some("submitted")),
        ("push", None),
        ("star", Some("created")),
    ];
    for (event, action) in events {
        let mut payload = example(event, action);
        payload["repository"]["full_name"] = "acme/shop".into();
        payload["sender"]["login"] = "owner".into();
        let (id, status, _) = p.deliver(event, &payload).await;
        assert_eq!(status, 202, "{event}.{action:?}");
        let (outcome, reason, _) = p.routed(&id).await;
        assert_ne!(outcome, "accepted", "{event}.{action:?}");
        assert_ne!(
            reason.as_deref(),
            Some("malformed_payload"),
            "{event}.{action:?} must parse"
        );
    }
    p.stop().await;
}

#[tokio::test]
async fn a_changes_requested_review_resolves_its_revise_from_the_linked_issue() {
    let p = TestPlatform::start(routing_only()).await;
    // A dev run on issue 9 opened PR 12 (run history links them).
    p.github.add_issue("acme/shop", 9, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 9, "run:dev", &["run:dev"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    sqlx::query(
        "update agent_runs set pull_request_number = 12, status = 'succeeded' where id = $1",
    )
    .bind(run.unwrap())
    .execute(&p.pool)
    .await
    .unwrap();
    p.github
        .add_pull_request("acme/shop", 12, "codex/issue-9", "abc123", &[]);
    let review = |state: &str, pr: u64| {
        let mut r = example("pull_request_review", Some("submitted"));
        r["repository"]["full_name"] = "acme/shop".into();
        r["sender"]["login"] = "owner".into();
        r["sender"]["type"] = "User".into();
        r["review"]["state"] = state.into();
        r["pull_request"]["number"] = pr.into();
        r["pull_request"]["labels"] = json!([]);
        r
    };
    let (id, _, _) = p
        .deliver("pull_request_review", &review("changes_requested", 12))
        .await;
    let (outcome, _, revise) = p.routed(&id).await;
    assert_eq!(outcome, "run_started");
    let row = agent_row(&p, revise.unwrap()).await;
    assert_eq!(
        (row["trigger"].as_str(), row["thread_kind"].as_str()),
        (Some("dev_revise"), Some("pull_request"))
    );
    assert_eq!(row["branch"], json!("codex/issue-9"));
    // A review without changes requested, and one on an unknown PR, start nothing.
    let (id, _, _) = p
        .deliver("pull_request_review", &review("commented", 12))
        .await;
    assert_eq!(p.routed(&id).await.0, "ignored");
    p.github
        .add_pull_request("acme/shop", 13, "feature", "def456", &[]);
    let (id, _, _) = p
        .deliver("pull_request_review", &review("changes_requested", 13))
        .await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(outcome, "need_input", "{reason:?}");
    assert!(
        p.github
            .labels("acme/shop", 13)
            .contains(&"need:input".to_owned())
    );
    p.stop().await;
}

#[tokio::test]
async fn model_and_reasoning_labels_choose_the_runs_profile() {
    let p = TestPlatform::start(routing_only()).await;
    let labels = [
        "run:plan",
        "[ai-model-gpt-5.1-codex-mini]",
        "[ai-reasoning-low]",
    ];
    p.github.add_issue("acme/shop", 30, "task", &labels);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 30, "run:plan", &labels),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    let row = agent_row(&p, run.unwrap()).await;
    assert_eq!(
        (row["model"].as_str(), row["reasoning"].as_str()),
        (Some("gpt-5.1-codex-mini"), Some("low"))
    );
    assert_eq!(
        (
            row["model_from_label"].as_bool(),
            row["reasoning_from_label"].as_bool()
        ),
        (Some(true), Some(true))
    );
    // Without labels the defaults apply.
    p.github.add_issue("acme/shop", 31, "task", &["run:plan"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 31, "run:plan", &["run:plan"]),
        )
        .await;
    let (_, _, run) = p.routed(&id).await;
    let row = agent_row(&p, run.unwrap()).await;
    assert_eq!(row["model_from_label"], json!(false));
    p.stop().await;
}

#[tokio::test]
async fn a_rate_limited_comment_waits_durably_until_the_limit_resets() {
    let p = TestPlatform::start(routing_only()).await;
    p.github
        .add_issue("acme/shop", 40, "task", &["run:dev", "run:qa"]);
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/40/comments",
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(1),
        },
        1,
    );
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 40, "run:qa", &["run:dev", "run:qa"]),
        )
        .await;
    let (outcome, _, _) = p.routed(&id).await;
    assert_eq!(outcome, "conflict");
    assert_eq!(
        p.github.comments("acme/shop", 40).len(),
        1,
        "posted once, after the wait"
    );
    let routing: uuid::Uuid =
        sqlx::query_scalar("select routing_run_id from webhook_deliveries where delivery_id = $1")
            .bind(&id)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    let run = p.wiring.client.get_run(routing).await.unwrap();
    let names: Vec<_> = run.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"sleep") && names.contains(&"post_routing_comment#1"),
        "{names:?}"
    );
    p.stop().await;
}

#[tokio::test]
async fn a_rate_limit_past_the_bound_asks_for_input_and_bad_credentials_fail_fast() {
    let p = TestPlatform::start(routing_only()).await;
    p.github
        .add_issue("acme/shop", 41, "task", &["run:dev", "run:qa"]);
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/41/comments",
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(300),
        },
        10,
    );
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 41, "run:qa", &["run:dev", "run:qa"]),
        )
        .await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("need_input", Some("github_rate_limited"))
    );
    assert!(
        p.github
            .labels("acme/shop", 41)
            .contains(&"need:input".to_owned())
    );

    p.github
        .add_issue("acme/shop", 42, "task", &["run:dev", "run:qa"]);
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/42/comments",
        Fault::BadCredentials,
        10,
    );
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 42, "run:qa", &["run:dev", "run:qa"]),
        )
        .await;
    let (outcome, reason, _) = p.routed(&id).await;
    assert_eq!(
        (outcome.as_str(), reason.as_deref()),
        ("failed", Some("routing_failed"))
    );
    let posts = p
        .github
        .requests()
        .iter()
        .filter(|r| {
            r.method == http::Method::POST && r.path == "/repos/acme/shop/issues/42/comments"
        })
        .count();
    assert_eq!(posts, 1, "bad credentials are never retried");
    p.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_delivery_logs_one_routed_line_and_each_rate_limit_wait_once_across_replays() {
    let logs = testkit::logs::Capture::default();
    let _default = logs.install(tracing_subscriber::EnvFilter::new("info"));
    let p = TestPlatform::start(routing_only()).await;
    p.github
        .add_issue("acme/shop", 43, "task", &["run:dev", "run:qa"]);
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/43/comments",
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(300),
        },
        10,
    );
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 43, "run:qa", &["run:dev", "run:qa"]),
        )
        .await;
    let (outcome, _, _) = p.routed(&id).await;
    assert_eq!(outcome, "need_input");
    // The routed line is written in the step that records the outcome, before the run ends.
    let routing: uuid::Uuid =
        sqlx::query_scalar("select routing_run_id from webhook_deliveries where delivery_id = $1")
            .bind(&id)
            .fetch_one(&p.pool)
            .await
            .unwrap();
    p.finished(routing, Duration::from_secs(20)).await;
    p.stop().await;
    let waits = logs
        .with_message("github rate limit: sleeping until it resets")
        .len();
    let bound = workflows::platform::PlatformConfig::default().github_rate_limit_waits as usize;
    assert_eq!(
        waits,
        bound,
        "one line per wait, none repeated by a replay: {}",
        logs.text()
    );
    let routed: Vec<_> = logs
        .with_message("delivery routed")
        .into_iter()
        .filter(|l| l["fields"]["delivery_id"] == id.as_str())
        .collect();
    assert_eq!(routed.len(), 1, "{}", logs.text());
    assert_eq!(routed[0]["fields"]["outcome"], "need_input");
    assert_eq!(
        logs.with_message("github rate limit past the bound: giving up")
            .len(),
        1
    );
    let payloadish = logs.text();
    assert!(!payloadish.contains("\"title\""), "no payload in the lines");
}

//! Failure causes of stage runs: a refused or rate-limited GitHub call names its HTTP status and
//! GitHub's message in the step error, the status comment and one log line; a run rate-limited past
//! the bound asks for input; a cleanup that GitHub refuses still ends the run and its mirror.

use std::time::Duration;

use engine::RunStatus;
use serde_json::Value;
use testkit::github::Fault;

use crate::support::*;

fn run_comment(p: &TestPlatform, issue: u64, run: uuid::Uuid) -> String {
    let marker = format!("run_id={run}");
    p.github
        .comments("acme/shop", issue)
        .into_iter()
        .map(|(_, b)| b)
        .find(|b| b.contains(&marker))
        .unwrap_or_else(|| panic!("no status comment of {run} on #{issue}"))
}

async fn mirror(p: &TestPlatform, run: uuid::Uuid) -> (String, Option<String>) {
    sqlx::query_as("select status, failure from agent_runs where id = $1")
        .bind(run)
        .fetch_one(&p.pool)
        .await
        .unwrap()
}

fn reactions_posted(p: &TestPlatform, issue: u64) -> usize {
    let path = format!("/repos/acme/shop/issues/{issue}/reactions");
    p.github
        .requests()
        .iter()
        .filter(|r| r.method == http::Method::POST && r.path == path)
        .count()
}

/// Delivers `run:dev` on a fresh Issue and returns the stage run routing started.
async fn start_dev_run(p: &TestPlatform, issue: u64) -> uuid::Uuid {
    p.github.add_issue("acme/shop", issue, "task", &["run:dev"]);
    let (id, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", issue, "run:dev", &["run:dev"]),
        )
        .await;
    let (outcome, reason, run) = p.routed(&id).await;
    assert_eq!(outcome, "run_started", "{reason:?}");
    run.unwrap()
}

#[tokio::test]
async fn a_stage_run_rate_limited_past_the_bound_fails_asks_for_input_and_says_why() {
    let p = TestPlatform::start(Options::default()).await;
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/60/reactions",
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(300),
        },
        10,
    );
    let run = start_dev_run(&p, 60).await;
    let done = p.finished(run, Duration::from_secs(90)).await;
    assert_eq!(done.summary.status, RunStatus::Failed, "{done:#?}");
    let error = done.error.as_ref().unwrap();
    assert_eq!(error["code"], "github_rate_limited", "{error}");
    let bound = workflows::platform::PlatformConfig::default().github_rate_limit_waits as usize;
    assert_eq!(
        reactions_posted(&p, 60),
        bound + 1,
        "one try and one per wait, none after the last"
    );
    let sleeps = done.steps.iter().filter(|s| s.name == "sleep").count();
    assert_eq!(sleeps, bound, "no sleep after the last try");
    let labels = p.github.labels("acme/shop", 60);
    assert!(labels.contains(&"need:input".to_owned()), "{labels:?}");
    let body = run_comment(&p, 60, run);
    assert!(
        body.contains("`failed`")
            && body.contains("GitHub rate-limited the platform")
            && body.contains("429")
            && body.contains("need:input"),
        "{body}"
    );
    assert_eq!(mirror(&p, run).await.0, "failed");
    p.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_github_call_names_its_status_and_message_in_the_step_error_comment_and_one_log_line()
 {
    let logs = testkit::logs::Capture::default();
    let _default = logs.install(tracing_subscriber::EnvFilter::new("info"));
    let p = TestPlatform::start(Options::default()).await;
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/61/reactions",
        Fault::BadCredentials,
        1,
    );
    let run = start_dev_run(&p, 61).await;
    let done = p.finished(run, Duration::from_secs(90)).await;
    assert_eq!(done.summary.status, RunStatus::Failed, "{done:#?}");
    let step = done
        .steps
        .iter()
        .find(|s| s.name == "pickup_reaction")
        .expect("the reaction step");
    let step_error = step.error.as_ref().expect("a step error").to_string();
    assert!(
        step_error.contains("401") && step_error.contains("Bad credentials"),
        "{step_error}"
    );
    let error = done.error.as_ref().unwrap();
    assert_eq!(error["code"], "github_bad_credentials", "{error}");
    assert_eq!(reactions_posted(&p, 61), 1, "a 401 is never retried");
    let body = run_comment(&p, 61, run);
    assert!(
        body.contains("`failed`")
            && body.contains("401")
            && body.contains("Bad credentials")
            && body.contains("token"),
        "{body}"
    );
    assert!(!body.contains(p.github.bot_token()) && !body.contains(p.github.platform_token()));
    let (status, failure) = mirror(&p, run).await;
    assert_eq!(status, "failed");
    assert!(failure.unwrap_or_default().contains("401"));
    let tokens = [
        p.github.bot_token().to_owned(),
        p.github.platform_token().to_owned(),
    ];
    p.stop().await;
    let lines: Vec<Value> = logs
        .with_message("github call failed")
        .into_iter()
        .filter(|l| l["fields"]["operation"] == "add_reaction")
        .collect();
    assert_eq!(lines.len(), 1, "one line per failure: {}", logs.text());
    let line = &lines[0];
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["fields"]["status"], 401, "{line}");
    assert_eq!(
        line["fields"]["github_message"], "Bad credentials",
        "{line}"
    );
    let text = logs.text();
    assert!(tokens.iter().all(|t| !text.contains(t.as_str())));
}

#[tokio::test(flavor = "current_thread")]
async fn a_cleanup_that_github_refuses_every_call_still_ends_the_run_and_its_mirror_with_the_cause()
{
    let logs = testkit::logs::Capture::default();
    let _default = logs.install(tracing_subscriber::EnvFilter::new("info"));
    // Routing first; the stage run starts only once every GitHub call answers 401.
    let mut p = TestPlatform::start(Options {
        queues: vec![("ingress", 4)],
        ..Options::default()
    })
    .await;
    let run = start_dev_run(&p, 62).await;
    for method in [
        http::Method::GET,
        http::Method::POST,
        http::Method::PATCH,
        http::Method::PUT,
        http::Method::DELETE,
    ] {
        p.github
            .fail_next(method, "/", Fault::BadCredentials, 1_000);
    }
    p.start_worker(&[("stages", 2)]);
    let done = p.finished(run, Duration::from_secs(90)).await;
    assert_eq!(done.summary.status, RunStatus::Failed, "{done:#?}");
    assert_eq!(
        done.error.as_ref().unwrap()["code"],
        "github_bad_credentials"
    );
    let (status, failure) = mirror(&p, run).await;
    assert_eq!(status, "failed");
    let failure = failure.expect("the mirror names the cause");
    assert!(
        failure.contains("401") && failure.contains("Bad credentials"),
        "{failure}"
    );
    // The cleanup's GitHub part failed once, with its cause, and was not retried.
    let kinds: Vec<(String, Value)> = sqlx::query_as(
        "select kind, detail from flow_events where run_id = $1 and kind like 'cleanup%' order by id",
    )
    .bind(run)
    .fetch_all(&p.pool)
    .await
    .unwrap();
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    assert_eq!(kinds[0].0, "cleanup_failed");
    let cause = kinds[0].1["error"].as_str().unwrap_or_default();
    assert!(
        cause.contains("401") && cause.contains("Bad credentials"),
        "{cause}"
    );
    // Local bookkeeping: no live token, the runtime released, the slots given back.
    let live_tokens: i64 = sqlx::query_scalar(
        "select count(*) from run_tokens where agent_run_id = $1 and revoked_at is null",
    )
    .bind(run)
    .fetch_one(&p.pool)
    .await
    .unwrap();
    assert_eq!(live_tokens, 0);
    assert!(!p.runtime_root.join(run.to_string()).exists());
    let held: i64 =
        sqlx::query_scalar("select coalesce(sum(active), 0)::int8 from concurrency_keys")
            .fetch_one(&p.pool)
            .await
            .unwrap();
    assert_eq!(held, 0, "slots given back");
    p.stop().await;
    let failed = logs.with_message("github call failed");
    let cleanup: Vec<_> = logs
        .with_message("github refused")
        .into_iter()
        .filter(|l| l["fields"]["during"] == "stage cleanup")
        .collect();
    assert_eq!(failed.len(), 1, "{}", logs.text());
    assert_eq!(cleanup.len(), 1, "{}", logs.text());
    assert_eq!(cleanup[0]["fields"]["status"], 401);
}

#[tokio::test]
async fn a_run_rate_limited_past_the_bound_is_retried_from_its_last_try_once_the_limit_resets() {
    let p = TestPlatform::start(Options {
        review_max_rounds: 0,
        ..Options::default()
    })
    .await;
    let owner = p.token_for("owner@acme.test").await;
    let bound = workflows::platform::PlatformConfig::default().github_rate_limit_waits;
    // Exactly the tries of one call: the limit has reset by the time the run is retried.
    p.github.fail_next(
        http::Method::POST,
        "/repos/acme/shop/issues/63/reactions",
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(300),
        },
        bound + 1,
    );
    let run = start_dev_run(&p, 63).await;
    let failed = p.finished(run, Duration::from_secs(90)).await;
    assert_eq!(failed.summary.status, RunStatus::Failed, "{failed:#?}");
    let last = format!("pickup_reaction#{bound}");
    let step = failed
        .steps
        .iter()
        .find(|s| s.name == last)
        .unwrap_or_else(|| panic!("{last} in {:#?}", failed.steps));
    assert_eq!(step.status, "failed");
    let step_error = step.error.as_ref().unwrap().to_string();
    assert!(step_error.contains("429"), "{step_error}");
    let (_, failure) = mirror(&p, run).await;
    assert!(
        failure
            .unwrap_or_default()
            .starts_with("github_rate_limited: ")
    );
    let (s, outcome, _) = p
        .staff_call(
            "POST",
            &format!("/api/v1/staff/runs/{run}/retry"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!((s, outcome["outcome"].as_str()), (200, Some("resumed")));
    let done = p.finished(run, Duration::from_secs(90)).await;
    assert_eq!(done.summary.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(mirror(&p, run).await, ("succeeded".to_owned(), None));
    assert_eq!(reactions_posted(&p, 63), bound as usize + 2);
    assert_eq!(p.github.reactions("acme/shop", 63).len(), 1);
    p.stop().await;
}

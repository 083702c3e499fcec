//! Failures: bounded retries of transient errors, rate-limit classification, not-found, timeouts.

use std::error::Error as _;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use http::Method;

use super::support::{REPO, start, start_with};
use crate::github::{ClientConfig, Error, Failure, Identity, RateLimitKind};
use testkit::github::Fault;

const ISSUE: &str = "/repos/acme/shop/issues/7";
const COMMENTS: &str = "/repos/acme/shop/issues/7/comments";

/// Asserts a rate limit of `kind` whose retry time is `expected` give or take two seconds.
fn assert_rate_limited(
    error: &Error,
    kind: RateLimitKind,
    expected: (DateTime<Utc>, DateTime<Utc>),
) {
    let Failure::RateLimited {
        retry_at,
        kind: got,
    } = error.classify()
    else {
        panic!("not rate limited: {error:?}");
    };
    assert_eq!(got, kind);
    let slack = TimeDelta::seconds(2);
    assert!(
        retry_at >= expected.0 - slack && retry_at <= expected.1 + slack,
        "{retry_at} not in {expected:?}"
    );
}

#[tokio::test]
async fn a_single_server_error_is_retried_and_the_call_succeeds() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake
        .fail_next(Method::GET, ISSUE, Fault::ServerError(502), 1);

    let issue = t
        .client
        .get_issue(REPO, 7)
        .await
        .expect("second attempt succeeds");

    assert_eq!(issue.number, 7);
    assert_eq!(t.requests_to(Method::GET, ISSUE).len(), 2);
}

#[tokio::test]
async fn persistent_server_errors_end_as_transient_after_three_attempts() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake
        .fail_next(Method::GET, ISSUE, Fault::ServerError(500), 10);

    let error = t
        .client
        .get_issue(REPO, 7)
        .await
        .expect_err("keeps failing");

    assert!(
        matches!(error, Error::GetIssue { number: 7, .. }),
        "{error:?}"
    );
    assert_eq!(error.classify(), Failure::Transient);
    assert_eq!(t.requests_to(Method::GET, ISSUE).len(), 3);
}

#[tokio::test]
async fn creating_a_comment_is_never_retried_inside_the_client() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake
        .fail_next(Method::POST, COMMENTS, Fault::ServerError(500), 1);

    let error = t
        .client
        .create_comment(REPO, 7, "hi")
        .await
        .expect_err("fails");

    assert_eq!(error.classify(), Failure::Transient);
    assert_eq!(t.requests_to(Method::POST, COMMENTS).len(), 1);
}

#[tokio::test]
async fn a_primary_rate_limit_waits_until_the_reset_and_is_not_retried() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake.fail_next(
        Method::POST,
        "/repos/acme/shop/issues/7/labels",
        Fault::RateLimitPrimary {
            reset_in: Duration::from_secs(600),
        },
        5,
    );
    let before = Utc::now();

    let error = t
        .client
        .add_labels(REPO, 7, &["run:dev".to_owned()])
        .await
        .expect_err("limited");

    let reset_plus_margin = TimeDelta::seconds(605);
    assert_rate_limited(
        &error,
        RateLimitKind::Primary,
        (before + reset_plus_margin, Utc::now() + reset_plus_margin),
    );
    assert_eq!(error.identity(), Some(Identity::Bot));
    assert_eq!(t.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_secondary_rate_limit_with_retry_after_waits_that_long() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake.fail_next(
        Method::GET,
        ISSUE,
        Fault::RateLimitSecondary {
            retry_after: Some(Duration::from_secs(90)),
        },
        1,
    );
    let before = Utc::now();

    let error = t.client.get_issue(REPO, 7).await.expect_err("limited");

    let wait = TimeDelta::seconds(90);
    assert_rate_limited(
        &error,
        RateLimitKind::Secondary,
        (before + wait, Utc::now() + wait),
    );
    assert_eq!(error.identity(), Some(Identity::Platform));
    assert_eq!(t.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_secondary_rate_limit_without_a_hint_waits_a_minute() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake.fail_next(
        Method::GET,
        ISSUE,
        Fault::RateLimitSecondary { retry_after: None },
        1,
    );
    let before = Utc::now();

    let error = t.client.get_issue(REPO, 7).await.expect_err("limited");

    let wait = TimeDelta::seconds(60);
    assert_rate_limited(
        &error,
        RateLimitKind::Secondary,
        (before + wait, Utc::now() + wait),
    );
}

#[tokio::test]
async fn too_many_requests_with_retry_after_is_a_secondary_rate_limit() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake.fail_next(
        Method::POST,
        "/repos/acme/shop/issues/7/reactions",
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(3),
        },
        1,
    );
    let before = Utc::now();

    let error = t
        .client
        .add_reaction(REPO, 7, crate::github::Reaction::Eyes)
        .await
        .expect_err("limited");

    let wait = TimeDelta::seconds(3);
    assert_rate_limited(
        &error,
        RateLimitKind::Secondary,
        (before + wait, Utc::now() + wait),
    );
}

#[tokio::test]
async fn a_missing_issue_is_not_found_and_not_retried() {
    let t = start().await;

    let error = t.client.get_issue(REPO, 404).await.expect_err("missing");

    assert_eq!(error.classify(), Failure::NotFound);
    assert_eq!(t.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_stalled_answer_times_out_as_transient_after_bounded_attempts() {
    let t = start_with(|config| ClientConfig {
        request_timeout: Duration::from_millis(150),
        ..config
    })
    .await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake
        .fail_next(Method::GET, ISSUE, Fault::Stall(Duration::from_secs(30)), 3);

    let error = t.client.get_issue(REPO, 7).await.expect_err("times out");

    assert_eq!(error.classify(), Failure::Transient);
    assert!(
        error
            .source()
            .is_some_and(|s| s.to_string().contains("no answer within")),
        "{error:?}"
    );
    assert_eq!(t.requests_to(Method::GET, ISSUE).len(), 3);
}

//! Credentials: rejected tokens fail fast, bad settings are named, and no token leaks into errors.

use std::error::Error as _;
use std::time::Duration;

use http::Method;

use super::support::{REPO, start, start_with};
use crate::github::{ClientConfig, Error, Failure, GitHubClient, Token};
use testkit::github::Fault;

const ISSUE: &str = "/repos/acme/shop/issues/7";

#[tokio::test]
async fn bad_credentials_fail_fast_with_exactly_one_request() {
    let t = start().await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    t.fake
        .fail_next(Method::GET, ISSUE, Fault::BadCredentials, 5);

    let error = t.client.get_issue(REPO, 7).await.expect_err("rejected");

    assert_eq!(error.classify(), Failure::BadCredentials);
    assert_eq!(t.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_token_github_does_not_know_is_bad_credentials() {
    let t = start_with(|config| ClientConfig {
        bot_token: Token::new("ghp_revoked"),
        ..config
    })
    .await;
    t.fake.add_issue(REPO, 7, "x", &[]);

    let error = t
        .client
        .list_issue_labels(REPO, 7)
        .await
        .expect_err("rejected");

    assert_eq!(error.classify(), Failure::BadCredentials);
    assert_eq!(t.fake.requests().len(), 1);
}

#[tokio::test]
async fn invalid_settings_name_the_bad_field() {
    let config = ClientConfig::new(Token::new("p"), Token::new("b"));
    let cases = [
        (
            "platform_token",
            ClientConfig {
                platform_token: Token::new(" "),
                ..config.clone()
            },
        ),
        (
            "bot_token",
            ClientConfig {
                bot_token: Token::new(""),
                ..config.clone()
            },
        ),
        (
            "base_url",
            ClientConfig {
                base_url: "api.github.com".into(),
                ..config.clone()
            },
        ),
        (
            "request_timeout",
            ClientConfig {
                request_timeout: Duration::ZERO,
                ..config.clone()
            },
        ),
    ];
    for (field, bad) in cases {
        match GitHubClient::new(bad) {
            Err(Error::InvalidConfig { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn no_token_appears_in_any_error_message() {
    let t = start_with(|config| ClientConfig {
        request_timeout: Duration::from_millis(100),
        ..config
    })
    .await;
    t.fake.add_issue(REPO, 7, "x", &[]);
    let faults = [
        Fault::BadCredentials,
        Fault::ServerError(503),
        Fault::RateLimitPrimary {
            reset_in: Duration::from_secs(60),
        },
        Fault::RateLimitSecondary {
            retry_after: Some(Duration::from_secs(5)),
        },
        Fault::Stall(Duration::from_secs(30)),
    ];
    let mut errors = Vec::new();
    for fault in faults {
        t.fake.fail_next(Method::GET, ISSUE, fault, 3);
        errors.push(t.client.get_issue(REPO, 7).await.expect_err("fails"));
    }
    errors.push(t.client.get_issue(REPO, 404).await.expect_err("missing"));
    let revoked = start_with(|config| ClientConfig {
        platform_token: Token::new("ghp_revokedsecret"),
        ..config
    })
    .await;
    errors.push(
        revoked
            .client
            .get_issue(REPO, 7)
            .await
            .expect_err("revoked"),
    );

    let secrets = [
        Token::new(t.fake.platform_token()),
        Token::new(t.fake.bot_token()),
        Token::new("ghp_revokedsecret"),
    ];
    for error in &errors {
        let mut texts = vec![
            format!("{error}"),
            format!("{error:?}"),
            format!("{error:#?}"),
        ];
        let mut cause = error.source();
        while let Some(inner) = cause {
            texts.push(inner.to_string());
            cause = inner.source();
        }
        for text in &texts {
            for secret in &secrets {
                assert!(!text.contains(secret.expose()), "token leaked in {text}");
            }
        }
    }
    assert!(format!("{:?}", t.client).contains("GitHubClient"));
}

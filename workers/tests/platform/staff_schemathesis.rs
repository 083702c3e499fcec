//! schemathesis (PyPI) against the running staff API with the contract, as an authorized owner
//! and as an unauthorized caller: no 5xx, every status, content type, header and body as the
//! contract documents it, unsupported methods refused, and authentication never ignored.

use std::{process::Command, time::Duration};

use testkit::oauth::FakeOAuth;
use workers::api::staff::{jwt::JwtKeys, oauth::OAuthConfig, reads::Reads};
use workflows::{approval::ApprovalConfig, approval::SigningKey, vault::Vault};

use crate::support::*;

fn schemathesis(url: &str, token: Option<&str>) -> (bool, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/schemathesis.sh");
    let mut cmd = Command::new(script);
    cmd.arg(url);
    if let Some(t) = token {
        cmd.arg(t);
    }
    let out = cmd.output().expect("run tests/schemathesis.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_contract() {
    let fake = FakeOAuth::start("cid", "csecret").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let oauth = OAuthConfig {
        client_id: "cid".into(),
        client_secret: "csecret".parse().unwrap(),
        web_url: fake.base_url(),
        api_url: fake.base_url(),
        redirect_url: format!("{base}/api/v1/staff/auth/github/callback"),
    };
    let p = TestPlatform::start(Options {
        approval: Some(ApprovalConfig {
            signing_key: Some(SigningKey::new("schemathesis-approver-secret")),
            callback_key: Some(SigningKey::new("schemathesis-callback-key")),
            ..ApprovalConfig::default()
        }),
        staff: Some(Box::new(move |pool| {
            workers::api::StaffState::new(
                JwtKeys::generate("t", Duration::from_secs(3600)),
                Some(Vault::parse(&Vault::generate_entry("k1"), None).unwrap()),
                Some(oauth),
                Reads::primary_only(pool),
            )
        })),
        ..Options::default()
    })
    .await;
    p.github.add_issue("acme/shop", 1, "fuzzed", &["run:dev"]);
    let (delivery, _, _) = p
        .deliver(
            "issues",
            &issue_labeled("owner", "User", 1, "run:dev", &["run:dev"]),
        )
        .await;
    let run = p.routed(&delivery).await.2.expect("a stage run");
    p.finished(run, Duration::from_secs(60)).await;
    let router = p.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    let token = p.token_for("owner@acme.test").await;
    let (url, tok) = (base.clone(), token.clone());
    let (owner_ok, owner_report) =
        tokio::task::spawn_blocking(move || schemathesis(&url, Some(&tok)))
            .await
            .unwrap();
    let url = base.clone();
    let (anon_ok, anon_report) = tokio::task::spawn_blocking(move || schemathesis(&url, None))
        .await
        .unwrap();
    server.abort();
    assert!(owner_ok, "as the owner:\n{owner_report}");
    assert!(anon_ok, "unauthorized:\n{anon_report}");
    assert!(
        !owner_report.contains(&token),
        "the token is filtered from reports"
    );
    p.stop().await;
}

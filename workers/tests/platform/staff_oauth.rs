//! Staff login: GitHub OAuth (authorization code, state, PKCE) against a fake GitHub on
//! 127.0.0.1, and the JWTs it issues (expiry, tampering, key rotation).

use std::time::Duration;

use serde_json::Value;
use testkit::oauth::{Account, FakeOAuth};
use workers::api::staff::{jwt::JwtKeys, oauth::OAuthConfig, reads::Reads};

use crate::support::*;

const K1: &str = "k1=first-signing-secret-0123456789abcdef";
const K2: &str = "k2=second-signing-secret-0123456789abcdef";

async fn platform(fake: &FakeOAuth, keys: JwtKeys) -> TestPlatform {
    let oauth = OAuthConfig {
        client_id: "cid".into(),
        client_secret: "csecret".parse().unwrap(),
        web_url: fake.base_url(),
        api_url: fake.base_url(),
        redirect_url: "http://127.0.0.1/api/v1/staff/auth/github/callback".into(),
    };
    TestPlatform::start(Options {
        queues: vec![],
        staff: Some(Box::new(move |pool| {
            workers::api::StaffState::new(keys, None, Some(oauth), Reads::primary_only(pool))
        })),
        ..Options::default()
    })
    .await
}

fn query_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name} in {url}"))
        .1
}

/// Starts a login; returns the state and the PKCE challenge it sent to GitHub.
async fn start_login(p: &TestPlatform) -> (String, String) {
    let response = tower::ServiceExt::oneshot(
        p.router.clone(),
        axum::http::Request::get("/api/v1/staff/auth/github/login")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/login/oauth/authorize?client_id=cid"),
        "{location}"
    );
    assert_eq!(query_param(&location, "code_challenge_method"), "S256");
    (
        query_param(&location, "state"),
        query_param(&location, "code_challenge"),
    )
}

/// A whole login of `account`: start, GitHub grants a code, callback.
async fn login(p: &TestPlatform, fake: &FakeOAuth, account: Account) -> (u16, Value) {
    let (state, challenge) = start_login(p).await;
    let code = uuid::Uuid::new_v4().simple().to_string();
    fake.grant(&code, &challenge, account);
    let (status, body, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/auth/github/callback?code={code}&state={state}"),
            None,
            None,
        )
        .await;
    (status, body)
}

fn account(email: &str, verified: bool) -> Account {
    Account {
        id: 4242,
        login: "Owner-GH".into(),
        emails: vec![
            ("someone@elsewhere.test".into(), true),
            (email.into(), verified),
        ],
    }
}

#[tokio::test]
async fn a_known_verified_email_is_admitted_with_a_fifteen_minute_bearer_jwt() {
    let fake = FakeOAuth::start("cid", "csecret").await.unwrap();
    let p = platform(
        &fake,
        JwtKeys::parse(K1, None, Duration::from_secs(900)).unwrap(),
    )
    .await;
    let (status, body) = login(&p, &fake, account("OWNER@acme.test", true)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["token_type"].as_str(), body["expires_in"].as_i64()),
        (Some("Bearer"), Some(900))
    );
    let token = body["access_token"].as_str().unwrap();
    let (status, me, _) = p
        .staff_call("GET", "/api/v1/staff/me", Some(token), None)
        .await;
    assert_eq!(
        (status, me["user"]["email"].as_str()),
        (200, Some("owner@acme.test"))
    );
    assert_eq!(
        me["user"]["github_login"], "owner-gh",
        "the login is bound at sign-in"
    );
    p.stop().await;
}

#[tokio::test]
async fn an_unknown_or_unverified_email_is_refused_and_nobody_signs_up() {
    let fake = FakeOAuth::start("cid", "csecret").await.unwrap();
    let p = platform(
        &fake,
        JwtKeys::parse(K1, None, Duration::from_secs(900)).unwrap(),
    )
    .await;
    let (status, body) = login(&p, &fake, account("stranger@acme.test", true)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("not-registered")),
        "{body}"
    );
    let (status, body) = login(&p, &fake, account("owner@acme.test", false)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("email-unverified")),
        "{body}"
    );
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&p.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "no self-signup");
    p.stop().await;
}

#[tokio::test]
async fn a_state_mismatch_a_replayed_state_or_a_wrong_verifier_is_refused() {
    let fake = FakeOAuth::start("cid", "csecret").await.unwrap();
    let p = platform(
        &fake,
        JwtKeys::parse(K1, None, Duration::from_secs(900)).unwrap(),
    )
    .await;
    // A state this server never issued: refused before GitHub is asked.
    let (_, challenge) = start_login(&p).await;
    fake.grant("c1", &challenge, account("owner@acme.test", true));
    let (status, body, _) = p
        .staff_call(
            "GET",
            "/api/v1/staff/auth/github/callback?code=c1&state=forged",
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad-state")),
        "{body}"
    );
    assert_eq!(fake.exchanges(), 0);
    // A state is good once.
    let (state, challenge) = start_login(&p).await;
    fake.grant("c2", &challenge, account("owner@acme.test", true));
    let url = format!("/api/v1/staff/auth/github/callback?code=c2&state={state}");
    assert_eq!(p.staff_call("GET", &url, None, None).await.0, 200);
    let (status, body, _) = p.staff_call("GET", &url, None, None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad-state")));
    // A code granted to another login's challenge fails PKCE at GitHub.
    let (state, _) = start_login(&p).await;
    fake.grant(
        "c3",
        "someone-elses-challenge",
        account("owner@acme.test", true),
    );
    let (status, body, _) = p
        .staff_call(
            "GET",
            &format!("/api/v1/staff/auth/github/callback?code=c3&state={state}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("code-refused")),
        "{body}"
    );
    p.stop().await;
}

#[tokio::test]
async fn expired_and_tampered_jwts_are_refused_and_a_rotated_key_still_verifies_its_kid() {
    let fake = FakeOAuth::start("cid", "csecret").await.unwrap();
    let ttl = Duration::from_secs(900);
    let rotated = JwtKeys::parse(&format!("{K1},{K2}"), Some("k2"), ttl).unwrap();
    let p = platform(&fake, rotated).await;
    let owner = workflows::store::directory::get_user_by_email(&p.pool, "owner@acme.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    let before_rotation = JwtKeys::parse(K1, None, ttl).unwrap();
    let old = before_rotation.issue(owner);
    assert_eq!(
        p.staff_call("GET", "/api/v1/staff/me", Some(&old), None)
            .await
            .0,
        200,
        "k1 still verifies"
    );
    let new = p.token_for("owner@acme.test").await;
    assert_eq!(
        p.staff_call("GET", "/api/v1/staff/me", Some(&new), None)
            .await
            .0,
        200
    );
    let expired = before_rotation.issue_at(owner, chrono::Utc::now().timestamp() - 3600);
    let (status, body, _) = p
        .staff_call("GET", "/api/v1/staff/me", Some(&expired), None)
        .await;
    assert_eq!(status, 401);
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    let mut tampered = new.clone().into_bytes();
    let i = tampered.len() - 3;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        p.staff_call("GET", "/api/v1/staff/me", Some(&tampered), None)
            .await
            .0,
        401
    );
    let removed_kid = JwtKeys::parse("k3=a-removed-key-0123456789abcdefghijkl", None, ttl)
        .unwrap()
        .issue(owner);
    assert_eq!(
        p.staff_call("GET", "/api/v1/staff/me", Some(&removed_kid), None)
            .await
            .0,
        401
    );
    p.stop().await;
}

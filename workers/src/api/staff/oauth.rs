//! GitHub OAuth for staff: authorization code with `state` and PKCE (S256). The login start stores
//! the state (as sha256) with its code verifier; the callback uses the state once, exchanges the
//! code with the verifier, reads the account's emails and admits it only when a verified email
//! belongs to a registered user (no self-signup). The answer is a staff JWT; no cookie is set.
//! Every call to GitHub has a timeout; no token, code or email is logged.

use std::time::Duration;

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use workflows::store::{directory, oauth_login};

use super::{extract::Params, wire};
use crate::{
    api::{ApiError, AppState},
    config::Secret,
};

/// How long a login may take between start and callback.
const LOGIN_TTL_SECS: f64 = 600.0;
/// Bound of each call to GitHub.
const GITHUB_TIMEOUT: Duration = Duration::from_secs(10);

/// GitHub OAuth settings.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The OAuth app's client id.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: Secret,
    /// GitHub's web base URL (`https://github.com`; a fake in tests).
    pub web_url: String,
    /// GitHub's API base URL (`https://api.github.com`).
    pub api_url: String,
    /// Where GitHub sends the browser back (this API's callback route).
    pub redirect_url: String,
}

/// The login routes (no bearer token: they issue one).
pub(super) fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/api/v1/staff/auth/github/login", get(start))
        .route("/api/v1/staff/auth/github/callback", get(finish))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .unwrap_or_default()
        .trim_start_matches("v=")
        .to_owned()
}

fn config(state: &AppState) -> Result<&OAuthConfig, ApiError> {
    state.staff.oauth.as_ref().ok_or(ApiError::NotConfigured(
        "GitHub OAuth (CK8S_GITHUB_OAUTH_CLIENT_ID)",
    ))
}

async fn start(State(state): State<AppState>) -> Result<Response, ApiError> {
    let oauth = config(&state)?;
    let login_state = random_token();
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    oauth_login::insert(
        state.client.pool(),
        &sha256_hex(&login_state),
        &verifier,
        LOGIN_TTL_SECS,
    )
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    let url = format!(
        "{}/login/oauth/authorize?client_id={}&redirect_uri={}&scope={}&state={}&code_challenge={}&code_challenge_method=S256",
        oauth.web_url.trim_end_matches('/'),
        encode(&oauth.client_id),
        encode(&oauth.redirect_url),
        encode("read:user user:email"),
        login_state,
        challenge,
    );
    Ok((StatusCode::FOUND, [(header::LOCATION, url)]).into_response())
}

/// The callback's query.
#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: String,
    state: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: i64,
    login: String,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    verified: bool,
}

fn refused(code: &'static str, message: &str, status: StatusCode) -> ApiError {
    ApiError::LoginRefused {
        code,
        message: message.to_owned(),
        status,
    }
}

fn upstream(what: &str, e: impl std::fmt::Display) -> ApiError {
    // reqwest errors name the URL (no token or code is ever in one); the client gets a generic message.
    tracing::warn!(error.message = %e, what, "GitHub OAuth call failed");
    ApiError::Upstream(format!("GitHub {what} failed"))
}

async fn finish(
    State(state): State<AppState>,
    Params(q): Params<CallbackQuery>,
) -> Result<Json<wire::AccessToken>, ApiError> {
    let oauth = config(&state)?;
    let pool = state.client.pool();
    let verifier = oauth_login::take(pool, &sha256_hex(&q.state))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or_else(|| {
            refused(
                "bad-state",
                "the login state is unknown, used or expired: start the login again",
                StatusCode::BAD_REQUEST,
            )
        })?;
    let http = reqwest::Client::builder()
        .timeout(GITHUB_TIMEOUT)
        .build()
        .map_err(|e| ApiError::Internal(e.into()))?;
    let form = [
        ("client_id", oauth.client_id.as_str()),
        ("client_secret", oauth.client_secret.expose()),
        ("code", q.code.as_str()),
        ("redirect_uri", oauth.redirect_url.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let answer: TokenAnswer = http
        .post(format!(
            "{}/login/oauth/access_token",
            oauth.web_url.trim_end_matches('/')
        ))
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).map_err(|e| ApiError::Internal(e.into()))?)
        .send()
        .await
        .map_err(|e| upstream("code exchange", e))?
        .json()
        .await
        .map_err(|e| upstream("code exchange", e))?;
    let Some(github_token) = answer.access_token else {
        let _ = answer.error;
        return Err(refused(
            "code-refused",
            "GitHub refused the authorization code",
            StatusCode::FORBIDDEN,
        ));
    };
    let api = oauth.api_url.trim_end_matches('/');
    let get = |path: &str| {
        http.get(format!("{api}{path}"))
            .bearer_auth(&github_token)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header(header::USER_AGENT, "codex-k8s")
            .send()
    };
    let account: GitHubUser = get("/user")
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| upstream("user lookup", e))?
        .json()
        .await
        .map_err(|e| upstream("user lookup", e))?;
    let emails: Vec<GitHubEmail> = get("/user/emails")
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| upstream("email lookup", e))?
        .json()
        .await
        .map_err(|e| upstream("email lookup", e))?;
    let (verified, unverified): (Vec<_>, Vec<_>) = emails.into_iter().partition(|e| e.verified);
    let verified: Vec<String> = verified
        .into_iter()
        .map(|e| e.email.to_lowercase())
        .collect();
    let internal = |e: workflows::Error| ApiError::Internal(e.into());
    let Some(user) = directory::get_user_by_emails(pool, &verified)
        .await
        .map_err(internal)?
    else {
        let unverified: Vec<String> = unverified
            .into_iter()
            .map(|e| e.email.to_lowercase())
            .collect();
        let known_unverified = directory::get_user_by_emails(pool, &unverified)
            .await
            .map_err(internal)?
            .is_some();
        tracing::info!(
            github_user_id = account.id,
            known_unverified,
            "staff login refused"
        );
        return Err(if known_unverified {
            refused(
                "email-unverified",
                "the matching email is not verified on GitHub",
                StatusCode::FORBIDDEN,
            )
        } else {
            refused(
                "not-registered",
                "no verified email of this GitHub account is registered",
                StatusCode::FORBIDDEN,
            )
        });
    };
    directory::record_login(pool, user.id, &account.login, account.id)
        .await
        .map_err(|e| match workflows::directory::DirectoryError::from(e) {
            workflows::directory::DirectoryError::Conflict { .. } => refused(
                "login-taken",
                "this GitHub account is bound to another user",
                StatusCode::FORBIDDEN,
            ),
            other => ApiError::Internal(other.into()),
        })?;
    tracing::info!(user_id = %user.id, "staff login");
    Ok(Json(wire::AccessToken {
        access_token: state.staff.jwt.issue(user.id),
        token_type: wire::AccessTokenTokenType::Bearer,
        expires_in: i64::try_from(state.staff.jwt.ttl().as_secs()).unwrap_or(i64::MAX),
    }))
}

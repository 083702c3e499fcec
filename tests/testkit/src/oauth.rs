//! A fake GitHub OAuth server and the slice of the REST API a login reads, on 127.0.0.1.
//!
//! It speaks the real protocol: `POST /login/oauth/access_token` (form: `client_id`,
//! `client_secret`, `code`, `redirect_uri`, `code_verifier`; JSON answer with `access_token` or
//! `error`), then `GET /user` and `GET /user/emails` with `Authorization: Bearer`. A test grants a
//! code to an account with [`FakeOAuth::grant`], naming the PKCE challenge the login start sent;
//! the exchange succeeds only with the verifier of that challenge and the right client secret.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Form, Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// A GitHub account as the fake knows it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Numeric id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Emails with whether GitHub verified them.
    pub emails: Vec<(String, bool)>,
}

#[derive(Default)]
struct Inner {
    /// code -> (PKCE challenge, account)
    codes: HashMap<String, (String, Account)>,
    /// access token -> account
    tokens: HashMap<String, Account>,
    exchanges: usize,
}

#[derive(Clone)]
struct Shared {
    client_id: String,
    client_secret: String,
    inner: Arc<Mutex<Inner>>,
}

/// The running fake; stops when dropped.
pub struct FakeOAuth {
    addr: SocketAddr,
    shared: Shared,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl FakeOAuth {
    /// Starts the fake for an OAuth app with this client id and secret.
    pub async fn start(client_id: &str, client_secret: &str) -> std::io::Result<Self> {
        let shared = Shared {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            inner: Arc::default(),
        };
        let router = Router::new()
            .route("/login/oauth/access_token", post(exchange))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shared,
            _stop: stop,
        })
    }

    /// Base URL (web and API: both paths are served here).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Grants `code` to `account`, for a login whose PKCE challenge is `challenge`.
    pub fn grant(&self, code: &str, challenge: &str, account: Account) {
        let mut inner = self.shared.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .codes
            .insert(code.to_owned(), (challenge.to_owned(), account));
    }

    /// How many code exchanges were attempted.
    pub fn exchanges(&self) -> usize {
        self.shared
            .inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .exchanges
    }
}

#[derive(Deserialize)]
struct ExchangeForm {
    client_id: String,
    client_secret: String,
    code: String,
    code_verifier: Option<String>,
}

async fn exchange(State(s): State<Shared>, Form(f): Form<ExchangeForm>) -> Response {
    let mut inner = s.inner.lock().unwrap_or_else(|e| e.into_inner());
    inner.exchanges += 1;
    if f.client_id != s.client_id || f.client_secret != s.client_secret {
        return Json(json!({ "error": "incorrect_client_credentials" })).into_response();
    }
    let Some((challenge, account)) = inner.codes.remove(&f.code) else {
        return Json(json!({ "error": "bad_verification_code" })).into_response();
    };
    let verified = f
        .code_verifier
        .map(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == challenge)
        .unwrap_or(false);
    if !verified {
        return Json(json!({ "error": "bad_verification_code", "error_description": "PKCE verification failed" }))
            .into_response();
    }
    let token = format!("gho_{}", uuid::Uuid::new_v4().simple());
    inner.tokens.insert(token.clone(), account);
    Json(json!({ "access_token": token, "token_type": "bearer", "scope": "read:user,user:email" }))
        .into_response()
}

fn account(s: &Shared, headers: &HeaderMap) -> Option<Account> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .to_owned();
    s.inner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .tokens
        .get(&token)
        .cloned()
}

async fn user(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match account(&s, &headers) {
        Some(a) => Json(json!({ "id": a.id, "login": a.login })).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Bad credentials" })),
        )
            .into_response(),
    }
}

async fn emails(State(s): State<Shared>, headers: HeaderMap) -> Response {
    match account(&s, &headers) {
        Some(a) => {
            let list: Vec<_> = a
                .emails
                .iter()
                .enumerate()
                .map(|(i, (email, verified))| json!({ "email": email, "verified": verified, "primary": i == 0, "visibility": null }))
                .collect();
            Json(list).into_response()
        }
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Bad credentials" })),
        )
            .into_response(),
    }
}

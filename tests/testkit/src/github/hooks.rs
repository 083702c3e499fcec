//! Repository webhooks: `GET`/`POST /repos/{o}/{r}/hooks` and `PATCH …/hooks/{id}`, with GitHub's
//! 422 for a second hook with the same URL and its masked secret in every answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json;
use super::route::reply;
use super::server::Shared;

/// A hook as the fake stores it (the secret in the clear, for tests to check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredHook {
    /// GitHub's id.
    pub id: u64,
    /// Where deliveries go.
    pub url: String,
    /// The signing secret, if set.
    pub secret: Option<String>,
    /// `json` or `form`.
    pub content_type: String,
    /// Delivered events.
    pub events: Vec<String>,
    /// Whether deliveries are sent.
    pub active: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct HookConfig {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct HookWrite {
    #[serde(default)]
    config: Option<HookConfig>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    active: Option<bool>,
}

fn view(base: &str, repo: &str, h: &StoredHook) -> Value {
    json!({
        "type": "Repository",
        "id": h.id,
        "name": "web",
        "active": h.active,
        "events": h.events,
        "config": {
            "url": h.url,
            "content_type": h.content_type,
            "insecure_ssl": "0",
            "secret": h.secret.as_ref().map(|_| "********"),
        },
        "url": format!("{base}/repos/{repo}/hooks/{}", h.id),
        "updated_at": "2026-01-01T00:00:00Z",
        "created_at": "2026-01-01T00:00:00Z",
    })
}

pub(super) async fn list_hooks(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let hooks = shared.lock().hooks_of(&repo).to_vec();
    let body: Vec<Value> = hooks
        .iter()
        .map(|h| view(&shared.base_url, &repo, h))
        .collect();
    reply(StatusCode::OK, Value::Array(body))
}

pub(super) async fn create_hook(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Json(new): Json<HookWrite>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let Some(config) = new.config else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Invalid request"),
        );
    };
    let Some(url) = config.url else {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Invalid request"),
        );
    };
    let mut state = shared.lock();
    if state.hooks_of(&repo).iter().any(|h| h.url == url) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Validation Failed: Hook already exists on this repository"),
        );
    }
    let hook = StoredHook {
        id: state.next_id(),
        url,
        secret: config.secret,
        content_type: config.content_type.unwrap_or_else(|| "form".into()),
        events: new.events.unwrap_or_else(|| vec!["push".into()]),
        active: new.active.unwrap_or(true),
    };
    state.hooks_mut(&repo).push(hook.clone());
    reply(StatusCode::CREATED, view(&shared.base_url, &repo, &hook))
}

pub(super) async fn update_hook(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(change): Json<HookWrite>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let Some(hook) = state.hooks_mut(&repo).iter_mut().find(|h| h.id == id) else {
        return reply(StatusCode::NOT_FOUND, json::error("Not Found"));
    };
    if let Some(config) = change.config {
        if let Some(url) = config.url {
            hook.url = url;
        }
        if let Some(content_type) = config.content_type {
            hook.content_type = content_type;
        }
        if config.secret.is_some() {
            hook.secret = config.secret;
        }
    }
    if let Some(events) = change.events {
        hook.events = events;
    }
    if let Some(active) = change.active {
        hook.active = active;
    }
    let hook = hook.clone();
    reply(StatusCode::OK, view(&shared.base_url, &repo, &hook))
}

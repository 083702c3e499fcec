//! Repositories and pull request writes: `GET /repos/{o}/{r}` (with the clone URL a test set, e.g.
//! the [`GitServer`](crate::git::GitServer)'s), `POST …/pulls` and `PATCH …/pulls/{n}`, with
//! GitHub's 422 for a second open pull request of the same head and base.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::gate::login;
use super::json;
use super::route::reply;
use super::server::{Auth, Shared};
use super::state::PullRefs;

pub(super) async fn get_repo(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let clone_url = shared.lock().clone_urls.get(&repo.to_lowercase()).cloned();
    let mut body = json::repository(&shared.base_url, &repo);
    if let Some(url) = clone_url {
        body["clone_url"] = url.into();
    }
    reply(StatusCode::OK, body)
}

#[derive(Deserialize)]
pub(super) struct NewPull {
    title: String,
    head: String,
    base: String,
    #[serde(default)]
    body: Option<String>,
}

pub(super) async fn create_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Extension(auth): Extension<Auth>,
    Json(new): Json<NewPull>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let head = new
        .head
        .split_once(':')
        .map_or(new.head.as_str(), |(_, b)| b)
        .to_owned();
    let mut state = shared.lock();
    let taken = state.threads(&repo).any(|t| {
        t.open
            && t.pull
                .as_ref()
                .is_some_and(|p| p.head_ref == head && p.base_ref == new.base)
    });
    if taken {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error(&format!(
                "A pull request already exists for {owner}:{head}."
            )),
        );
    }
    let number = state.threads(&repo).map(|t| t.number).max().unwrap_or(0) + 1;
    let head_sha = state
        .heads
        .get(&(repo.to_lowercase(), head.clone()))
        .cloned()
        .unwrap_or_default();
    let thread = state.new_thread(&repo, number, &new.title, login(auth));
    thread.body = new.body;
    thread.pull = Some(PullRefs {
        head_ref: head,
        head_sha,
        base_ref: new.base,
    });
    let thread = thread.clone();
    let pull = json::pull(&shared.base_url, &repo, &thread, &[]);
    pull.map_or_else(
        || reply(StatusCode::INTERNAL_SERVER_ERROR, json::error("no pull")),
        |p| reply(StatusCode::CREATED, p),
    )
}

#[derive(Deserialize)]
pub(super) struct PullUpdate {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

pub(super) async fn update_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(update): Json<PullUpdate>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let Some(thread) = state.thread_mut(&repo, number).filter(|t| t.pull.is_some()) else {
        return reply(StatusCode::NOT_FOUND, json::error("Not Found"));
    };
    if let Some(title) = update.title {
        thread.title = title;
    }
    if let Some(body) = update.body {
        thread.body = Some(body);
    }
    if let Some(s) = update.state {
        thread.open = s == "open";
    }
    let thread = thread.clone();
    let pull = json::pull(&shared.base_url, &repo, &thread, &[]);
    pull.map_or_else(
        || reply(StatusCode::INTERNAL_SERVER_ERROR, json::error("no pull")),
        |p| reply(StatusCode::OK, p),
    )
}

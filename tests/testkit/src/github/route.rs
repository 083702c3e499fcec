//! The fake's endpoints, behind the gate, with GitHub's status codes and pagination.

use std::sync::Arc;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::files;
use super::gate::{self, login};
use super::hooks;
use super::json;
use super::pulls;
use super::secrets;
use super::server::{Auth, Shared};
use super::state;

const REACTIONS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

pub(super) fn router(shared: Arc<Shared>) -> Router {
    let issue = "/repos/{owner}/{repo}/issues/{number}";
    Router::new()
        .route(issue, get(get_issue))
        .route(
            &format!("{issue}/labels"),
            get(list_labels).post(add_labels),
        )
        .route(&format!("{issue}/labels/{{name}}"), delete(remove_label))
        .route(
            &format!("{issue}/comments"),
            get(list_comments).post(create_comment),
        )
        .route(&format!("{issue}/reactions"), post(add_reaction))
        .route(
            "/repos/{owner}/{repo}/issues/comments/{id}",
            get(get_comment).patch(update_comment),
        )
        .route("/repos/{owner}/{repo}", get(pulls::get_repo))
        .route(
            "/repos/{owner}/{repo}/pulls",
            get(list_pulls).post(pulls::create_pull),
        )
        .route(
            "/repos/{owner}/{repo}/pulls/{number}",
            get(get_pull).patch(pulls::update_pull),
        )
        .route(
            "/repos/{owner}/{repo}/git/trees/{*git_ref}",
            get(files::get_tree),
        )
        .route(
            "/repos/{owner}/{repo}/git/blobs/{sha}",
            get(files::get_blob),
        )
        .route(
            "/repos/{owner}/{repo}/hooks",
            get(hooks::list_hooks).post(hooks::create_hook),
        )
        .route(
            "/repos/{owner}/{repo}/hooks/{id}",
            axum::routing::patch(hooks::update_hook),
        )
        .route(
            "/repos/{owner}/{repo}/actions/secrets/public-key",
            get(secrets::public_key),
        )
        .route(
            "/repos/{owner}/{repo}/actions/secrets/{name}",
            get(secrets::get_secret).put(secrets::put_secret),
        )
        .fallback(|| async { reply(StatusCode::NOT_FOUND, json::error("Not Found")) })
        .layer(middleware::from_fn_with_state(shared.clone(), gate::gate))
        .with_state(shared)
}

pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn not_found() -> Response {
    reply(StatusCode::NOT_FOUND, json::error("Not Found"))
}

#[derive(Deserialize)]
struct ListQuery {
    per_page: Option<usize>,
    page: Option<usize>,
    state: Option<String>,
    head: Option<String>,
}

/// One page of `items` plus GitHub's `Link` header, keeping the request's other query parameters.
fn paginate<T>(
    items: Vec<T>,
    query: &ListQuery,
    base: &str,
    uri: &Uri,
) -> (Vec<T>, Option<String>) {
    let per_page = query.per_page.unwrap_or(30).clamp(1, 100);
    let page = query.page.unwrap_or(1).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let kept: String = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            !pair.is_empty() && !pair.starts_with("page=") && !pair.starts_with("per_page=")
        })
        .map(|pair| format!("{pair}&"))
        .collect();
    let link = |to: usize, rel: &str| {
        format!(
            "<{base}{}?{kept}per_page={per_page}&page={to}>; rel=\"{rel}\"",
            uri.path()
        )
    };
    let mut links = Vec::new();
    if page < last {
        links.extend([link(page + 1, "next"), link(last, "last")]);
    }
    if page > 1 {
        links.extend([link(page - 1, "prev"), link(1, "first")]);
    }
    let items = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    (items, (!links.is_empty()).then(|| links.join(", ")))
}

fn reply_page(items: Vec<Value>, link: Option<String>) -> Response {
    let mut response = reply(StatusCode::OK, Value::Array(items));
    if let Some(value) = link.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(http::header::LINK, value);
    }
    response
}

fn label_values(state: &mut state::State, base: &str, repo: &str, names: &[String]) -> Vec<Value> {
    names
        .iter()
        .map(|name| json::label(base, repo, &state.repo_label(repo, name)))
        .collect()
}

async fn get_issue(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let Some(thread) = state.thread(&repo, number).cloned() else {
        return not_found();
    };
    let labels = label_values(&mut state, &shared.base_url, &repo, &thread.labels);
    let comments = state.comments_of(&repo, number).len();
    reply(
        StatusCode::OK,
        json::issue(&shared.base_url, &repo, &thread, &labels, comments),
    )
}

async fn get_pull(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let Some(thread) = state.thread(&repo, number).cloned() else {
        return not_found();
    };
    let labels = label_values(&mut state, &shared.base_url, &repo, &thread.labels);
    json::pull(&shared.base_url, &repo, &thread, &labels)
        .map_or_else(not_found, |pull| reply(StatusCode::OK, pull))
}

async fn list_pulls(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    uri: Uri,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let wanted_state = query.state.clone().unwrap_or_else(|| "open".to_owned());
    let head = query
        .head
        .as_deref()
        .map(|head| head.split_once(':').unwrap_or((owner.as_str(), head)));
    let mut state = shared.lock();
    let matching: Vec<state::Thread> = state
        .threads(&repo)
        .filter(|t| wanted_state == "all" || (t.open == (wanted_state == "open")))
        .filter(|t| match (&t.pull, head) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(refs), Some((head_owner, branch))) => {
                head_owner == owner && refs.head_ref == branch
            }
        })
        .cloned()
        .collect();
    let (page, link) = paginate(matching, &query, &shared.base_url, &uri);
    let mut pulls = Vec::new();
    for thread in page {
        let labels = label_values(&mut state, &shared.base_url, &repo, &thread.labels);
        pulls.extend(json::pull(&shared.base_url, &repo, &thread, &labels));
    }
    reply_page(pulls, link)
}

async fn list_labels(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(query): Query<ListQuery>,
    uri: Uri,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    let Some(names) = state.thread(&repo, number).map(|t| t.labels.clone()) else {
        return not_found();
    };
    let (names, link) = paginate(names, &query, &shared.base_url, &uri);
    reply_page(
        label_values(&mut state, &shared.base_url, &repo, &names),
        link,
    )
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LabelsBody {
    Wrapped { labels: Vec<String> },
    Bare(Vec<String>),
}

async fn add_labels(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Json(body): Json<LabelsBody>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let (LabelsBody::Wrapped { labels } | LabelsBody::Bare(labels)) = body;
    let mut state = shared.lock();
    let Some(now_on) = state.add_labels(&repo, number, &labels) else {
        return not_found();
    };
    reply(
        StatusCode::OK,
        Value::Array(label_values(&mut state, &shared.base_url, &repo, &now_on)),
    )
}

async fn remove_label(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number, name)): Path<(String, String, u64, String)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let mut state = shared.lock();
    match state.remove_label(&repo, number, &name) {
        Some(left) => reply(
            StatusCode::OK,
            Value::Array(label_values(&mut state, &shared.base_url, &repo, &left)),
        ),
        None => reply(StatusCode::NOT_FOUND, json::error("Label does not exist")),
    }
}

async fn list_comments(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Query(query): Query<ListQuery>,
    uri: Uri,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let state = shared.lock();
    if state.thread(&repo, number).is_none() {
        return not_found();
    }
    let (page, link) = paginate(
        state.comments_of(&repo, number),
        &query,
        &shared.base_url,
        &uri,
    );
    reply_page(
        page.iter()
            .map(|c| json::comment(&shared.base_url, c))
            .collect(),
        link,
    )
}

#[derive(Deserialize)]
struct BodyField {
    body: String,
}

async fn create_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Extension(auth): Extension<Auth>,
    Json(field): Json<BodyField>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let created = shared
        .lock()
        .add_comment(&repo, number, login(auth), &field.body);
    created.map_or_else(not_found, |c| {
        reply(StatusCode::CREATED, json::comment(&shared.base_url, &c))
    })
}

async fn get_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let found = shared.lock().comment(&repo, id).cloned();
    found.map_or_else(not_found, |c| {
        reply(StatusCode::OK, json::comment(&shared.base_url, &c))
    })
}

async fn update_comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, u64)>,
    Json(field): Json<BodyField>,
) -> Response {
    let repo = format!("{owner}/{repo}");
    let updated = shared.lock().update_comment(&repo, id, &field.body);
    updated.map_or_else(not_found, |c| {
        reply(StatusCode::OK, json::comment(&shared.base_url, &c))
    })
}

#[derive(Deserialize)]
struct ContentField {
    content: String,
}

async fn add_reaction(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, number)): Path<(String, String, u64)>,
    Extension(auth): Extension<Auth>,
    Json(field): Json<ContentField>,
) -> Response {
    if !REACTIONS.contains(&field.content.as_str()) {
        return reply(
            StatusCode::UNPROCESSABLE_ENTITY,
            json::error("Validation Failed"),
        );
    }
    let repo = format!("{owner}/{repo}");
    let added = shared
        .lock()
        .add_reaction(&repo, number, login(auth), &field.content);
    let Some((reaction, created)) = added else {
        return not_found();
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    reply(status, json::reaction(&shared.base_url, &reaction))
}

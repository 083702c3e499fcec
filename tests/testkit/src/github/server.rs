//! The fake's handle: start it, seed it, inspect what the client did, inject failures.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::Method;
use tokio::task::JoinHandle;

use super::route;
use super::state::{PullRefs, State};

/// Login of the bot token's user; comments, labels and reactions made with the bot token show it.
pub const BOT_LOGIN: &str = "codex-bot";
/// Login of the platform token's user.
pub const PLATFORM_LOGIN: &str = "codex-platform";
/// Author of seeded Issues and pull requests.
pub const HUMAN_LOGIN: &str = "octocat";

/// Which token a request carried, as the fake saw its `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// The platform token.
    Platform,
    /// The bot token.
    Bot,
    /// A token the fake does not know (answered 401).
    Unknown,
    /// No `Authorization` header (answered 401).
    Missing,
}

/// One request as the fake received it; the token itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: Method,
    /// The path, percent-encoded as sent, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The body as text; empty when there was none.
    pub body: String,
    /// Which token the request carried.
    pub auth: Auth,
}

/// A failure the fake answers with instead of serving the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This 5xx status with GitHub's error body.
    ServerError(u16),
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this far in the future.
    RateLimitPrimary {
        /// Time until the window resets.
        reset_in: Duration,
    },
    /// 403 "secondary rate limit", with `Retry-After` when given.
    RateLimitSecondary {
        /// The `Retry-After` delay, or none for the hint-less variant.
        retry_after: Option<Duration>,
    },
    /// 429 with `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` delay.
        retry_after: Duration,
    },
    /// 401 "Bad credentials", as for a revoked token.
    BadCredentials,
    /// Waits this long before serving the request normally, to exercise client timeouts.
    Stall(Duration),
    /// Serves the request (its effect happens), then answers this 5xx instead of the result, as
    /// when GitHub did the work but its answer was lost on the way.
    AnswerLost(u16),
}

/// Shared by the handle and the server task.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) base_url: String,
    pub(super) platform_token: String,
    pub(super) bot_token: String,
    state: Mutex<State>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A GitHub REST API on 127.0.0.1 that keeps its data in memory; for tests and `dev --demo`.
///
/// Serves the endpoints the platform's GitHub client uses, with GitHub's JSON shapes.
/// The server stops when the handle is dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGitHub {
    /// Binds 127.0.0.1 on a free port and starts serving, with two fresh tokens.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let salt = uuid::Uuid::new_v4().simple();
        let shared = Arc::new(Shared {
            base_url: format!("http://{address}"),
            platform_token: format!("ghp_fakeplatform{salt}"),
            bot_token: format!("ghp_fakebot{salt}"),
            state: Mutex::new(State::default()),
        });
        let app = route::router(shared.clone());
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(error.message = %error, "fake github stopped");
            }
        });
        Ok(Self { shared, server })
    }

    /// The API root to configure the client with (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The token the fake accepts as the platform token.
    pub fn platform_token(&self) -> &str {
        &self.shared.platform_token
    }

    /// The token the fake accepts as the bot token.
    pub fn bot_token(&self) -> &str {
        &self.shared.bot_token
    }

    /// Adds (or replaces) an open Issue by [`HUMAN_LOGIN`].
    pub fn add_issue(&self, repo: &str, number: u64, title: &str, labels: &[&str]) {
        let mut state = self.shared.lock();
        state.new_thread(repo, number, title, HUMAN_LOGIN);
        state.add_labels(repo, number, &owned(labels));
    }

    /// Adds labels to an Issue or pull request, as a person adding them on GitHub would.
    pub fn add_labels(&self, repo: &str, number: u64, labels: &[&str]) {
        self.shared.lock().add_labels(repo, number, &owned(labels));
    }

    /// Adds (or replaces) an open pull request into `main` by [`HUMAN_LOGIN`].
    pub fn add_pull_request(
        &self,
        repo: &str,
        number: u64,
        head_ref: &str,
        head_sha: &str,
        labels: &[&str],
    ) {
        let mut state = self.shared.lock();
        let thread = state.new_thread(
            repo,
            number,
            &format!("Changes from {head_ref}"),
            HUMAN_LOGIN,
        );
        thread.pull = Some(PullRefs {
            head_ref: head_ref.to_owned(),
            head_sha: head_sha.to_owned(),
            base_ref: "main".to_owned(),
        });
        state.add_labels(repo, number, &owned(labels));
    }

    /// Closes an Issue or pull request; does nothing when it is unknown.
    pub fn close(&self, repo: &str, number: u64) {
        if let Some(thread) = self.shared.lock().thread_mut(repo, number) {
            thread.open = false;
        }
    }

    /// Posts a comment as `author` directly into the state; `None` when the thread is unknown.
    pub fn add_comment(&self, repo: &str, number: u64, author: &str, body: &str) -> Option<u64> {
        let mut state = self.shared.lock();
        state
            .add_comment(repo, number, author, body)
            .map(|comment| comment.id)
    }

    /// Reacts as `user` directly in the state (as GitHub does, a second identical reaction of the
    /// same user is the first one); the reaction's id, `None` when the thread is unknown.
    pub fn add_reaction(&self, repo: &str, number: u64, user: &str, content: &str) -> Option<u64> {
        let mut state = self.shared.lock();
        state
            .add_reaction(repo, number, user, content)
            .map(|(reaction, _)| reaction.id)
    }

    /// The comments of a thread as `(id, body)`, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<(u64, String)> {
        let comments = self.shared.lock().comments_of(repo, number);
        comments.into_iter().map(|c| (c.id, c.body)).collect()
    }

    /// The label names on a thread, in the order they were added.
    pub fn labels(&self, repo: &str, number: u64) -> Vec<String> {
        let state = self.shared.lock();
        state
            .thread(repo, number)
            .map(|t| t.labels.clone())
            .unwrap_or_default()
    }

    /// The reactions on a thread as `(login, content)`.
    pub fn reactions(&self, repo: &str, number: u64) -> Vec<(String, String)> {
        let reactions = self.shared.lock().reactions_of(repo, number);
        reactions.into_iter().map(|r| (r.user, r.content)).collect()
    }

    /// Adds or replaces a file of `repo`'s default branch; returns its blob sha.
    pub fn put_file(&self, repo: &str, path: &str, content: &str) -> String {
        self.shared.lock().files.put(repo, path, content.as_bytes())
    }

    /// Removes a file; false when it was not there.
    pub fn remove_file(&self, repo: &str, path: &str) -> bool {
        self.shared.lock().files.remove(repo, path)
    }

    /// Moves a file (same blob, new path); false when it was not there.
    pub fn rename_file(&self, repo: &str, from: &str, to: &str) -> bool {
        self.shared.lock().files.rename(repo, from, to)
    }

    /// Makes `repo`'s tree listing say it was truncated, as GitHub does for very large trees.
    pub fn truncate_tree(&self, repo: &str, truncated: bool) {
        self.shared.lock().files.set_truncated(repo, truncated);
    }

    /// The repository's webhooks, with their secrets in the clear.
    pub fn hooks(&self, repo: &str) -> Vec<super::hooks::StoredHook> {
        self.shared.lock().hooks_of(repo).to_vec()
    }

    /// The value of the repository Actions secret `name` as GitHub stored it (opened with the
    /// repository's key), or none when it was never written.
    pub fn actions_secret(&self, repo: &str, name: &str) -> Option<String> {
        let state = self.shared.lock();
        let value = state.actions_secret(repo, name)?;
        Some(String::from_utf8_lossy(value).into_owned())
    }

    /// Gives `repo` a new Actions sealing key, as when GitHub rotates it.
    pub fn rotate_actions_key(&self, repo: &str) {
        self.shared.lock().rotate_actions_key(repo);
    }

    /// Makes `GET /repos/{repo}` answer this `clone_url` (e.g. a [`GitServer`](crate::git::GitServer)'s).
    pub fn set_clone_url(&self, repo: &str, url: &str) {
        self.shared
            .lock()
            .clone_urls
            .insert(repo.to_lowercase(), url.to_owned());
    }

    /// Tells the fake where a branch points, for the `head.sha` of pull requests opened on it.
    pub fn set_branch_head(&self, repo: &str, branch: &str, sha: &str) {
        self.shared
            .lock()
            .heads
            .insert((repo.to_lowercase(), branch.to_owned()), sha.to_owned());
    }

    /// The pull requests of `repo` as `(number, title, body, head_ref, open, author)`, by number.
    pub fn pull_requests(&self, repo: &str) -> Vec<(u64, String, String, String, bool, String)> {
        let state = self.shared.lock();
        state
            .threads(repo)
            .filter_map(|t| {
                let refs = t.pull.as_ref()?;
                Some((
                    t.number,
                    t.title.clone(),
                    t.body.clone().unwrap_or_default(),
                    refs.head_ref.clone(),
                    t.open,
                    t.author.clone(),
                ))
            })
            .collect()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests()
    }

    /// Answers the next `times` requests with this method whose path starts with `path_prefix`
    /// with `fault`. Prefixes match textually: `/repos/o/r/issues/7` also matches `…/issues/70`.
    pub fn fail_next(&self, method: Method, path_prefix: &str, fault: Fault, times: u32) {
        self.shared.lock().arm(method, path_prefix, fault, times);
    }
}

fn owned(labels: &[&str]) -> Vec<String> {
    labels.iter().map(|label| (*label).to_owned()).collect()
}

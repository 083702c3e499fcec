//! Comments, and the single status comment of a run.

use octocrab::models::CommentId;

use serde::{Deserialize, Serialize};

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{ApiError, Error, Result};
use super::rate_limit::Failure;
use super::token::Identity;

/// Comments fetched per page (GitHub's maximum).
const COMMENTS_PER_PAGE: u8 = 100;

/// Pages fetched at most, so a huge thread cannot turn one call into hundreds.
const MAX_COMMENT_PAGES: u32 = 10;

/// A comment on an Issue or pull request.
///
/// Serializable because step checkpoints store it: renaming a field breaks stored runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The comment id, unique across the repository.
    pub id: u64,
    /// The Markdown body; empty when GitHub has none.
    pub body: String,
    /// The page a person opens.
    pub html_url: String,
    /// The author's login.
    pub user_login: String,
}

impl From<octocrab::models::issues::Comment> for Comment {
    fn from(comment: octocrab::models::issues::Comment) -> Self {
        Self {
            id: comment.id.into_inner(),
            body: comment.body.unwrap_or_default(),
            html_url: comment.html_url.to_string(),
            user_login: comment.user.login,
        }
    }
}

impl GitHubClient {
    /// Posts a comment as the bot.
    ///
    /// Never retried inside the client: after a lost answer the comment may exist, and a retry
    /// would post it twice. Use [`GitHubClient::upsert_status_comment`] for anything retried.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "create_comment", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn create_comment(&self, repo: &str, number: u64, body: &str) -> Result<Comment> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        self.call(
            "create_comment",
            Identity::Bot,
            Retry::Never,
            || async move { octo.issues(owner, name).create_comment(number, body).await },
        )
        .await
        .map(Comment::from)
        .map_err(|source| Error::CreateComment {
            repo: repo.to_owned(),
            number,
            source,
        })
    }

    /// Replaces a comment's body as the bot.
    #[tracing::instrument(level = "debug", skip_all, fields(repo = %repo, comment_id = comment_id))]
    pub async fn update_comment(&self, repo: &str, comment_id: u64, body: &str) -> Result<Comment> {
        self.patch_comment(repo, comment_id, body)
            .await?
            .map_err(|source| Error::UpdateComment {
                repo: repo.to_owned(),
                comment_id,
                source,
            })
    }

    /// Reads a comment; `None` when it does not exist (deleted, or never there).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_comment", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, comment_id = comment_id))]
    pub async fn get_comment(&self, repo: &str, comment_id: u64) -> Result<Option<Comment>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let found = self
            .call(
                "get_comment",
                Identity::Bot,
                Retry::Transient,
                || async move {
                    let issues = octo.issues(owner, name);
                    issues.get_comment(CommentId(comment_id)).await
                },
            )
            .await;
        match found {
            Ok(comment) => Ok(Some(comment.into())),
            Err(source) if source.failure() == Failure::NotFound => Ok(None),
            Err(source) => Err(Error::GetComment {
                repo: repo.to_owned(),
                comment_id,
                source,
            }),
        }
    }

    /// The comments of an Issue or pull request, oldest first, at most 1000 of them.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "list_comments", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn list_comments(&self, repo: &str, number: u64) -> Result<Vec<Comment>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let mut comments = Vec::new();
        for page_number in 1..=MAX_COMMENT_PAGES {
            // Pages are requested by number rather than by following the `Link` header: octocrab
            // sends the token only to relative URLs or api.github.com, so an absolute next link
            // on a GitHub Enterprise host would go out unauthenticated.
            let page = self
                .call(
                    "list_comments",
                    Identity::Bot,
                    Retry::Transient,
                    || async move {
                        let issues = octo.issues(owner, name);
                        let list = issues.list_comments(number).per_page(COMMENTS_PER_PAGE);
                        list.page(page_number).send().await
                    },
                )
                .await
                .map_err(|source| Error::ListComments {
                    repo: repo.to_owned(),
                    number,
                    source,
                })?;
            let last = page.next.is_none();
            comments.extend(page.items.into_iter().map(Comment::from));
            if last {
                return Ok(comments);
            }
        }
        tracing::warn!(
            repo,
            number,
            kept = comments.len(),
            "comment listing stopped at the page limit"
        );
        Ok(comments)
    }

    /// Creates or edits the one status comment of a run, idempotently.
    ///
    /// `body` must contain `marker`, a hidden HTML comment unique to the run
    /// (`<!-- codex-k8s:run-status run_id=… -->`). The comment to edit is, in order: the one with
    /// `known_comment_id` if it still exists; the oldest comment carrying `marker` (written by the
    /// configured bot login, if one is set), which covers a crash between posting the comment
    /// and storing its id; otherwise a new comment is posted.
    ///
    /// Hazard: GitHub lists comments with some delay, so two upserts racing within a second or two
    /// without a known id can both create; store the returned id and pass it next time.
    #[tracing::instrument(level = "debug", skip_all, fields(repo = %repo, number = number, known_comment_id = ?known_comment_id))]
    pub async fn upsert_status_comment(
        &self,
        repo: &str,
        number: u64,
        known_comment_id: Option<u64>,
        marker: &str,
        body: &str,
    ) -> Result<Comment> {
        if marker.trim().is_empty() || !body.contains(marker) {
            return Err(Error::MarkerNotInBody {
                marker: marker.to_owned(),
            });
        }
        if let Some(comment_id) = known_comment_id {
            match self.patch_comment(repo, comment_id, body).await? {
                Ok(comment) => return Ok(comment),
                Err(source) if source.failure() == Failure::NotFound => {}
                Err(source) => {
                    return Err(Error::UpdateComment {
                        repo: repo.to_owned(),
                        comment_id,
                        source,
                    });
                }
            }
        }
        let existing = self
            .list_comments(repo, number)
            .await?
            .into_iter()
            .filter(|comment| comment.body.contains(marker))
            .filter(|comment| self.bot_login().is_none_or(|bot| comment.user_login == bot))
            .min_by_key(|comment| comment.id);
        match existing {
            Some(comment) if comment.body == body => Ok(comment),
            Some(comment) => self.update_comment(repo, comment.id, body).await,
            None => self.create_comment(repo, number, body).await,
        }
    }

    /// `PATCH`es a comment. The outer error is a bad repository name, the inner one the call.
    ///
    /// octocrab's `update_comment` sends `POST`; the documented verb is `PATCH`, so this goes
    /// through octocrab's route helper instead.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "patch_comment", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty))]
    async fn patch_comment(
        &self,
        repo: &str,
        comment_id: u64,
        body: &str,
    ) -> Result<Result<Comment, ApiError>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let route = format!("/repos/{owner}/{name}/issues/comments/{comment_id}");
        let route = route.as_str();
        let payload = serde_json::json!({ "body": body });
        let payload = &payload;
        let patched = self
            .call(
                "update_comment",
                Identity::Bot,
                Retry::Transient,
                || async move {
                    octo.patch::<octocrab::models::issues::Comment, _, _>(route, Some(payload))
                        .await
                },
            )
            .await;
        Ok(patched.map(Comment::from))
    }
}

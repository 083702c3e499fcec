//! The code host seam (the seed's ADR-0004): everything the workflows need from a repository host,
//! as one object-safe trait. [`GitHubClient`] over octocrab is its implementation; the workflows
//! hold an `Arc<dyn RepositoryProvider>` and never name the GitHub client.
//!
//! What the platform needs today: threads (Issues and pull requests) and their labels, comments
//! and reactions, pull requests of a work branch, repository facts (default branch, clone URL),
//! the files of a ref for docs indexing, the repository's webhook (onboarding), and the fallback
//! push credential. Branches are created by the agent runner's push (git, not this API).
//! Repository Actions secrets are written, never read: they are not a runtime source of the
//! platform (secrets live in Kubernetes; the approval-gated `secret_sync` copies one to GitHub).
//!
//! Errors are [`crate::github::Error`]: each keeps the host's HTTP status and message and tells the
//! durable layer ([`crate::github_step`]) whether to wait, retry or give up.

use futures::future::BoxFuture;

use crate::github::{
    ActionsSecretWrite, Comment, GitHubClient, Issue, NewPullRequest, PullRequest, Reaction,
    Repository, Result, Token, Tree, WebhookSetup, WebhookSpec,
};

/// What the platform asks of a code host. `repo` is `owner/name`; `number` an Issue or pull
/// request number. Every call has its own deadline and bounded retry inside the implementation.
pub trait RepositoryProvider: Send + Sync {
    /// An Issue or pull request as a thread (title, body, state, labels, author).
    fn get_issue<'a>(&'a self, repo: &'a str, number: u64) -> BoxFuture<'a, Result<Issue>>;
    /// The thread's current labels, read fresh (not from a payload).
    fn list_issue_labels<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<String>>>;
    /// Adds labels to the thread; answers the labels it has afterwards.
    fn add_labels<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        labels: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>>>;
    /// Removes one label from the thread (removing an absent label succeeds).
    fn remove_label<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        label: &'a str,
    ) -> BoxFuture<'a, Result<()>>;
    /// Adds the bot's reaction to the thread's opening post.
    fn add_reaction<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        reaction: Reaction,
    ) -> BoxFuture<'a, Result<()>>;
    /// Posts a comment on the thread as the bot.
    fn create_comment<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>>;
    /// Replaces the body of one of the bot's comments.
    fn update_comment<'a>(
        &'a self,
        repo: &'a str,
        comment_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>>;
    /// Creates or edits in place the one comment of the thread that holds `marker` (by the known
    /// id first, then by the marker); `body` must contain `marker`.
    fn upsert_status_comment<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        known_comment_id: Option<u64>,
        marker: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>>;
    /// One pull request (head branch and sha, state).
    fn get_pull_request<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<PullRequest>>;
    /// The open pull requests whose head is `head_branch` of the repository itself.
    fn list_pull_requests_for_branch<'a>(
        &'a self,
        repo: &'a str,
        head_branch: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PullRequest>>>;
    /// Opens a pull request.
    fn create_pull_request<'a>(
        &'a self,
        repo: &'a str,
        new: &'a NewPullRequest<'a>,
    ) -> BoxFuture<'a, Result<PullRequest>>;
    /// Replaces a pull request's title and body.
    fn update_pull_request<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PullRequest>>;
    /// The repository's facts: default branch, clone URL, visibility.
    fn get_repository<'a>(&'a self, repo: &'a str) -> BoxFuture<'a, Result<Repository>>;
    /// Every file of `git_ref`, recursively (for docs indexing).
    fn get_tree<'a>(&'a self, repo: &'a str, git_ref: &'a str) -> BoxFuture<'a, Result<Tree>>;
    /// A blob's content as UTF-8 text.
    fn get_blob_text<'a>(&'a self, repo: &'a str, sha: &'a str) -> BoxFuture<'a, Result<String>>;
    /// Creates the repository's webhook to the platform's ingress, or repairs the one with the
    /// same URL.
    fn ensure_webhook<'a>(
        &'a self,
        repo: &'a str,
        spec: &'a WebhookSpec<'a>,
    ) -> BoxFuture<'a, Result<WebhookSetup>>;
    /// The platform-wide token, when one is set: the push credential of a repository bound
    /// without a token of its own (ADR 0018). Never logged or put in a step output.
    fn fallback_push_token(&self) -> Option<&Token>;

    /// Creates or replaces a repository Actions secret (sealed with the repository's key).
    fn put_actions_secret<'a>(
        &'a self,
        repo: &'a str,
        name: &'a str,
        value: &'a Token,
    ) -> BoxFuture<'a, Result<ActionsSecretWrite>>;
}

impl RepositoryProvider for GitHubClient {
    fn get_issue<'a>(&'a self, repo: &'a str, number: u64) -> BoxFuture<'a, Result<Issue>> {
        Box::pin(GitHubClient::get_issue(self, repo, number))
    }

    fn list_issue_labels<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(GitHubClient::list_issue_labels(self, repo, number))
    }

    fn add_labels<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        labels: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>>> {
        Box::pin(GitHubClient::add_labels(self, repo, number, labels))
    }

    fn remove_label<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        label: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(GitHubClient::remove_label(self, repo, number, label))
    }

    fn add_reaction<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        reaction: Reaction,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(GitHubClient::add_reaction(self, repo, number, reaction))
    }

    fn create_comment<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>> {
        Box::pin(GitHubClient::create_comment(self, repo, number, body))
    }

    fn update_comment<'a>(
        &'a self,
        repo: &'a str,
        comment_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>> {
        Box::pin(GitHubClient::update_comment(self, repo, comment_id, body))
    }

    fn upsert_status_comment<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        known_comment_id: Option<u64>,
        marker: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<Comment>> {
        Box::pin(GitHubClient::upsert_status_comment(
            self,
            repo,
            number,
            known_comment_id,
            marker,
            body,
        ))
    }

    fn get_pull_request<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<PullRequest>> {
        Box::pin(GitHubClient::get_pull_request(self, repo, number))
    }

    fn list_pull_requests_for_branch<'a>(
        &'a self,
        repo: &'a str,
        head_branch: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PullRequest>>> {
        Box::pin(GitHubClient::list_pull_requests_for_branch(
            self,
            repo,
            head_branch,
        ))
    }

    fn create_pull_request<'a>(
        &'a self,
        repo: &'a str,
        new: &'a NewPullRequest<'a>,
    ) -> BoxFuture<'a, Result<PullRequest>> {
        Box::pin(GitHubClient::create_pull_request(self, repo, new))
    }

    fn update_pull_request<'a>(
        &'a self,
        repo: &'a str,
        number: u64,
        title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PullRequest>> {
        Box::pin(GitHubClient::update_pull_request(
            self, repo, number, title, body,
        ))
    }

    fn get_repository<'a>(&'a self, repo: &'a str) -> BoxFuture<'a, Result<Repository>> {
        Box::pin(GitHubClient::get_repository(self, repo))
    }

    fn get_tree<'a>(&'a self, repo: &'a str, git_ref: &'a str) -> BoxFuture<'a, Result<Tree>> {
        Box::pin(GitHubClient::get_tree(self, repo, git_ref))
    }

    fn get_blob_text<'a>(&'a self, repo: &'a str, sha: &'a str) -> BoxFuture<'a, Result<String>> {
        Box::pin(GitHubClient::get_blob_text(self, repo, sha))
    }

    fn ensure_webhook<'a>(
        &'a self,
        repo: &'a str,
        spec: &'a WebhookSpec<'a>,
    ) -> BoxFuture<'a, Result<WebhookSetup>> {
        Box::pin(GitHubClient::ensure_webhook(self, repo, spec))
    }

    fn put_actions_secret<'a>(
        &'a self,
        repo: &'a str,
        name: &'a str,
        value: &'a Token,
    ) -> BoxFuture<'a, Result<ActionsSecretWrite>> {
        Box::pin(GitHubClient::put_actions_secret(self, repo, name, value))
    }

    fn fallback_push_token(&self) -> Option<&Token> {
        Some(self.platform_token()).filter(|t| !t.is_blank())
    }
}

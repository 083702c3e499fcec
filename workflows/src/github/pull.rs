//! Pull requests: read one, or find the open ones of a branch.

use octocrab::params::State;

use serde::{Deserialize, Serialize};

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::issue::IssueState;
use super::token::Identity;

/// A pull request, with the refs a stage run works on.
///
/// Serializable because step checkpoints store it: renaming a field breaks stored runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The number (shared with the Issues API).
    pub number: u64,
    /// The title.
    pub title: String,
    /// Open or closed (merged counts as closed).
    pub state: IssueState,
    /// The branch the changes come from.
    pub head_ref: String,
    /// The commit at the head of that branch.
    pub head_sha: String,
    /// The branch the changes go into.
    pub base_ref: String,
    /// Label names, as GitHub spells them.
    pub labels: Vec<String>,
    /// The page a person opens.
    pub html_url: String,
    /// The description; empty when GitHub has none.
    pub body: String,
    /// The author's login.
    pub user_login: String,
}

impl From<octocrab::models::pulls::PullRequest> for PullRequest {
    fn from(pull: octocrab::models::pulls::PullRequest) -> Self {
        Self {
            number: pull.number,
            title: pull.title.unwrap_or_default(),
            state: pull
                .state
                .as_ref()
                .map_or(IssueState::Closed, IssueState::from_octocrab),
            head_ref: pull.head.ref_field,
            head_sha: pull.head.sha,
            base_ref: pull.base.ref_field,
            labels: pull
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(|label| label.name)
                .collect(),
            html_url: pull.html_url.map(String::from).unwrap_or_default(),
            body: pull.body.unwrap_or_default(),
            user_login: pull.user.map(|user| user.login).unwrap_or_default(),
        }
    }
}

/// A branch has at most one open pull request per base branch; one page of 100 is plenty.
const PULLS_PER_PAGE: u8 = 100;

impl GitHubClient {
    /// Reads a pull request with the platform token.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_pull_request", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn get_pull_request(&self, repo: &str, number: u64) -> Result<PullRequest> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Platform);
        self.call(
            "get_pull_request",
            Identity::Platform,
            Retry::Transient,
            || async move { octo.pulls(owner, name).get(number).await },
        )
        .await
        .map(PullRequest::from)
        .map_err(|source| Error::GetPullRequest {
            repo: repo.to_owned(),
            number,
            source,
        })
    }

    /// The open pull requests whose head is `head_branch` in the repository itself (`owner:branch`).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "list_pull_requests_for_branch", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, head_branch = %head_branch))]
    pub async fn list_pull_requests_for_branch(
        &self,
        repo: &str,
        head_branch: &str,
    ) -> Result<Vec<PullRequest>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Platform);
        let head = format!("{owner}:{head_branch}");
        let head = head.as_str();
        let page = self
            .call(
                "list_pull_requests",
                Identity::Platform,
                Retry::Transient,
                || async move {
                    let pulls = octo.pulls(owner, name);
                    let list = pulls.list().state(State::Open).head(head);
                    list.per_page(PULLS_PER_PAGE).send().await
                },
            )
            .await
            .map_err(|source| Error::ListPullRequests {
                repo: repo.to_owned(),
                branch: head_branch.to_owned(),
                source,
            })?;
        Ok(page.items.into_iter().map(PullRequest::from).collect())
    }
}

/// A pull request to open: the work branch into the base branch.
#[derive(Clone, Debug)]
pub struct NewPullRequest<'a> {
    /// The branch with the changes.
    pub head: &'a str,
    /// The branch they go into.
    pub base: &'a str,
    /// The title.
    pub title: &'a str,
    /// The description.
    pub body: &'a str,
}

impl GitHubClient {
    /// Opens a pull request as the bot. Never retried inside the client (a lost answer could
    /// open it twice); callers look for the open one of the branch first.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "create_pull_request", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, head = %new.head))]
    pub async fn create_pull_request(
        &self,
        repo: &str,
        new: &NewPullRequest<'_>,
    ) -> Result<PullRequest> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        self.call(
            "create_pull_request",
            Identity::Bot,
            Retry::Never,
            || async move {
                octo.pulls(owner, name)
                    .create(new.title, new.head, new.base)
                    .body(new.body)
                    .send()
                    .await
            },
        )
        .await
        .map(PullRequest::from)
        .map_err(|source| Error::CreatePullRequest {
            repo: repo.to_owned(),
            branch: new.head.to_owned(),
            source,
        })
    }

    /// Replaces a pull request's title and body as the bot (idempotent).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "update_pull_request", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn update_pull_request(
        &self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
    ) -> Result<PullRequest> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        self.call(
            "update_pull_request",
            Identity::Bot,
            Retry::Transient,
            || async move {
                octo.pulls(owner, name)
                    .update(number)
                    .title(title)
                    .body(body)
                    .send()
                    .await
            },
        )
        .await
        .map(PullRequest::from)
        .map_err(|source| Error::UpdatePullRequest {
            repo: repo.to_owned(),
            number,
            source,
        })
    }
}

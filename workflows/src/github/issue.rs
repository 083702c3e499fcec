//! Issues as the platform sees them, with their labels and reactions.

use octocrab::models::reactions::ReactionContent;
use serde::{Deserialize, Serialize};

use super::client::{GitHubClient, Retry, split_repo};
use super::error::{Error, Result};
use super::rate_limit::Failure;
use super::token::Identity;

/// Whether an Issue or pull request is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed (for a pull request: closed or merged).
    Closed,
}

impl IssueState {
    pub(crate) fn from_octocrab(state: &octocrab::models::IssueState) -> Self {
        match state {
            octocrab::models::IssueState::Open => Self::Open,
            _ => Self::Closed,
        }
    }
}

/// An Issue, or a pull request read through the Issues API.
///
/// Serializable because step checkpoints store it: renaming a field breaks stored runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body; empty when GitHub has none.
    pub body: String,
    /// Open or closed.
    pub state: IssueState,
    /// Label names, as GitHub spells them.
    pub labels: Vec<String>,
    /// The author's login.
    pub user_login: String,
    /// The page a person opens.
    pub html_url: String,
    /// Whether the number belongs to a pull request.
    pub is_pull_request: bool,
}

impl From<octocrab::models::issues::Issue> for Issue {
    fn from(issue: octocrab::models::issues::Issue) -> Self {
        Self {
            number: issue.number,
            state: IssueState::from_octocrab(&issue.state),
            title: issue.title,
            body: issue.body.unwrap_or_default(),
            labels: issue.labels.into_iter().map(|label| label.name).collect(),
            user_login: issue.user.login,
            html_url: issue.html_url.to_string(),
            is_pull_request: issue.pull_request.is_some(),
        }
    }
}

/// A reaction the bot can leave on an Issue or pull request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    /// :eyes:, "seen, working on it".
    Eyes,
    /// :+1:.
    PlusOne,
    /// :rocket:.
    Rocket,
    /// :confused:.
    Confused,
}

impl Reaction {
    /// The content string GitHub uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Eyes => "eyes",
            Self::PlusOne => "+1",
            Self::Rocket => "rocket",
            Self::Confused => "confused",
        }
    }

    fn content(self) -> ReactionContent {
        match self {
            Self::Eyes => ReactionContent::Eyes,
            Self::PlusOne => ReactionContent::PlusOne,
            Self::Rocket => ReactionContent::Rocket,
            Self::Confused => ReactionContent::Confused,
        }
    }
}

/// GitHub allows at most 100 labels on one Issue, so one page of 100 is all of them.
const LABELS_PER_PAGE: u8 = 100;

impl GitHubClient {
    /// Reads an Issue (or a pull request as an Issue) with the platform token.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "get_issue", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn get_issue(&self, repo: &str, number: u64) -> Result<Issue> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Platform);
        self.call(
            "get_issue",
            Identity::Platform,
            Retry::Transient,
            || async move { octo.issues(owner, name).get(number).await },
        )
        .await
        .map(Issue::from)
        .map_err(|source| Error::GetIssue {
            repo: repo.to_owned(),
            number,
            source,
        })
    }

    /// The label names on an Issue or pull request.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "list_issue_labels", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn list_issue_labels(&self, repo: &str, number: u64) -> Result<Vec<String>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let page = self
            .call(
                "list_issue_labels",
                Identity::Bot,
                Retry::Transient,
                || async move {
                    let issues = octo.issues(owner, name);
                    let list = issues.list_labels_for_issue(number);
                    list.per_page(LABELS_PER_PAGE).send().await
                },
            )
            .await
            .map_err(|source| Error::ListIssueLabels {
                repo: repo.to_owned(),
                number,
                source,
            })?;
        Ok(page.items.into_iter().map(|label| label.name).collect())
    }

    /// Adds labels (idempotent: labels already there stay once) and returns all labels now on it.
    ///
    /// GitHub creates a label that the repository does not have yet.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "add_labels", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn add_labels(
        &self,
        repo: &str,
        number: u64,
        labels: &[String],
    ) -> Result<Vec<String>> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let now_on = self
            .call(
                "add_labels",
                Identity::Bot,
                Retry::Transient,
                || async move { octo.issues(owner, name).add_labels(number, labels).await },
            )
            .await
            .map_err(|source| Error::AddLabels {
                repo: repo.to_owned(),
                number,
                labels: labels.to_vec(),
                source,
            })?;
        Ok(now_on.into_iter().map(|label| label.name).collect())
    }

    /// Removes a label; a label that is not on the Issue counts as removed (GitHub answers 404).
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "remove_label", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn remove_label(&self, repo: &str, number: u64, label: &str) -> Result<()> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        let removed = self
            .call(
                "remove_label",
                Identity::Bot,
                Retry::Transient,
                || async move { octo.issues(owner, name).remove_label(number, label).await },
            )
            .await;
        match removed {
            Ok(_) => Ok(()),
            Err(source) if source.failure() == Failure::NotFound => Ok(()),
            Err(source) => Err(Error::RemoveLabel {
                repo: repo.to_owned(),
                number,
                label: label.to_owned(),
                source,
            }),
        }
    }

    /// Reacts to an Issue or pull request as the bot; reacting twice leaves one reaction.
    #[tracing::instrument(name = "github_call", skip_all, fields(operation = "add_reaction", http.status_code = tracing::field::Empty, outcome = tracing::field::Empty, otel.kind = "client", otel.status_code = tracing::field::Empty, repo = %repo, number = number))]
    pub async fn add_reaction(&self, repo: &str, number: u64, reaction: Reaction) -> Result<()> {
        let (owner, name) = split_repo(repo)?;
        let octo = self.octocrab(Identity::Bot);
        self.call(
            "add_reaction",
            Identity::Bot,
            Retry::Transient,
            || async move {
                let issues = octo.issues(owner, name);
                issues.create_reaction(number, reaction.content()).await
            },
        )
        .await
        .map(drop)
        .map_err(|source| Error::AddReaction {
            repo: repo.to_owned(),
            number,
            content: reaction.as_str(),
            source,
        })
    }
}

//! The parsed shape of a GitHub event: only the fields routing reads.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::label::{LabelName, LabelSet};

/// A repository's `owner/name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoFullName(String);

impl RepoFullName {
    /// Parses `owner/name`: exactly one slash, both parts non-empty, trimmed.
    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim();
        match name.split_once('/') {
            Some((owner, repo)) if !owner.is_empty() && !repo.is_empty() && !repo.contains('/') => {
                Ok(Self(name.to_owned()))
            }
            _ => Err(Error::InvalidRepository(raw.to_owned())),
        }
    }

    /// The full name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RepoFullName {
    type Error = Error;

    fn try_from(raw: String) -> Result<Self> {
        Self::parse(&raw)
    }
}

impl From<RepoFullName> for String {
    fn from(name: RepoFullName) -> Self {
        name.0
    }
}

/// A GitHub login; logins are case-insensitive, so it is kept lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

impl Login {
    /// Parses a login: trimmed, lowercased, non-empty.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "" => Err(Error::EmptyLogin),
            login => Ok(Self(login.to_lowercase())),
        }
    }

    /// The lowercased login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Login {
    type Error = Error;

    fn try_from(raw: String) -> Result<Self> {
        Self::parse(&raw)
    }
}

impl From<Login> for String {
    fn from(login: Login) -> Self {
        login.0
    }
}

/// GitHub's `sender.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    /// `User`: a person, or an account used through a personal token.
    User,
    /// `Bot`: a GitHub App.
    Bot,
    /// Anything else, e.g. `Organization`.
    Other,
}

impl SenderKind {
    /// Reads GitHub's `sender.type`, ignoring case and surrounding whitespace.
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_lowercase().as_str() {
            "user" => Self::User,
            "bot" => Self::Bot,
            _ => Self::Other,
        }
    }
}

/// Who sent the event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// `sender.login`.
    pub login: Login,
    /// `sender.type`.
    pub kind: SenderKind,
}

/// An Issue number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IssueNumber(pub u64);

/// A pull request number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PullRequestNumber(pub u64);

/// The Issue or pull request a decision is about: where comments and labels go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Thread {
    /// An Issue.
    Issue(IssueNumber),
    /// A pull request.
    PullRequest(PullRequestNumber),
}

impl fmt::Display for Thread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Issue(n) => write!(f, "issue #{}", n.0),
            Self::PullRequest(n) => write!(f, "pull request #{}", n.0),
        }
    }
}

/// `review.state` of a submitted pull request review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// `approved`.
    Approved,
    /// `changes_requested`.
    ChangesRequested,
    /// `commented` or anything else.
    Other,
}

impl ReviewState {
    /// Reads GitHub's `review.state`, ignoring case.
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_lowercase().as_str() {
            "approved" => Self::Approved,
            "changes_requested" => Self::ChangesRequested,
            _ => Self::Other,
        }
    }
}

/// One GitHub delivery, reduced to what routing needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// `repository.full_name`.
    pub repository: RepoFullName,
    /// `sender`.
    pub sender: Sender,
    /// The person the platform applied this label for (a confirmed next step or an approved agent label).
    ///
    /// Set it only from the platform's own record of that action, never from the payload.
    /// It counts only when the sender is the platform bot; the actor guard then checks this person.
    pub on_behalf_of: Option<Login>,
    /// What happened.
    pub kind: EventKind,
}

/// The event types and actions routing distinguishes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventKind {
    /// `issues` / `labeled`.
    IssueLabeled {
        /// The Issue.
        issue: IssueNumber,
        /// The label just added.
        label: LabelName,
        /// All labels on the Issue after the change.
        labels: LabelSet,
    },
    /// `issues` / `unlabeled`.
    IssueUnlabeled {
        /// The Issue.
        issue: IssueNumber,
        /// The label just removed.
        label: LabelName,
    },
    /// `issues` / `closed`.
    IssueClosed {
        /// The Issue.
        issue: IssueNumber,
    },
    /// `issues` / `deleted`.
    IssueDeleted {
        /// The Issue.
        issue: IssueNumber,
    },
    /// `issue_comment` / `created`.
    IssueCommentCreated {
        /// The Issue (or pull request) number.
        issue: IssueNumber,
        /// Whether the thread is a pull request (`issue.pull_request` present).
        on_pull_request: bool,
        /// Labels on the thread.
        labels: LabelSet,
    },
    /// `pull_request` / `labeled`.
    PullRequestLabeled {
        /// The pull request.
        pull_request: PullRequestNumber,
        /// The label just added.
        label: LabelName,
        /// All labels on the pull request after the change.
        labels: LabelSet,
        /// `pull_request.head.sha`.
        head_sha: String,
    },
    /// `pull_request` / `closed` (merged or not).
    PullRequestClosed {
        /// The pull request.
        pull_request: PullRequestNumber,
    },
    /// `pull_request_review` / `submitted`.
    PullRequestReviewSubmitted {
        /// The pull request.
        pull_request: PullRequestNumber,
        /// `review.state`.
        state: ReviewState,
        /// Labels on the pull request.
        labels: LabelSet,
        /// `pull_request.head.sha`.
        head_sha: String,
    },
    /// `push`.
    Push {
        /// `ref`, e.g. `refs/heads/main`.
        git_ref: String,
        /// `repository.default_branch`.
        default_branch: String,
        /// `after`.
        head_sha: String,
    },
    /// Any other event or action; recorded and ignored.
    Other {
        /// The `X-GitHub-Event` name.
        event: String,
        /// The `action`, empty when there is none.
        action: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_values_are_parsed_once() {
        assert_eq!(
            RepoFullName::parse(" acme/shop ").map(|r| r.as_str().to_owned()),
            Ok("acme/shop".to_owned())
        );
        for bad in ["acme", "/shop", "acme/", "a/b/c"] {
            assert_eq!(
                RepoFullName::parse(bad),
                Err(Error::InvalidRepository(bad.to_owned()))
            );
        }
        assert_eq!(Login::parse(" Codex-Bot "), Login::parse("codex-bot"));
        assert_eq!(Login::parse(""), Err(Error::EmptyLogin));
        assert_eq!(SenderKind::parse("User"), SenderKind::User);
        assert_eq!(SenderKind::parse(" bot"), SenderKind::Bot);
        assert_eq!(SenderKind::parse("Organization"), SenderKind::Other);
        assert_eq!(
            ReviewState::parse("CHANGES_REQUESTED"),
            ReviewState::ChangesRequested
        );
        assert_eq!(ReviewState::parse("commented"), ReviewState::Other);
        assert_eq!(
            Thread::PullRequest(PullRequestNumber(3)).to_string(),
            "pull request #3"
        );
    }
}

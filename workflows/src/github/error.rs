//! The one error type of the GitHub client: one variant per failed operation, each classified.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;

use super::rate_limit::{Failure, classify_response};
use super::token::Identity;

/// Result alias for the GitHub client.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the GitHub client can fail at, one variant per operation.
///
/// [`Error::classify`] says what to do about it. No message ever contains a token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client setting is unusable; the field names the setting.
    #[error("github client setting {field} is invalid: {reason}")]
    InvalidConfig {
        /// The bad setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for one token could not be built.
    #[error("build github client for the {identity} token")]
    BuildClient {
        /// The token the client was for.
        identity: Identity,
        /// Why octocrab refused.
        #[source]
        source: Box<octocrab::Error>,
    },
    /// A repository name has characters GitHub never allows, so it cannot go into a URL.
    #[error("repository name {repo:?} is not a valid github owner/name")]
    InvalidRepository {
        /// The rejected name.
        repo: String,
    },
    /// A ref or blob sha has characters that cannot go into a URL path.
    #[error("git ref {git_ref:?} is not a valid branch, tag or sha")]
    InvalidRef {
        /// The rejected ref.
        git_ref: String,
    },
    /// A status comment body must contain its non-empty marker, or a later upsert could not find it.
    #[error("status comment marker {marker:?} is empty or missing from the body")]
    MarkerNotInBody {
        /// The marker the caller passed.
        marker: String,
    },
    /// Reading an Issue failed.
    #[error("get issue {repo}#{number}")]
    GetIssue {
        /// The repository.
        repo: String,
        /// The Issue number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Reading a pull request failed.
    #[error("get pull request {repo}#{number}")]
    GetPullRequest {
        /// The repository.
        repo: String,
        /// The pull request number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Listing the open pull requests of a branch failed.
    #[error("list open pull requests for branch {branch:?} in {repo}")]
    ListPullRequests {
        /// The repository.
        repo: String,
        /// The head branch.
        branch: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Reading a repository (default branch, clone URL) failed.
    #[error("get repository {repo}")]
    GetRepository {
        /// The repository.
        repo: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Opening a pull request failed.
    #[error("create pull request for branch {branch:?} in {repo}")]
    CreatePullRequest {
        /// The repository.
        repo: String,
        /// The head branch.
        branch: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Updating a pull request's title or body failed.
    #[error("update pull request {repo}#{number}")]
    UpdatePullRequest {
        /// The repository.
        repo: String,
        /// The pull request number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Listing the labels of an Issue or pull request failed.
    #[error("list labels of {repo}#{number}")]
    ListIssueLabels {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Adding labels failed.
    #[error("add labels {labels:?} to {repo}#{number}")]
    AddLabels {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// The labels that were to be added.
        labels: Vec<String>,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Removing a label failed (a label that is not there is not a failure).
    #[error("remove label {label:?} from {repo}#{number}")]
    RemoveLabel {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// The label that was to be removed.
        label: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Posting a comment failed.
    #[error("create comment on {repo}#{number}")]
    CreateComment {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Editing a comment failed.
    #[error("update comment {comment_id} in {repo}")]
    UpdateComment {
        /// The repository.
        repo: String,
        /// The comment id.
        comment_id: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Reading a comment failed (a missing comment is not a failure).
    #[error("get comment {comment_id} in {repo}")]
    GetComment {
        /// The repository.
        repo: String,
        /// The comment id.
        comment_id: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Listing the comments of an Issue or pull request failed.
    #[error("list comments of {repo}#{number}")]
    ListComments {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Listing the files of a tree failed.
    #[error("get tree {git_ref} of {repo}")]
    GetTree {
        /// The repository.
        repo: String,
        /// The branch, tag or sha.
        git_ref: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Creating or repairing the repository's webhook failed.
    #[error("set the webhook of {repo}")]
    SetWebhook {
        /// The repository.
        repo: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Writing a repository Actions secret (or reading the repository key it is sealed with) failed.
    #[error("write the Actions secret {name} of {repo}")]
    PutActionsSecret {
        /// The repository.
        repo: String,
        /// The secret's name.
        name: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// The repository's public key could not seal a secret value.
    #[error("seal a secret for {repo}: {reason}")]
    SealSecret {
        /// The repository.
        repo: String,
        /// Why.
        reason: String,
    },
    /// Reading a blob failed (or its content is not text).
    #[error("get blob {sha} of {repo}")]
    GetBlob {
        /// The repository.
        repo: String,
        /// The blob sha.
        sha: String,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
    /// Reacting to an Issue or pull request failed.
    #[error("add reaction {content} to {repo}#{number}")]
    AddReaction {
        /// The repository.
        repo: String,
        /// The Issue or pull request number.
        number: u64,
        /// The reaction's content, as GitHub spells it.
        content: &'static str,
        /// What went wrong.
        #[source]
        source: ApiError,
    },
}

impl Error {
    /// The one log line (warn) of a call made outside a checkpointed step (the step's own calls
    /// are logged by `github_step`): `during` names what made it; the operation, the failure
    /// class, GitHub's status and message and the error chain; never a token or a body.
    pub fn log(&self, run_id: uuid::Uuid, during: &'static str) {
        tracing::warn!(
            %run_id,
            during,
            operation = self.code(),
            failure = self.classify().as_str(),
            status = self.status().map(|s| s.as_u16()),
            github_message = self.remote_message().unwrap_or_default(),
            error.message = %crate::error_chain(self),
            "github refused"
        );
    }

    /// What the caller should do: wait until a time, fix credentials, give up or retry.
    pub fn classify(&self) -> Failure {
        self.call().map_or(Failure::Permanent, ApiError::failure)
    }

    /// The token whose call failed, when a call was made; rate limits are per token.
    pub fn identity(&self) -> Option<Identity> {
        self.call().map(ApiError::identity)
    }

    /// The HTTP status GitHub answered with, when it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.call().and_then(ApiError::status)
    }

    /// GitHub's own message (the first line of its error body), when it answered; never a token.
    pub fn remote_message(&self) -> Option<&str> {
        self.call().and_then(ApiError::remote_message)
    }

    /// Stable snake_case name of the variant, for metric labels; never renamed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidConfig { .. } => "invalid_config",
            Self::BuildClient { .. } => "build_client",
            Self::InvalidRepository { .. } => "invalid_repository",
            Self::InvalidRef { .. } => "invalid_ref",
            Self::MarkerNotInBody { .. } => "marker_not_in_body",
            Self::GetIssue { .. } => "get_issue",
            Self::GetPullRequest { .. } => "get_pull_request",
            Self::ListPullRequests { .. } => "list_pull_requests",
            Self::GetRepository { .. } => "get_repository",
            Self::CreatePullRequest { .. } => "create_pull_request",
            Self::UpdatePullRequest { .. } => "update_pull_request",
            Self::ListIssueLabels { .. } => "list_issue_labels",
            Self::AddLabels { .. } => "add_labels",
            Self::RemoveLabel { .. } => "remove_label",
            Self::CreateComment { .. } => "create_comment",
            Self::UpdateComment { .. } => "update_comment",
            Self::GetComment { .. } => "get_comment",
            Self::ListComments { .. } => "list_comments",
            Self::AddReaction { .. } => "add_reaction",
            Self::GetTree { .. } => "get_tree",
            Self::GetBlob { .. } => "get_blob",
            Self::SetWebhook { .. } => "set_webhook",
            Self::PutActionsSecret { .. } => "put_actions_secret",
            Self::SealSecret { .. } => "seal_secret",
        }
    }

    fn call(&self) -> Option<&ApiError> {
        match self {
            Self::InvalidConfig { .. }
            | Self::BuildClient { .. }
            | Self::InvalidRepository { .. }
            | Self::InvalidRef { .. }
            | Self::MarkerNotInBody { .. }
            | Self::SealSecret { .. } => None,
            Self::GetIssue { source, .. }
            | Self::GetPullRequest { source, .. }
            | Self::ListPullRequests { source, .. }
            | Self::GetRepository { source, .. }
            | Self::CreatePullRequest { source, .. }
            | Self::UpdatePullRequest { source, .. }
            | Self::ListIssueLabels { source, .. }
            | Self::AddLabels { source, .. }
            | Self::RemoveLabel { source, .. }
            | Self::CreateComment { source, .. }
            | Self::UpdateComment { source, .. }
            | Self::GetComment { source, .. }
            | Self::ListComments { source, .. }
            | Self::AddReaction { source, .. }
            | Self::GetTree { source, .. }
            | Self::GetBlob { source, .. }
            | Self::SetWebhook { source, .. }
            | Self::PutActionsSecret { source, .. } => Some(source),
        }
    }
}

/// Why one HTTP call to GitHub failed, classified when the answer arrived.
#[derive(Debug, thiserror::Error)]
#[error("{detail} (with the {identity} token)")]
pub struct ApiError {
    identity: Identity,
    status: Option<StatusCode>,
    failure: Failure,
    detail: String,
    /// Kept for transport and decoding failures; a GitHub answer is fully described by `detail`.
    #[source]
    source: Option<Box<octocrab::Error>>,
}

impl ApiError {
    /// Classifies an octocrab error; `now` is when the answer arrived, for relative rate-limit hints.
    pub(crate) fn from_octocrab(
        identity: Identity,
        error: octocrab::Error,
        now: DateTime<Utc>,
    ) -> Self {
        match error {
            octocrab::Error::GitHub { source, .. } => {
                let status = source.status_code;
                let headers = source.headers.unwrap_or_default();
                let message = source.message.lines().next().unwrap_or_default();
                Self {
                    identity,
                    status: Some(status),
                    failure: classify_response(status, &headers, message, now),
                    detail: format!("github answered {status}: {message}"),
                    source: None,
                }
            }
            error @ (octocrab::Error::Service { .. } | octocrab::Error::Hyper { .. }) => Self {
                identity,
                status: None,
                failure: Failure::Transient,
                detail: "request failed before github answered".to_owned(),
                source: Some(Box::new(error)),
            },
            error => Self {
                identity,
                status: None,
                failure: Failure::Permanent,
                detail: "request could not be sent or its answer not decoded".to_owned(),
                source: Some(Box::new(error)),
            },
        }
    }

    /// A call that got no complete answer within the client's request timeout.
    pub(crate) fn timed_out(identity: Identity, after: Duration) -> Self {
        Self {
            identity,
            status: None,
            failure: Failure::Transient,
            detail: format!("no answer within {after:?}"),
            source: None,
        }
    }

    /// The classification of this failure.
    pub fn failure(&self) -> Failure {
        self.failure
    }

    /// The token the call used.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The HTTP status GitHub answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }

    /// GitHub's message, if it answered (`detail` is `github answered <status>: <message>`).
    pub fn remote_message(&self) -> Option<&str> {
        self.status?;
        self.detail.split_once(": ").map(|(_, message)| message)
    }
}

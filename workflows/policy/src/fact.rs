//! What the caller looked up before routing: access, binding, links and run history.

use serde::{Deserialize, Serialize};

use super::actor::Access;
use super::event::{IssueNumber, PullRequestNumber};
use super::label::LabelSet;
use super::model::{ModelName, ReasoningEffort};
use super::stage::Stage;

/// The parts of an earlier run that routing reuses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The stage it ran; `None` for pre-review and discussion runs.
    pub stage: Option<Stage>,
    /// The model it took from a label (directly or from its own history); `None` if it ran on the default.
    pub model: Option<ModelName>,
    /// The reasoning effort it took from a label; `None` if it ran on the default.
    pub reasoning: Option<ReasoningEffort>,
}

/// An Issue linked to the pull request through run history, with its current labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIssue {
    /// The Issue.
    pub number: IssueNumber,
    /// Its labels now.
    pub labels: LabelSet,
}

/// The open pull request of an Issue's run lineage, with its current labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedPullRequest {
    /// The pull request.
    pub number: PullRequestNumber,
    /// Its labels now.
    pub labels: LabelSet,
}

/// Facts the caller looked up for one event; routing never fetches anything itself.
///
/// The default is the most restrictive: unknown actor, unbound repository, no history.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Platform access of the acting person (the sender, or `on_behalf_of` when that counts).
    pub access: Access,
    /// Whether the repository is bound to a project.
    pub repository_bound: bool,
    /// Issue events: the Issue's open pull request, if any.
    pub pull_request: Option<LinkedPullRequest>,
    /// Pull request events: the Issues linked to it through run history.
    pub linked_issues: Vec<LinkedIssue>,
    /// The latest run for the pull request (the Issue's pull request on Issue events).
    pub last_pull_request_run: Option<RunRecord>,
    /// The latest run for the Issue (the single linked Issue on pull request events).
    pub last_issue_run: Option<RunRecord>,
    /// Whether a candidate lineage (namespace and build ref) exists for the Issue or pull request.
    pub candidate_lineage: bool,
    /// Whether a discussion run for the Issue is pending or running.
    pub discussion_active: bool,
}

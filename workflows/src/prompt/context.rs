//! Everything a prompt template may say about a run.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::kind::{Completion, Kind};
use super::locale::Locale;
use super::text::SafeText;
use crate::policy::{
    AccessProfile, ExecutionMode, IssueNumber, PullRequestNumber, Role, Stage, TargetEnv,
};

/// The Issue a run works on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// The Issue number.
    pub number: IssueNumber,
    /// The Issue title.
    pub title: SafeText,
    /// The Issue's web URL.
    pub url: SafeText,
}

/// The pull request of a run, when one exists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestRef {
    /// The pull request number.
    pub number: PullRequestNumber,
    /// The pull request's web URL.
    pub url: SafeText,
    /// The head branch the run pushes to.
    pub head_branch: SafeText,
}

/// An MCP tool the run may call, as the prompt lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpTool {
    /// The tool name, e.g. `run_status_report`.
    pub name: SafeText,
    /// What it is for, in one line.
    pub description: SafeText,
}

/// The run as prompt templates see it; also what a run records about its prompt.
///
/// Holds no secret by construction: every string is a [`SafeText`], which refuses token-like
/// text, and everything else is a number, a flag or an enum.
/// Templates see these fields under the same names (see `prompts/README.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptContext {
    /// The run, for audit and for `run_status_report`.
    pub run_id: Uuid,
    /// The repository's `owner/name`.
    pub repository: SafeText,
    /// The Issue the run works on.
    pub issue: IssueRef,
    /// The pull request, when one exists.
    pub pull_request: Option<PullRequestRef>,
    /// The stage; `None` for pre-reviews and for discussions on an Issue without a stage.
    pub stage: Option<Stage>,
    /// The label that started the run, e.g. `run:dev:revise` or `need:reviewer`.
    pub trigger_label: SafeText,
    /// Whether this is a revise run.
    pub revise: bool,
    /// The agent's role.
    pub role: Role,
    /// Which template of the role.
    pub kind: Kind,
    /// The branch the run commits to (the base branch itself for `ai-repair`).
    pub branch: SafeText,
    /// The branch pull requests target.
    pub base_branch: SafeText,
    /// Candidate namespace or production.
    pub target_env: TargetEnv,
    /// Full environment or code only.
    pub execution_mode: ExecutionMode,
    /// Kubernetes access profile.
    pub access_profile: AccessProfile,
    /// The MCP tools of this run, in the order the prompt lists them.
    pub mcp_tools: Vec<McpTool>,
    /// How the run ends and what its final message contains.
    pub completion: Completion,
    /// The effective locale: the language of the prompt and of everything the agent writes.
    pub locale: Locale,
    /// Whether the agent explains its choices for learning.
    pub learning_mode: bool,
}

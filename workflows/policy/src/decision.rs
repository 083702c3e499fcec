//! What routing decided: the output the caller acts on.

use serde::{Deserialize, Serialize};

use super::event::{IssueNumber, PullRequestNumber, Thread};
use super::label::LabelName;
use super::model::{ModelName, ReasoningEffort};
use super::profile::Selection;
use super::reason::ReasonCode;
use super::review::ResolverSource;
use super::runtime::{AccessProfile, BuildRef, ExecutionMode, TargetEnv};
use super::stage::{Role, Stage};
use super::trigger::Trigger;

/// The kind of run to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A stage run started by a `run:*` trigger.
    Stage(Trigger),
    /// A pre-review of a pull request (`need:reviewer`).
    Reviewer,
    /// A comment-only discussion on an Issue (`mode:discussion`).
    Discussion,
}

/// What kind of event started the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSource {
    /// A label added to an Issue.
    IssueLabel,
    /// A label added to a pull request.
    PullRequestLabel,
    /// A review requesting changes.
    PullRequestReview,
    /// A comment on an Issue in discussion mode.
    IssueComment,
}

/// Everything needed to start one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// What kind of run.
    pub kind: RunKind,
    /// The stage, for stage runs and for discussions on an Issue with one `run:*` label.
    pub stage: Option<Stage>,
    /// Whether this is a revise run (it restores the latest session).
    pub revise: bool,
    /// The agent.
    pub role: Role,
    /// Full environment or code only.
    pub mode: ExecutionMode,
    /// Candidate namespace or production.
    pub target_env: TargetEnv,
    /// Kubernetes access profile.
    pub access_profile: AccessProfile,
    /// What to check out and build.
    pub build: BuildRef,
    /// The model and where it came from.
    pub model: Selection<ModelName>,
    /// The reasoning effort and where it came from.
    pub reasoning: Selection<ReasoningEffort>,
    /// The label that triggered the run (the `:revise` label for review-driven revise).
    pub trigger_label: LabelName,
    /// What kind of event started it.
    pub source: TriggerSource,
    /// The Issue, when known.
    pub issue: Option<IssueNumber>,
    /// The pull request, when known.
    pub pull_request: Option<PullRequestNumber>,
    /// For review-driven revise: where the stage was found.
    pub resolved_by: Option<ResolverSource>,
    /// Whether an active discussion run on the Issue must be stopped first.
    pub stop_discussion: bool,
}

/// What to clean up when a thread ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CleanupTarget {
    /// Discussion runs and every run namespace of the Issue.
    Issue(IssueNumber),
    /// Namespaces linked to the pull request.
    PullRequest(PullRequestNumber),
    /// The Issue's discussion run and its namespace.
    Discussion(IssueNumber),
}

/// Labels to add to and remove from one thread.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelChange {
    /// Labels to add.
    pub add: Vec<LabelName>,
    /// Labels to remove.
    pub remove: Vec<LabelName>,
}

/// Which comment template the caller posts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentKind {
    /// Explains a label conflict and how to resolve it.
    Conflict,
    /// Explains why nothing started and what the Owner should do.
    Warning,
    /// Explains why the run failed before it started.
    RunFailed,
}

/// The routing decision for one event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Start a run.
    StartRun(Box<RunPlan>),
    /// Record the event with a reason and do nothing else.
    Ignore {
        /// Why.
        reason: ReasonCode,
    },
    /// No run; post a warning comment.
    Warn {
        /// Why.
        reason: ReasonCode,
        /// Where to comment.
        thread: Thread,
    },
    /// No run; post a conflict comment naming the clashing labels.
    Conflict {
        /// Which conflict.
        reason: ReasonCode,
        /// Where to comment.
        thread: Thread,
        /// The clashing labels.
        labels: Vec<LabelName>,
    },
    /// No run; add `need:input` and post a warning comment.
    NeedInput {
        /// Why.
        reason: ReasonCode,
        /// Where to add the label and comment.
        thread: Thread,
        /// Triggers the Owner could pick to go on.
        suggestions: Vec<Trigger>,
    },
    /// Record a run that failed `failed_precondition` before starting.
    FailPrecondition {
        /// Why.
        reason: ReasonCode,
        /// Where to comment.
        thread: Thread,
        /// The label that asked for the run.
        trigger_label: LabelName,
        /// A sentence for the Owner saying what to fix.
        detail: String,
    },
    /// Delete runs and namespaces that belonged to a finished thread.
    Cleanup {
        /// Why.
        reason: ReasonCode,
        /// What to delete.
        target: CleanupTarget,
    },
    /// Record a push to the default branch.
    Record {
        /// Why.
        reason: ReasonCode,
        /// The pushed ref.
        git_ref: String,
        /// The pushed commit.
        head_sha: String,
    },
    /// Apply an agent's label change as asked.
    ApplyLabels {
        /// Where.
        thread: Thread,
        /// The change.
        change: LabelChange,
    },
    /// Hold labels that would start runs until the Owner approves; apply the rest now.
    NeedsOwnerApproval {
        /// Where.
        thread: Thread,
        /// Labels waiting for approval.
        pending: Vec<LabelName>,
        /// The part of the change that applies now.
        apply_now: LabelChange,
    },
}

impl Decision {
    /// The reason code to record, if the decision has one.
    pub fn reason(&self) -> Option<ReasonCode> {
        match self {
            Self::StartRun(_) => None,
            Self::ApplyLabels { .. } => Some(ReasonCode::AgentLabelsApplied),
            Self::NeedsOwnerApproval { .. } => Some(ReasonCode::AgentTriggerLabelNeedsApproval),
            Self::Ignore { reason }
            | Self::Warn { reason, .. }
            | Self::Conflict { reason, .. }
            | Self::NeedInput { reason, .. }
            | Self::FailPrecondition { reason, .. }
            | Self::Cleanup { reason, .. }
            | Self::Record { reason, .. } => Some(*reason),
        }
    }

    /// The comment to post, if any.
    pub fn comment(&self) -> Option<CommentKind> {
        match self {
            Self::Conflict { .. } => Some(CommentKind::Conflict),
            Self::Warn { .. } | Self::NeedInput { .. } => Some(CommentKind::Warning),
            Self::FailPrecondition { .. } => Some(CommentKind::RunFailed),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{issue_labeled, policy};
    use crate::{Facts, route};

    fn json(decision: &Decision) -> String {
        let text = serde_json::to_string(decision).expect("serialise");
        let back: Decision = serde_json::from_str(&text).expect("deserialise");
        assert_eq!(&back, decision, "round trip");
        text
    }

    #[test]
    fn decisions_serialise_with_a_snake_case_tag() {
        let start = route(&policy(), &issue_labeled("run:dev", &[]), &Facts::test());
        assert_eq!(
            json(&start),
            r#"{"decision":"start_run","kind":{"stage":"dev"},"stage":"dev","revise":false,"role":"dev","mode":"full_env","target_env":"candidate","access_profile":"candidate","build":{"kind":"default_branch"},"model":{"value":"gpt-5.4","source":"default"},"reasoning":{"value":"high","source":"default"},"trigger_label":"run:dev","source":"issue_label","issue":7,"pull_request":null,"resolved_by":null,"stop_discussion":false}"#
        );
        assert_eq!((start.reason(), start.comment()), (None, None));
        let need = route(&policy(), &issue_labeled("run:qa", &[]), &Facts::test());
        assert_eq!(
            json(&need),
            r#"{"decision":"need_input","reason":"issue_trigger_candidate_not_found","thread":{"issue":7},"suggestions":["dev","dev_revise"]}"#
        );
        assert_eq!(
            (need.reason(), need.comment()),
            (
                Some(ReasonCode::IssueTriggerCandidateNotFound),
                Some(CommentKind::Warning)
            )
        );
    }

    #[test]
    fn each_refusal_names_its_comment() {
        let conflict = route(
            &policy(),
            &issue_labeled("run:qa", &["run:dev"]),
            &Facts::test(),
        );
        assert_eq!(conflict.comment(), Some(CommentKind::Conflict));
        let failed = route(
            &policy(),
            &issue_labeled("run:dev", &["[ai-reasoning-low]", "[ai-reasoning-medium]"]),
            &Facts::test(),
        );
        assert_eq!(failed.comment(), Some(CommentKind::RunFailed));
        assert_eq!(failed.reason(), Some(ReasonCode::ReasoningLabelConflict));
        let ignored = route(&policy(), &issue_labeled("bug", &[]), &Facts::test());
        assert_eq!(ignored.comment(), None);
    }
}

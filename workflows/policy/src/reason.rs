//! Stable reason codes recorded with every decision that does not simply start a run.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why routing did not start a run, or what it did instead.
///
/// The snake_case names are stored in `flow_events` and read by API clients: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The event type or action is not routed.
    EventNotHandled,
    /// An Issue got a label that starts nothing.
    IssueEventNotTriggerLabel,
    /// A label other than the discussion label was removed from an Issue.
    IssueLabelRemovalNotHandled,
    /// A pull request got a label other than `need:reviewer`.
    PullRequestLabelNotTrigger,
    /// A review was submitted without requesting changes.
    PullRequestReviewNotChangesRequested,
    /// A comment on a pull request; discussion mode is for Issues.
    IssueCommentOnPullRequest,
    /// A comment on an Issue without the discussion label.
    IssueCommentWithoutDiscussionMode,
    /// `mode:discussion` was added again while a discussion run is pending or running.
    DiscussionRunActive,
    /// A push to a branch other than the default branch.
    PushNotDefaultBranch,
    /// The sender is a GitHub App or an organisation, not a person.
    SenderNotHuman,
    /// The sender is the platform's own bot account.
    SenderIsPlatformBot,
    /// The sender is not a platform user.
    SenderNotPlatformUser,
    /// The sender is a platform user but not a member of the project.
    SenderNotProjectMember,
    /// The sender has only the project `read` role.
    SenderRoleReadNotPermitted,
    /// The repository is not bound to any project.
    RepositoryNotBound,
    /// More than one `run:*` label on the Issue.
    IssueTriggerLabelConflict,
    /// Discussion mode with more than one `run:*` label on the Issue.
    DiscussionTriggerLabelConflict,
    /// The Issue (or, for a review-driven revise, the pull request or its Issue) carries `state:blocked`.
    StateBlocked,
    /// A late stage (`qa`, `release`) without a candidate lineage to continue.
    IssueTriggerCandidateNotFound,
    /// A revise that needs a pull request found none.
    RevisePullRequestNotFound,
    /// More than one model label on the deciding thread.
    ModelLabelConflict,
    /// More than one reasoning label on the deciding thread.
    ReasoningLabelConflict,
    /// Changes requested, but several stages could be revised.
    PullRequestReviewStageAmbiguous,
    /// Changes requested on a pull request linked to several Issues.
    PullRequestReviewLinkedIssueAmbiguous,
    /// Changes requested, but no stage could be found.
    PullRequestReviewStageNotResolved,
    /// Changes requested, but the resolved stage has no revise variant.
    PullRequestReviewStageNotRevisable,
    /// The Issue was closed.
    IssueClosed,
    /// The Issue was deleted.
    IssueDeleted,
    /// The pull request was closed or merged.
    PullRequestClosed,
    /// The discussion label was removed.
    DiscussionModeRemoved,
    /// A push to the default branch (recorded; deploys come later).
    DefaultBranchPush,
    /// An agent asked for labels that start runs; the Owner must approve them.
    AgentTriggerLabelNeedsApproval,
    /// An agent's label change applies directly.
    AgentLabelsApplied,
    /// The trigger label is no longer on the thread (a replayed or stale delivery).
    TriggerLabelRemoved,
    /// The Issue carries an open `need:input`: the Owner must answer before a stage starts.
    NeedInputOpen,
}

impl ReasonCode {
    /// Every code, in declaration order.
    pub const ALL: [Self; 35] = {
        use ReasonCode::*;
        [
            EventNotHandled,
            IssueEventNotTriggerLabel,
            IssueLabelRemovalNotHandled,
            PullRequestLabelNotTrigger,
            PullRequestReviewNotChangesRequested,
            IssueCommentOnPullRequest,
            IssueCommentWithoutDiscussionMode,
            DiscussionRunActive,
            PushNotDefaultBranch,
            SenderNotHuman,
            SenderIsPlatformBot,
            SenderNotPlatformUser,
            SenderNotProjectMember,
            SenderRoleReadNotPermitted,
            RepositoryNotBound,
            IssueTriggerLabelConflict,
            DiscussionTriggerLabelConflict,
            StateBlocked,
            IssueTriggerCandidateNotFound,
            RevisePullRequestNotFound,
            ModelLabelConflict,
            ReasoningLabelConflict,
            PullRequestReviewStageAmbiguous,
            PullRequestReviewLinkedIssueAmbiguous,
            PullRequestReviewStageNotResolved,
            PullRequestReviewStageNotRevisable,
            IssueClosed,
            IssueDeleted,
            PullRequestClosed,
            DiscussionModeRemoved,
            DefaultBranchPush,
            AgentTriggerLabelNeedsApproval,
            AgentLabelsApplied,
            TriggerLabelRemoved,
            NeedInputOpen,
        ]
    };

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        use ReasonCode::*;
        match self {
            EventNotHandled => "event_not_handled",
            IssueEventNotTriggerLabel => "issue_event_not_trigger_label",
            IssueLabelRemovalNotHandled => "issue_label_removal_not_handled",
            PullRequestLabelNotTrigger => "pull_request_label_not_trigger",
            PullRequestReviewNotChangesRequested => "pull_request_review_not_changes_requested",
            IssueCommentOnPullRequest => "issue_comment_on_pull_request",
            IssueCommentWithoutDiscussionMode => "issue_comment_without_discussion_mode",
            DiscussionRunActive => "discussion_run_active",
            PushNotDefaultBranch => "push_not_default_branch",
            SenderNotHuman => "sender_not_human",
            SenderIsPlatformBot => "sender_is_platform_bot",
            SenderNotPlatformUser => "sender_not_platform_user",
            SenderNotProjectMember => "sender_not_project_member",
            SenderRoleReadNotPermitted => "sender_role_read_not_permitted",
            RepositoryNotBound => "repository_not_bound",
            IssueTriggerLabelConflict => "issue_trigger_label_conflict",
            DiscussionTriggerLabelConflict => "discussion_trigger_label_conflict",
            StateBlocked => "state_blocked",
            IssueTriggerCandidateNotFound => "issue_trigger_candidate_not_found",
            RevisePullRequestNotFound => "revise_pull_request_not_found",
            ModelLabelConflict => "model_label_conflict",
            ReasoningLabelConflict => "reasoning_label_conflict",
            PullRequestReviewStageAmbiguous => "pull_request_review_stage_ambiguous",
            PullRequestReviewLinkedIssueAmbiguous => "pull_request_review_linked_issue_ambiguous",
            PullRequestReviewStageNotResolved => "pull_request_review_stage_not_resolved",
            PullRequestReviewStageNotRevisable => "pull_request_review_stage_not_revisable",
            IssueClosed => "issue_closed",
            IssueDeleted => "issue_deleted",
            PullRequestClosed => "pull_request_closed",
            DiscussionModeRemoved => "discussion_mode_removed",
            DefaultBranchPush => "default_branch_push",
            AgentTriggerLabelNeedsApproval => "agent_trigger_label_needs_approval",
            AgentLabelsApplied => "agent_labels_applied",
            TriggerLabelRemoved => "trigger_label_removed",
            NeedInputOpen => "need_input_open",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for (i, code) in ReasonCode::ALL.into_iter().enumerate() {
            assert_eq!(code as usize, i, "ALL is in declaration order");
            assert!(seen.insert(code.as_str()), "{code:?}");
            let json = serde_json::to_string(&code).expect("serialise");
            assert_eq!(json, format!("\"{code}\""));
            let back: ReasonCode = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, code);
        }
    }
}

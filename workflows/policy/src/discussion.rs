//! Discussion mode: comment-only runs on an Issue labelled `mode:discussion`. Every human comment
//! starts a run: while another discussion run of the Issue is going, it queues behind it (one run
//! per Issue at a time) and, when it starts, ends at once if a later-started run already read its
//! comment (ADR 0028). So no comment is left unanswered.

use super::config::Policy;
use super::decision::{Decision, RunKind, RunPlan, TriggerSource};
use super::event::{Event, IssueNumber, Thread};
use super::fact::Facts;
use super::label::LabelSet;
use super::plan::{self, Planned};
use super::profile::{ProfileInput, ProfileOrder};
use super::reason::ReasonCode;
use super::route::{admit, ignore};
use super::runtime::{AccessProfile, BuildRef, ExecutionMode, TargetEnv};
use super::stage::{Role, Stage};
use super::trigger::Trigger;

/// An `issue_comment`: a human's comment on an Issue in discussion mode may start a run.
pub(crate) fn comment(
    policy: &Policy,
    event: &Event,
    issue: IssueNumber,
    on_pull_request: bool,
    labels: &LabelSet,
    facts: &Facts,
) -> Decision {
    if on_pull_request {
        return ignore(ReasonCode::IssueCommentOnPullRequest);
    }
    if !labels.contains(policy.catalog().discussion()) {
        return ignore(ReasonCode::IssueCommentWithoutDiscussionMode);
    }
    if let Err(refusal) = admit(policy, event, facts, None) {
        return refusal;
    }
    start(policy, issue, labels, TriggerSource::IssueComment, facts)
}

/// Starts a discussion unless the Issue's `run:*` labels clash, or the label was added again
/// while one is live (a comment queues behind the live one instead).
pub(crate) fn start(
    policy: &Policy,
    issue: IssueNumber,
    labels: &LabelSet,
    source: TriggerSource,
    facts: &Facts,
) -> Decision {
    let trigger: Option<Trigger> = match policy.catalog().triggers_in(labels).as_slice() {
        [] => None,
        [one] => Some(*one),
        _ => {
            return Decision::Conflict {
                reason: ReasonCode::DiscussionTriggerLabelConflict,
                thread: Thread::Issue(issue),
                labels: policy.catalog().trigger_labels_in(labels),
            };
        }
    };
    if facts.discussion_active && source == TriggerSource::IssueLabel {
        return ignore(ReasonCode::DiscussionRunActive);
    }
    plan::decide(plan_run(policy, issue, trigger, labels, source, facts))
}

/// Plans a discussion run: code-only, comment-only, in the role of the Issue's single trigger (else `dev`).
fn plan_run(
    policy: &Policy,
    issue: IssueNumber,
    trigger: Option<Trigger>,
    labels: &LabelSet,
    source: TriggerSource,
    facts: &Facts,
) -> Planned {
    let thread = Thread::Issue(issue);
    let stage = trigger.map(Trigger::stage);
    let pull_request = facts.pull_request.as_ref();
    let profile = ProfileInput {
        order: ProfileOrder::PullRequestFirst,
        pull_request: pull_request.map(|p| (Thread::PullRequest(p.number), &p.labels)),
        issue: Some((thread, labels)),
        last_run: facts
            .last_issue_run
            .as_ref()
            .or(facts.last_pull_request_run.as_ref()),
    };
    let label = policy.catalog().discussion();
    let chosen = plan::choose(policy, &profile, thread, label)?;
    Ok(RunPlan {
        kind: RunKind::Discussion,
        stage,
        revise: false,
        role: stage.map_or(Role::Dev, Stage::role),
        mode: ExecutionMode::CodeOnly,
        target_env: TargetEnv::Candidate,
        access_profile: AccessProfile::Candidate,
        build: BuildRef::DefaultBranch,
        model: chosen.model,
        reasoning: chosen.reasoning,
        trigger_label: label.clone(),
        source,
        issue: Some(issue),
        pull_request: pull_request.map(|p| p.number),
        resolved_by: None,
        stop_discussion: false,
    })
}

#[cfg(test)]
mod tests {
    use crate::Facts;
    use crate::fixture::{check, issue_comment, issue_labeled};

    const DEV: &str = "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch label=run:dev";
    const TALK: &str = "role=dev mode=code_only env=candidate access=candidate build=default_branch label=mode:discussion";

    #[test]
    fn discussion_mode_runs_in_the_role_of_the_single_run_label() {
        let facts = Facts::test();
        check(
            &issue_labeled("mode:discussion", &[]),
            &facts,
            &format!("start discussion {TALK}"),
        );
        check(
            &issue_labeled("Mode:Discussion", &["run:qa"]),
            &facts,
            "start discussion role=qa mode=code_only env=candidate access=candidate build=default_branch label=mode:discussion",
        );
        check(
            &issue_labeled("mode:discussion", &[]),
            &facts.clone().discussing(),
            "ignore discussion_run_active",
        );
        check(
            &issue_labeled("run:dev", &["mode:discussion"]),
            &facts.discussing(),
            &format!("{DEV} stop_discussion"),
        );
    }

    #[test]
    fn human_comments_start_a_discussion_only_in_discussion_mode() {
        let facts = Facts::test();
        check(
            &issue_comment(&["mode:discussion"], false),
            &facts,
            &format!("start discussion {TALK}"),
        );
        check(
            &issue_comment(&["run:dev"], false),
            &facts,
            "ignore issue_comment_without_discussion_mode",
        );
        check(
            &issue_comment(&["mode:discussion"], true),
            &facts,
            "ignore issue_comment_on_pull_request",
        );
        check(
            &issue_comment(&["mode:discussion"], false).sent_by("codex-bot", "User"),
            &facts,
            "ignore sender_is_platform_bot",
        );
        check(
            &issue_comment(&["mode:discussion"], false),
            &facts.clone().unbound(),
            "ignore repository_not_bound",
        );
        // A comment while a discussion is going starts one more, queued behind it.
        check(
            &issue_comment(&["mode:discussion"], false),
            &facts.clone().discussing(),
            &format!("start discussion {TALK}"),
        );
        check(
            &issue_comment(&["mode:discussion", "run:dev", "run:qa"], false),
            &facts,
            "conflict discussion_trigger_label_conflict on issue #7: [run:dev, run:qa]",
        );
    }
}

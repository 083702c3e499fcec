//! Routing: one GitHub event plus the caller's facts in, one decision out.

use super::actor::check_sender;
use super::catalog::{LabelKind, NeedLabel, StateLabel};
use super::config::Policy;
use super::decision::{CleanupTarget, Decision, TriggerSource};
use super::discussion;
use super::event::{Event, EventKind, IssueNumber, PullRequestNumber, ReviewState, Thread};
use super::fact::Facts;
use super::label::{LabelName, LabelSet};
use super::plan;
use super::reason::ReasonCode;
use super::review::{self, ReviewRevise, ReviewStage};

/// Decides what one GitHub event means; pure, so the same inputs always give the same decision.
pub fn route(policy: &Policy, event: &Event, facts: &Facts) -> Decision {
    match &event.kind {
        EventKind::IssueLabeled {
            issue,
            label,
            labels,
        } => issue_labeled(policy, event, *issue, label, &labels.with(label), facts),
        EventKind::IssueUnlabeled { issue, label } => {
            if label == policy.catalog().discussion() {
                cleanup(
                    ReasonCode::DiscussionModeRemoved,
                    CleanupTarget::Discussion(*issue),
                )
            } else {
                ignore(ReasonCode::IssueLabelRemovalNotHandled)
            }
        }
        EventKind::IssueClosed { issue } => {
            cleanup(ReasonCode::IssueClosed, CleanupTarget::Issue(*issue))
        }
        EventKind::IssueDeleted { issue } => {
            cleanup(ReasonCode::IssueDeleted, CleanupTarget::Issue(*issue))
        }
        EventKind::IssueCommentCreated {
            issue,
            on_pull_request,
            labels,
        } => discussion::comment(policy, event, *issue, *on_pull_request, labels, facts),
        EventKind::PullRequestLabeled {
            pull_request,
            label,
            labels,
            head_sha,
        } => pull_request_labeled(policy, event, *pull_request, label, labels, head_sha, facts),
        EventKind::PullRequestClosed { pull_request } => cleanup(
            ReasonCode::PullRequestClosed,
            CleanupTarget::PullRequest(*pull_request),
        ),
        EventKind::PullRequestReviewSubmitted {
            pull_request,
            state,
            labels,
            head_sha,
        } => review_submitted(
            policy,
            event,
            *pull_request,
            *state,
            labels,
            head_sha,
            facts,
        ),
        EventKind::Push {
            git_ref,
            default_branch,
            head_sha,
        } => {
            if git_ref.trim() == format!("refs/heads/{}", default_branch.trim()) {
                Decision::Record {
                    reason: ReasonCode::DefaultBranchPush,
                    git_ref: git_ref.clone(),
                    head_sha: head_sha.clone(),
                }
            } else {
                ignore(ReasonCode::PushNotDefaultBranch)
            }
        }
        EventKind::Other { .. } => ignore(ReasonCode::EventNotHandled),
    }
}

/// The actor guard and the binding check shared by every run-creating event.
///
/// An unbound repository gets a warning comment on `warn_on`, or is ignored quietly without one.
pub(crate) fn admit(
    policy: &Policy,
    event: &Event,
    facts: &Facts,
    warn_on: Option<Thread>,
) -> Result<(), Decision> {
    check_sender(event, policy.bot()).map_err(ignore)?;
    if !facts.repository_bound {
        let reason = ReasonCode::RepositoryNotBound;
        return Err(match warn_on {
            Some(thread) => Decision::Warn { reason, thread },
            None => ignore(reason),
        });
    }
    facts.access.permits_runs().map_err(ignore)
}

/// A `run:*` or discussion label on an Issue; every other label starts nothing.
fn issue_labeled(
    policy: &Policy,
    event: &Event,
    issue: IssueNumber,
    label: &LabelName,
    labels: &LabelSet,
    facts: &Facts,
) -> Decision {
    let catalog = policy.catalog();
    let trigger = match catalog.kind(label) {
        Some(LabelKind::Trigger(trigger)) => Some(*trigger),
        Some(LabelKind::Discussion) => None,
        _ => return ignore(ReasonCode::IssueEventNotTriggerLabel),
    };
    let thread = Thread::Issue(issue);
    if let Err(refusal) = admit(policy, event, facts, Some(thread)) {
        return refusal;
    }
    let Some(trigger) = trigger else {
        return discussion::start(policy, issue, labels, TriggerSource::IssueLabel, facts);
    };
    if catalog.triggers_in(labels).len() > 1 {
        return Decision::Conflict {
            reason: ReasonCode::IssueTriggerLabelConflict,
            thread,
            labels: catalog.trigger_labels_in(labels),
        };
    }
    if catalog.has_state(labels, StateLabel::Blocked) {
        return Decision::Warn {
            reason: ReasonCode::StateBlocked,
            thread,
        };
    }
    // Stage entry requires no open `need:input`: the Owner answers (and removes it) first.
    if labels.contains(catalog.need(NeedLabel::Input)) {
        return Decision::Warn {
            reason: ReasonCode::NeedInputOpen,
            thread,
        };
    }
    plan::decide(plan::issue_trigger(policy, issue, trigger, labels, facts))
}

/// `need:reviewer` on a pull request starts a pre-review; other pull request labels start nothing.
fn pull_request_labeled(
    policy: &Policy,
    event: &Event,
    pull_request: PullRequestNumber,
    label: &LabelName,
    labels: &LabelSet,
    head_sha: &str,
    facts: &Facts,
) -> Decision {
    if policy.catalog().kind(label) != Some(&LabelKind::Need(NeedLabel::Reviewer)) {
        return ignore(ReasonCode::PullRequestLabelNotTrigger);
    }
    let thread = Thread::PullRequest(pull_request);
    if let Err(refusal) = admit(policy, event, facts, Some(thread)) {
        return refusal;
    }
    let labels = labels.with(label);
    plan::decide(plan::reviewer(
        policy,
        pull_request,
        head_sha,
        &labels,
        facts,
    ))
}

/// A review requesting changes revises the stage the resolver finds, or asks the Owner.
fn review_submitted(
    policy: &Policy,
    event: &Event,
    pull_request: PullRequestNumber,
    state: ReviewState,
    labels: &LabelSet,
    head_sha: &str,
    facts: &Facts,
) -> Decision {
    if state != ReviewState::ChangesRequested {
        return ignore(ReasonCode::PullRequestReviewNotChangesRequested);
    }
    let thread = Thread::PullRequest(pull_request);
    if let Err(refusal) = admit(policy, event, facts, Some(thread)) {
        return refusal;
    }
    let catalog = policy.catalog();
    let blocked = std::iter::once(labels)
        .chain(facts.linked_issues.iter().map(|i| &i.labels))
        .any(|l| catalog.has_state(l, StateLabel::Blocked));
    if blocked {
        return Decision::Warn {
            reason: ReasonCode::StateBlocked,
            thread,
        };
    }
    match review::resolve_stage(catalog, labels, facts) {
        ReviewStage::Resolved {
            stage,
            source,
            issue,
        } => {
            let request = ReviewRevise {
                pull_request,
                head_sha,
                pr_labels: labels,
                stage,
                resolved_by: source,
                issue,
            };
            plan::decide(review::plan_revise(policy, &request, facts))
        }
        ReviewStage::Refused {
            reason,
            suggestions,
        } => Decision::NeedInput {
            reason,
            thread,
            suggestions,
        },
    }
}

/// Record and do nothing else.
pub(crate) fn ignore(reason: ReasonCode) -> Decision {
    Decision::Ignore { reason }
}

fn cleanup(reason: ReasonCode, target: CleanupTarget) -> Decision {
    Decision::Cleanup { reason, target }
}

#[cfg(test)]
mod tests {
    use crate::fixture::*;
    use crate::{EventKind, Facts};

    const DEV: &str = "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch label=run:dev";
    const TALK: &str = "role=dev mode=code_only env=candidate access=candidate build=default_branch label=mode:discussion";

    #[test]
    fn trigger_labels_match_trimmed_and_case_insensitively() {
        let facts = Facts::test();
        check(
            &issue_labeled("  RUN:Dev\t", &["State:In-Review"]),
            &facts,
            DEV,
        );
        check(&issue_labeled("[run:dev]", &[]), &facts, DEV);
        check(&issue_labeled("run:dev", &["Run:Dev "]), &facts, DEV);
        for label in [
            "state:approved",
            "need:reviewer",
            "need:input",
            "[ai-model-gpt-5.2]",
            "run:debug",
            "bug",
        ] {
            check(
                &issue_labeled(label, &["run:dev"]),
                &facts,
                "ignore issue_event_not_trigger_label",
            );
        }
    }

    #[test]
    fn more_than_one_run_label_is_a_conflict() {
        let facts = Facts::test();
        check(
            &issue_labeled("run:qa", &["run:dev", "state:in-review"]),
            &facts,
            "conflict issue_trigger_label_conflict on issue #7: [run:dev, run:qa]",
        );
        check(
            &issue_labeled("RUN:DEV:REVISE", &["run:dev"]),
            &facts,
            "conflict issue_trigger_label_conflict on issue #7: [run:dev, RUN:DEV:REVISE]",
        );
        check(
            &issue_labeled("mode:discussion", &["run:dev", "run:qa"]),
            &facts,
            "conflict discussion_trigger_label_conflict on issue #7: [run:dev, run:qa]",
        );
    }

    #[test]
    fn a_blocked_issue_starts_no_stage_but_may_still_discuss() {
        let facts = Facts::test();
        check(
            &issue_labeled("run:dev", &["state:blocked"]),
            &facts,
            "warn state_blocked on issue #7",
        );
        check(
            &issue_labeled("mode:discussion", &["state:blocked"]),
            &facts,
            &format!("start discussion {TALK}"),
        );
    }

    #[test]
    fn an_open_need_input_blocks_stage_entry_but_not_discussion() {
        let facts = Facts::test();
        check(
            &issue_labeled("run:dev", &["need:input"]),
            &facts,
            "warn need_input_open on issue #7",
        );
        check(
            &issue_labeled("run:dev", &["NEED:Input "]),
            &facts,
            "warn need_input_open on issue #7",
        );
        check(
            &issue_labeled("mode:discussion", &["need:input"]),
            &facts,
            &format!("start discussion {TALK}"),
        );
    }

    #[test]
    fn ending_threads_clean_up_and_other_removals_are_ignored() {
        let facts = Facts::default();
        check(
            &issue_unlabeled(" MODE:discussion"),
            &facts,
            "cleanup discussion_mode_removed discussion on issue #7",
        );
        check(
            &issue_unlabeled("run:dev"),
            &facts,
            "ignore issue_label_removal_not_handled",
        );
        check(
            &other(EventKind::IssueClosed { issue: ISSUE }),
            &facts,
            "cleanup issue_closed issue #7",
        );
        check(
            &other(EventKind::IssueDeleted { issue: ISSUE }),
            &facts,
            "cleanup issue_deleted issue #7",
        );
        check(
            &other(EventKind::PullRequestClosed { pull_request: PR }),
            &facts,
            "cleanup pull_request_closed pull request #12",
        );
    }

    #[test]
    fn pushes_to_the_default_branch_are_recorded() {
        let push = |git_ref: &str| {
            other(EventKind::Push {
                git_ref: git_ref.to_owned(),
                default_branch: "main".to_owned(),
                head_sha: "f00d".to_owned(),
            })
        };
        check(
            &push("refs/heads/main"),
            &Facts::default(),
            "record default_branch_push refs/heads/main f00d",
        );
        check(
            &push("refs/heads/codex/issue-7"),
            &Facts::default(),
            "ignore push_not_default_branch",
        );
        check(
            &push("refs/tags/main"),
            &Facts::default(),
            "ignore push_not_default_branch",
        );
        let ping = EventKind::Other {
            event: "ping".to_owned(),
            action: String::new(),
        };
        check(&other(ping), &Facts::default(), "ignore event_not_handled");
    }
}

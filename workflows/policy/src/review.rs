//! The stage resolver for review-driven revise (`changes_requested` on a pull request).

use serde::{Deserialize, Serialize};

use super::catalog::LabelCatalog;
use super::config::Policy;
use super::decision::{Decision, RunKind, RunPlan, TriggerSource};
use super::event::{PullRequestNumber, Thread};
use super::fact::{Facts, LinkedIssue};
use super::label::LabelSet;
use super::plan::{self, Planned};
use super::profile::{ProfileInput, ProfileOrder};
use super::reason::ReasonCode;
use super::stage::Stage;
use super::trigger::Trigger;

/// Where the resolver found the stage to revise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolverSource {
    /// The `run:*` labels on the pull request.
    PullRequestLabels,
    /// The `run:*` labels on the single linked Issue.
    IssueLabels,
    /// The latest run for the pull request.
    LastPullRequestRun,
    /// The latest run for the linked Issue.
    IssueHistory,
}

/// The resolver's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReviewStage<'a> {
    /// One stage to revise.
    Resolved {
        stage: Stage,
        source: ResolverSource,
        issue: Option<&'a LinkedIssue>,
    },
    /// No run: ask the Owner.
    Refused {
        reason: ReasonCode,
        suggestions: Vec<Trigger>,
    },
}

/// Walks pull request labels, the linked Issue, the pull request's last run and the Issue's last run.
///
/// The first level that names any stage decides; several stages there is ambiguity, never a guess.
pub(crate) fn resolve_stage<'a>(
    catalog: &LabelCatalog,
    pr_labels: &LabelSet,
    facts: &'a Facts,
) -> ReviewStage<'a> {
    let issue = match facts.linked_issues.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let found = match stages_in(catalog, pr_labels).as_slice() {
        [stage] => Ok((*stage, ResolverSource::PullRequestLabels)),
        [] => from_issue_or_history(catalog, issue, facts),
        many => Err(ambiguous(many)),
    };
    match found {
        Ok((stage, source)) if stage.spec().revisable => ReviewStage::Resolved {
            stage,
            source,
            issue,
        },
        Ok(_) => refused(ReasonCode::PullRequestReviewStageNotRevisable, Vec::new()),
        Err(refusal) => refusal,
    }
}

type Found<'a> = Result<(Stage, ResolverSource), ReviewStage<'a>>;

fn from_issue_or_history<'a>(
    catalog: &LabelCatalog,
    issue: Option<&LinkedIssue>,
    facts: &Facts,
) -> Found<'a> {
    if facts.linked_issues.len() > 1 {
        return Err(refused(
            ReasonCode::PullRequestReviewLinkedIssueAmbiguous,
            Vec::new(),
        ));
    }
    if let Some(issue) = issue {
        match stages_in(catalog, &issue.labels).as_slice() {
            [stage] => return Ok((*stage, ResolverSource::IssueLabels)),
            [] => {}
            many => return Err(ambiguous(many)),
        }
    }
    let history = [
        (
            &facts.last_pull_request_run,
            ResolverSource::LastPullRequestRun,
        ),
        (&facts.last_issue_run, ResolverSource::IssueHistory),
    ];
    history
        .into_iter()
        .find_map(|(run, source)| run.as_ref()?.stage.map(|stage| (stage, source)))
        .ok_or_else(|| refused(ReasonCode::PullRequestReviewStageNotResolved, Vec::new()))
}

/// Distinct stages named by the `run:*` labels in `labels`; a stage and its revise count once.
fn stages_in(catalog: &LabelCatalog, labels: &LabelSet) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for trigger in catalog.triggers_in(labels) {
        if !stages.contains(&trigger.stage()) {
            stages.push(trigger.stage());
        }
    }
    stages
}

fn ambiguous<'a>(stages: &[Stage]) -> ReviewStage<'a> {
    let suggestions = stages
        .iter()
        .filter_map(|s| Trigger::of(*s, true))
        .collect();
    refused(ReasonCode::PullRequestReviewStageAmbiguous, suggestions)
}

fn refused<'a>(reason: ReasonCode, suggestions: Vec<Trigger>) -> ReviewStage<'a> {
    ReviewStage::Refused {
        reason,
        suggestions,
    }
}

/// Review-driven revise of a resolved stage: always builds the pull request head.
pub(crate) struct ReviewRevise<'a> {
    pub(crate) pull_request: PullRequestNumber,
    pub(crate) head_sha: &'a str,
    pub(crate) pr_labels: &'a LabelSet,
    pub(crate) stage: Stage,
    pub(crate) resolved_by: ResolverSource,
    pub(crate) issue: Option<&'a LinkedIssue>,
}

/// Plans a review-driven revise; the Issue's labels outrank the pull request's ("sticky profile").
pub(crate) fn plan_revise(policy: &Policy, request: &ReviewRevise<'_>, facts: &Facts) -> Planned {
    let thread = Thread::PullRequest(request.pull_request);
    let spec = request.stage.spec();
    let (Some(trigger), Some(placed)) =
        (Trigger::of(request.stage, true), spec.placement.place(true))
    else {
        return Err(Decision::NeedInput {
            reason: ReasonCode::PullRequestReviewStageNotRevisable,
            thread,
            suggestions: Vec::new(),
        });
    };
    let profile = ProfileInput {
        order: ProfileOrder::IssueFirst,
        pull_request: Some((thread, request.pr_labels)),
        issue: request.issue.map(|i| (Thread::Issue(i.number), &i.labels)),
        last_run: facts
            .last_pull_request_run
            .as_ref()
            .or(facts.last_issue_run.as_ref()),
    };
    let label = policy.catalog().trigger(trigger);
    let chosen = plan::choose(policy, &profile, thread, label)?;
    Ok(RunPlan {
        kind: RunKind::Stage(trigger),
        stage: Some(request.stage),
        revise: true,
        role: spec.role,
        mode: policy.modes().for_trigger(trigger),
        target_env: placed.target_env,
        access_profile: placed.access_profile,
        build: plan::pull_request_head(request.head_sha),
        model: chosen.model,
        reasoning: chosen.reasoning,
        trigger_label: label.clone(),
        source: TriggerSource::PullRequestReview,
        issue: request.issue.map(|i| i.number),
        pull_request: Some(request.pull_request),
        resolved_by: Some(request.resolved_by),
        stop_discussion: false,
    })
}

#[cfg(test)]
mod tests {
    use crate::fixture::{check, pr_review, run};
    use crate::{Facts, Stage};

    const DEV_REVISE: &str = "start dev_revise role=dev mode=full_env env=candidate access=candidate build=pr_head:abc123 label=run:dev:revise";

    fn changes(labels: &[&str]) -> crate::Event {
        pr_review("CHANGES_REQUESTED", labels)
    }

    #[test]
    fn only_changes_requested_starts_a_revise() {
        let facts = Facts::test();
        check(
            &pr_review("approved", &["run:dev"]),
            &facts,
            "ignore pull_request_review_not_changes_requested",
        );
        check(
            &pr_review("commented", &["run:dev"]),
            &facts,
            "ignore pull_request_review_not_changes_requested",
        );
        check(
            &changes(&["run:dev"]),
            &facts.unbound(),
            "warn repository_not_bound on pull request #12",
        );
    }

    #[test]
    fn the_pull_request_labels_decide_first() {
        let facts = Facts::test().linked_issue(3, &["run:qa"]);
        check(
            &changes(&["run:dev"]),
            &facts,
            &format!("{DEV_REVISE} issue=#3 resolver=pull_request_labels"),
        );
        check(
            &changes(&["run:dev", " Run:Dev:Revise"]),
            &facts,
            &format!("{DEV_REVISE} issue=#3 resolver=pull_request_labels"),
        );
        let two_issues = Facts::test().linked_issue(3, &[]).linked_issue(4, &[]);
        check(
            &changes(&["run:dev"]),
            &two_issues,
            &format!("{DEV_REVISE} resolver=pull_request_labels"),
        );
    }

    #[test]
    fn then_the_linked_issue_then_the_pull_request_run_then_the_issue_run() {
        let issue = Facts::test().linked_issue(3, &["run:qa:revise", "state:in-review"]);
        check(
            &changes(&["state:in-review"]),
            &issue,
            "start qa_revise role=qa mode=full_env env=candidate access=candidate build=pr_head:abc123 label=run:qa:revise issue=#3 resolver=issue_labels",
        );
        let pr_run = Facts::test()
            .linked_issue(3, &[])
            .last_pr_run(run(Some(Stage::Design), None, None))
            .last_issue_run(run(Some(Stage::Plan), None, None));
        check(
            &changes(&[]),
            &pr_run,
            "start design_revise role=sa mode=full_env env=candidate access=candidate build=pr_head:abc123 label=run:design:revise issue=#3 resolver=last_pull_request_run",
        );
        let issue_run = Facts::test()
            .linked_issue(3, &[])
            .last_pr_run(run(None, None, None))
            .last_issue_run(run(Some(Stage::Plan), None, None));
        check(
            &changes(&[]),
            &issue_run,
            "start plan_revise role=em mode=full_env env=candidate access=candidate build=pr_head:abc123 label=run:plan:revise issue=#3 resolver=issue_history",
        );
    }

    #[test]
    fn ambiguity_or_nothing_asks_the_owner() {
        check(
            &changes(&["run:dev", "run:qa:revise"]),
            &Facts::test(),
            "need_input pull_request_review_stage_ambiguous on pull request #12 suggest=dev_revise,qa_revise",
        );
        check(
            &changes(&[]),
            &Facts::test().linked_issue(3, &["run:plan", "run:design"]),
            "need_input pull_request_review_stage_ambiguous on pull request #12 suggest=plan_revise,design_revise",
        );
        check(
            &changes(&[]),
            &Facts::test()
                .linked_issue(3, &["run:dev"])
                .linked_issue(4, &["run:dev"]),
            "need_input pull_request_review_linked_issue_ambiguous on pull request #12",
        );
        check(
            &changes(&["state:in-review"]),
            &Facts::test().last_pr_run(run(None, Some("gpt-5.2"), None)),
            "need_input pull_request_review_stage_not_resolved on pull request #12",
        );
        for stage in ["run:rethink", "run:ai-repair"] {
            check(
                &changes(&[stage]),
                &Facts::test(),
                "need_input pull_request_review_stage_not_revisable on pull request #12",
            );
        }
    }

    #[test]
    fn a_blocked_pull_request_or_issue_is_not_revised() {
        let blocked = "warn state_blocked on pull request #12";
        check(
            &changes(&["run:dev", "state:blocked"]),
            &Facts::test(),
            blocked,
        );
        let issue = Facts::test().linked_issue(3, &["State:Blocked"]);
        check(&changes(&["run:dev"]), &issue, blocked);
    }

    #[test]
    fn review_driven_revise_builds_the_head_even_without_a_lineage() {
        check(
            &changes(&["run:release"]),
            &Facts::test(),
            "start release_revise role=em mode=full_env env=candidate access=candidate build=pr_head:abc123 label=run:release:revise resolver=pull_request_labels",
        );
    }
}

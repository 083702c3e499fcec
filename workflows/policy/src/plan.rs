//! Turns an admitted trigger into a run plan, or into the precondition that stops it.

use super::catalog::NeedLabel;
use super::config::Policy;
use super::decision::{Decision, RunKind, RunPlan, TriggerSource};
use super::event::{IssueNumber, PullRequestNumber, Thread};
use super::fact::Facts;
use super::label::{LabelName, LabelSet};
use super::profile::{self, Profile, ProfileInput, ProfileOrder};
use super::reason::ReasonCode;
use super::runtime::{AccessProfile, BuildRef, TargetEnv};
use super::stage::Role;
use super::trigger::Trigger;

/// A run plan, or the decision that replaces it.
pub(crate) type Planned = Result<RunPlan, Decision>;

/// A plan becomes a start; a refusal stays what it is.
pub(crate) fn decide(planned: Planned) -> Decision {
    planned.map_or_else(|refusal| refusal, |plan| Decision::StartRun(Box::new(plan)))
}

/// A `run:*` label on an Issue, after the guard and conflict checks.
pub(crate) fn issue_trigger(
    policy: &Policy,
    issue: IssueNumber,
    trigger: Trigger,
    labels: &LabelSet,
    facts: &Facts,
) -> Planned {
    let thread = Thread::Issue(issue);
    let label = policy.catalog().trigger(trigger);
    let spec = trigger.stage().spec();
    let pull_request = facts.pull_request.as_ref();
    if trigger.is_revise() && spec.revise_needs_pull_request && pull_request.is_none() {
        return Err(Decision::FailPrecondition {
            reason: ReasonCode::RevisePullRequestNotFound,
            thread,
            trigger_label: label.clone(),
            detail: format!(
                "{label} revises a pull request, but {thread} has none; start with {} first",
                policy
                    .catalog()
                    .trigger(Trigger::of(trigger.stage(), false).unwrap_or(trigger))
            ),
        });
    }
    let Some(placed) = spec.placement.place(facts.candidate_lineage) else {
        return Err(Decision::NeedInput {
            reason: ReasonCode::IssueTriggerCandidateNotFound,
            thread,
            suggestions: vec![Trigger::Dev, Trigger::DevRevise],
        });
    };
    let profile = ProfileInput {
        order: ProfileOrder::PullRequestFirst,
        pull_request: pull_request.map(|p| (Thread::PullRequest(p.number), &p.labels)),
        issue: Some((thread, labels)),
        last_run: facts
            .last_issue_run
            .as_ref()
            .or(facts.last_pull_request_run.as_ref()),
    };
    let chosen = choose(policy, &profile, thread, label)?;
    Ok(RunPlan {
        kind: RunKind::Stage(trigger),
        stage: Some(trigger.stage()),
        revise: trigger.is_revise(),
        role: spec.role,
        mode: policy.modes().for_trigger(trigger),
        target_env: placed.target_env,
        access_profile: placed.access_profile,
        build: placed.build,
        model: chosen.model,
        reasoning: chosen.reasoning,
        trigger_label: label.clone(),
        source: TriggerSource::IssueLabel,
        issue: Some(issue),
        pull_request: pull_request.map(|p| p.number),
        resolved_by: None,
        stop_discussion: facts.discussion_active,
    })
}

/// Plans a pre-review of a pull request (`need:reviewer`).
pub(crate) fn reviewer(
    policy: &Policy,
    pull_request: PullRequestNumber,
    head_sha: &str,
    labels: &LabelSet,
    facts: &Facts,
) -> Planned {
    let thread = Thread::PullRequest(pull_request);
    let issue = match facts.linked_issues.as_slice() {
        [one] => Some(one),
        _ => None,
    };
    let profile = ProfileInput {
        order: ProfileOrder::PullRequestFirst,
        pull_request: Some((thread, labels)),
        issue: issue.map(|i| (Thread::Issue(i.number), &i.labels)),
        last_run: facts
            .last_pull_request_run
            .as_ref()
            .or(facts.last_issue_run.as_ref()),
    };
    let label = policy.catalog().need(NeedLabel::Reviewer);
    let chosen = choose(policy, &profile, thread, label)?;
    Ok(RunPlan {
        kind: RunKind::Reviewer,
        stage: None,
        revise: false,
        role: Role::Reviewer,
        mode: policy.modes().for_reviewer(),
        target_env: TargetEnv::Candidate,
        access_profile: AccessProfile::Candidate,
        build: pull_request_head(head_sha),
        model: chosen.model,
        reasoning: chosen.reasoning,
        trigger_label: label.clone(),
        source: TriggerSource::PullRequestLabel,
        issue: issue.map(|i| i.number),
        pull_request: Some(pull_request),
        resolved_by: None,
        stop_discussion: false,
    })
}

/// The build ref of a run that works on the pull request head.
pub(crate) fn pull_request_head(sha: &str) -> BuildRef {
    BuildRef::PullRequestHead {
        sha: sha.to_owned(),
    }
}

/// Resolves model and reasoning; a label conflict fails the run before it starts.
pub(crate) fn choose(
    policy: &Policy,
    input: &ProfileInput<'_>,
    thread: Thread,
    trigger_label: &LabelName,
) -> Result<Profile, Decision> {
    profile::resolve(policy, input).map_err(|conflict| Decision::FailPrecondition {
        reason: conflict.reason(),
        thread,
        trigger_label: trigger_label.clone(),
        detail: conflict.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use crate::fixture::{check, check_with, issue_labeled, pr_labeled, rows};
    use crate::{Facts, Policy, PolicyConfig};

    /// Trigger label | trigger kind, role, mode, target env, access profile, build ref.
    const TRIGGERS: &str = "
        run:intake              | intake role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:intake:revise       | intake_revise role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:vision              | vision role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:vision:revise       | vision_revise role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:prd                 | prd role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:prd:revise          | prd_revise role=pm mode=code_only env=candidate access=candidate build=default_branch
        run:arch                | arch role=sa mode=full_env env=candidate access=candidate build=default_branch
        run:arch:revise         | arch_revise role=sa mode=full_env env=candidate access=candidate build=default_branch
        run:design              | design role=sa mode=full_env env=candidate access=candidate build=default_branch
        run:design:revise       | design_revise role=sa mode=full_env env=candidate access=candidate build=default_branch
        run:plan                | plan role=em mode=full_env env=candidate access=candidate build=default_branch
        run:plan:revise         | plan_revise role=em mode=full_env env=candidate access=candidate build=default_branch
        run:dev                 | dev role=dev mode=full_env env=candidate access=candidate build=candidate_lineage
        run:dev:revise          | dev_revise role=dev mode=full_env env=candidate access=candidate build=candidate_lineage
        run:doc-audit           | doc_audit role=km mode=full_env env=candidate access=candidate build=default_branch
        run:doc-audit:revise    | doc_audit_revise role=km mode=full_env env=candidate access=candidate build=default_branch
        run:ai-repair           | ai_repair role=sre mode=code_only env=production access=candidate build=default_branch
        run:qa                  | qa role=qa mode=full_env env=candidate access=candidate build=candidate_lineage
        run:qa:revise           | qa_revise role=qa mode=full_env env=candidate access=candidate build=candidate_lineage
        run:release             | release role=em mode=full_env env=candidate access=candidate build=candidate_lineage
        run:release:revise      | release_revise role=em mode=full_env env=candidate access=candidate build=candidate_lineage
        run:postdeploy          | postdeploy role=sre mode=full_env env=production access=production_readonly build=default_branch
        run:postdeploy:revise   | postdeploy_revise role=sre mode=full_env env=production access=production_readonly build=default_branch
        run:ops                 | ops role=sre mode=full_env env=production access=production_readonly build=default_branch
        run:ops:revise          | ops_revise role=sre mode=full_env env=production access=production_readonly build=default_branch
        run:self-improve        | self_improve role=km mode=code_only env=candidate access=candidate build=default_branch
        run:self-improve:revise | self_improve_revise role=km mode=code_only env=candidate access=candidate build=default_branch
        run:rethink             | rethink role=em mode=full_env env=candidate access=candidate build=default_branch
    ";

    #[test]
    fn every_trigger_starts_its_stage_with_its_role_mode_and_access() {
        let facts = Facts::test().lineage().issue_pr(&[]);
        let rows = rows(TRIGGERS);
        assert_eq!(rows.len(), 28);
        for (label, expected) in rows {
            let expected = format!("start {expected} label={label} pr=#12");
            check(&issue_labeled(label, &[]), &facts, &expected);
        }
    }

    #[test]
    fn late_stages_need_a_candidate_lineage_and_dev_falls_back_to_the_default_branch() {
        let facts = Facts::test().issue_pr(&[]);
        for label in [
            "run:qa",
            "run:qa:revise",
            "run:release",
            "Run:Release:Revise",
        ] {
            check(
                &issue_labeled(label, &[]),
                &facts,
                "need_input issue_trigger_candidate_not_found on issue #7 suggest=dev,dev_revise",
            );
        }
        check(
            &issue_labeled("run:dev", &[]),
            &facts,
            "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch label=run:dev pr=#12",
        );
        check(
            &issue_labeled("run:postdeploy", &[]),
            &facts,
            "start postdeploy role=sre mode=full_env env=production access=production_readonly build=default_branch label=run:postdeploy pr=#12",
        );
    }

    #[test]
    fn dev_revise_without_a_pull_request_fails_its_precondition() {
        check(
            &issue_labeled("run:dev:revise", &[]),
            &Facts::test().lineage(),
            "fail revise_pull_request_not_found on issue #7 label=run:dev:revise: \
             run:dev:revise revises a pull request, but issue #7 has none; start with run:dev first",
        );
        check(
            &issue_labeled("run:plan:revise", &[]),
            &Facts::test(),
            "start plan_revise role=em mode=full_env env=candidate access=candidate build=default_branch label=run:plan:revise",
        );
    }

    #[test]
    fn modes_and_label_names_follow_the_platform_config() {
        let config: PolicyConfig = serde_json::from_str(
            r#"{"modes":{"default_mode":"code_only","triggers":{"arch":"full_env"},"reviewer":"full_env"},
                "labels":{"triggers":{"arch":"stage:architecture"}}}"#,
        )
        .expect("valid");
        let policy = Policy::new(&config).expect("valid");
        let facts = Facts::test();
        check_with(
            &policy,
            &issue_labeled(" Stage:Architecture ", &[]),
            &facts,
            "start arch role=sa mode=full_env env=candidate access=candidate build=default_branch label=stage:architecture",
        );
        check_with(
            &policy,
            &issue_labeled("run:arch", &[]),
            &facts,
            "ignore issue_event_not_trigger_label",
        );
        check_with(
            &policy,
            &issue_labeled("run:dev", &[]),
            &facts,
            "start dev role=dev mode=code_only env=candidate access=candidate build=default_branch label=run:dev",
        );
    }

    #[test]
    fn need_reviewer_on_a_pull_request_starts_a_pre_review() {
        let facts = Facts::test();
        let review = "start reviewer role=reviewer mode=full_env env=candidate access=candidate build=pr_head:abc123 label=need:reviewer";
        check(&pr_labeled(" Need:Reviewer", &["run:dev"]), &facts, review);
        check(
            &pr_labeled("need:reviewer", &[]),
            &facts.clone().linked_issue(3, &[]),
            &format!("{review} issue=#3"),
        );
        check(
            &pr_labeled("run:dev", &[]),
            &facts,
            "ignore pull_request_label_not_trigger",
        );
        check(
            &pr_labeled("need:reviewer", &[]),
            &facts.unbound(),
            "warn repository_not_bound on pull request #12",
        );
    }
}

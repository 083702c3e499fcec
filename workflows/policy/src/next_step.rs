//! The "next steps" of a finished run: which actions to offer, each with its label diff.

use serde::{Deserialize, Serialize};

use super::catalog::LabelCatalog;
use super::decision::RunKind;
use super::event::{IssueNumber, PullRequestNumber};
use super::label::LabelSet;
use super::launch::LaunchProfile;
use super::stage::Stage;
use super::transition::{self, Action, Preview};
use super::trigger::Trigger;

/// Why a next step is offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepIntent {
    /// Rework the stage just finished.
    Revise,
    /// The next stage of the task's profile (or of every profile, when the profile is unknown).
    Advance,
    /// The next stage of a larger profile than the task's.
    Escalate,
    /// Skip the plan and go straight to development.
    FastTrack,
    /// Reopen the problem.
    Rethink,
    /// Audit code against docs.
    DocAudit,
    /// Improve prompts and docs from this run's evidence.
    SelfImprove,
    /// Act on a doc audit's findings.
    Remediate,
    /// Check a self-improvement on the candidate.
    Verify,
    /// Start over along a profile after a rethink.
    Restart,
    /// Ask the reviewer agent for a pre-review of the pull request.
    PreReview,
}

/// One offered next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// Why it is offered.
    pub intent: StepIntent,
    /// The profiles it belongs to; empty when profiles do not apply.
    pub profiles: Vec<LaunchProfile>,
    /// The action and its label diff.
    pub preview: Preview,
}

/// The finished run and the threads' current labels.
#[derive(Clone, Copy, Debug)]
pub struct Finished<'a> {
    /// What ran.
    pub run: RunKind,
    /// The task's launch profile, if chosen.
    pub profile: Option<LaunchProfile>,
    /// The Issue.
    pub issue: IssueNumber,
    /// The Issue's labels now.
    pub issue_labels: &'a LabelSet,
    /// The run's pull request and its labels now, if it has one.
    pub pull_request: Option<(PullRequestNumber, &'a LabelSet)>,
}

/// Lists the next steps for a finished run, in display order.
///
/// A step whose label is already on its thread is left out, since adding it again would start nothing.
pub fn next_steps(catalog: &LabelCatalog, finished: &Finished<'_>) -> Vec<NextStep> {
    let RunKind::Stage(trigger) = finished.run else {
        return Vec::new();
    };
    let mut steps: Vec<NextStep> = offers(trigger.stage(), finished.profile)
        .into_iter()
        .filter_map(|(intent, target, profiles)| {
            let action = Action::IssueStageTransition {
                issue: finished.issue,
                target,
            };
            let preview = transition::preview(catalog, action, finished.issue_labels).ok()?;
            Some(NextStep {
                intent,
                profiles,
                preview,
            })
        })
        .collect();
    if let Some((pull_request, labels)) = finished.pull_request {
        let action = Action::PullRequestReviewRequest { pull_request };
        if let Ok(preview) = transition::preview(catalog, action, labels) {
            steps.push(NextStep {
                intent: StepIntent::PreReview,
                profiles: Vec::new(),
                preview,
            });
        }
    }
    steps
}

type Offer = (StepIntent, Trigger, Vec<LaunchProfile>);

/// The next-step matrix: revise, the profile moves, then the stage's fixed follow-ups.
fn offers(stage: Stage, profile: Option<LaunchProfile>) -> Vec<Offer> {
    let mut offers: Vec<Offer> = Vec::new();
    if let Some(revise) = Trigger::of(stage, true) {
        offers.push((StepIntent::Revise, revise, Vec::new()));
    }
    if stage == Stage::Rethink {
        for p in LaunchProfile::ALL.into_iter().rev() {
            offers.push((StepIntent::Restart, p.restart(), vec![p]));
        }
    }
    offers.extend(advances(stage, profile));
    offers.extend(
        follow_ups(stage)
            .iter()
            .map(|&(intent, target)| (intent, target, Vec::new())),
    );
    offers
}

/// Next main-path stages for the task's profile and the profiles it may escalate to, grouped by target.
fn advances(stage: Stage, profile: Option<LaunchProfile>) -> Vec<Offer> {
    let considered: Vec<LaunchProfile> = match profile {
        Some(current) => LaunchProfile::ALL
            .into_iter()
            .filter(|p| *p >= current)
            .collect(),
        None => LaunchProfile::ALL.into_iter().rev().collect(),
    };
    let mut offers: Vec<Offer> = Vec::new();
    for p in considered {
        let Some(target) = p.next_after(stage).and_then(|s| Trigger::of(s, false)) else {
            continue;
        };
        match offers.iter_mut().find(|(_, t, _)| *t == target) {
            Some((_, _, profiles)) => profiles.push(p),
            None => {
                let intent = match profile {
                    Some(current) if current != p => StepIntent::Escalate,
                    _ => StepIntent::Advance,
                };
                offers.push((intent, target, vec![p]));
            }
        }
    }
    offers
}

/// Fixed follow-ups per stage, after revise and the profile moves.
fn follow_ups(stage: Stage) -> &'static [(StepIntent, Trigger)] {
    use StepIntent::{DocAudit, FastTrack, Remediate, Rethink, SelfImprove, Verify};
    const RETHINK: (StepIntent, Trigger) = (Rethink, Trigger::Rethink);
    const AUDIT: (StepIntent, Trigger) = (DocAudit, Trigger::DocAudit);
    const IMPROVE: (StepIntent, Trigger) = (SelfImprove, Trigger::SelfImprove);
    match stage {
        Stage::Intake | Stage::AiRepair | Stage::Rethink => &[],
        Stage::Vision | Stage::Prd | Stage::Arch | Stage::Plan => &[RETHINK],
        Stage::Design => &[(FastTrack, Trigger::Dev), RETHINK],
        Stage::Dev | Stage::Qa | Stage::Release => &[RETHINK, AUDIT],
        Stage::Postdeploy | Stage::Ops => &[RETHINK, AUDIT, IMPROVE],
        Stage::DocAudit => &[
            (Remediate, Trigger::Plan),
            (Remediate, Trigger::Dev),
            (Remediate, Trigger::Qa),
            RETHINK,
        ],
        Stage::SelfImprove => &[(Verify, Trigger::Qa)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{ISSUE, PR, name, policy, rows, set};
    use LaunchProfile::QuickFix;

    fn show(steps: &[NextStep]) -> String {
        let catalog = policy();
        let lines: Vec<String> = steps
            .iter()
            .map(|s| {
                let mut line = format!(
                    "{} {}",
                    name(s.intent),
                    s.preview.action.target_label(catalog.catalog())
                );
                if !s.profiles.is_empty() {
                    let p: Vec<String> = s.profiles.iter().map(name).collect();
                    line += &format!(" [{}]", p.join(", "));
                }
                line
            })
            .collect();
        lines.join("; ")
    }

    fn check(run: RunKind, profile: Option<LaunchProfile>, expected: &str) {
        let labels = LabelSet::default();
        let finished = Finished {
            run,
            profile,
            issue: ISSUE,
            issue_labels: &labels,
            pull_request: None,
        };
        let actual = show(&next_steps(policy().catalog(), &finished));
        assert_eq!(actual, expected, "{run:?} {profile:?}");
    }

    fn stage(trigger: Trigger) -> RunKind {
        RunKind::Stage(trigger)
    }

    /// Finished stage | offered steps when the launch profile is unknown.
    const MATRIX: &str = "
        intake       | revise run:intake:revise; advance run:vision [new_service]; advance run:prd [feature]; advance run:plan [quick_fix]
        vision       | revise run:vision:revise; advance run:prd [new_service, feature]; advance run:plan [quick_fix]; rethink run:rethink
        prd          | revise run:prd:revise; advance run:arch [new_service]; advance run:design [feature]; advance run:plan [quick_fix]; rethink run:rethink
        arch         | revise run:arch:revise; advance run:design [new_service, feature]; advance run:plan [quick_fix]; rethink run:rethink
        design       | revise run:design:revise; advance run:plan [new_service, feature, quick_fix]; fast_track run:dev; rethink run:rethink
        plan         | revise run:plan:revise; advance run:dev [new_service, feature, quick_fix]; rethink run:rethink
        dev          | revise run:dev:revise; advance run:qa [new_service, feature, quick_fix]; rethink run:rethink; doc_audit run:doc-audit
        qa           | revise run:qa:revise; advance run:release [new_service, feature, quick_fix]; rethink run:rethink; doc_audit run:doc-audit
        release      | revise run:release:revise; advance run:postdeploy [new_service, feature, quick_fix]; rethink run:rethink; doc_audit run:doc-audit
        postdeploy   | revise run:postdeploy:revise; advance run:ops [new_service, feature, quick_fix]; rethink run:rethink; doc_audit run:doc-audit; self_improve run:self-improve
        ops          | revise run:ops:revise; rethink run:rethink; doc_audit run:doc-audit; self_improve run:self-improve
        doc_audit    | revise run:doc-audit:revise; remediate run:plan; remediate run:dev; remediate run:qa; rethink run:rethink
        self_improve | revise run:self-improve:revise; verify run:qa
        rethink      | restart run:intake [new_service]; restart run:prd [feature]; restart run:plan [quick_fix]
        ai_repair    |
    ";

    /// Finished stage and launch profile | offered steps.
    const BY_PROFILE: &str = "
        intake quick_fix   | revise run:intake:revise; advance run:plan [quick_fix]; escalate run:prd [feature]; escalate run:vision [new_service]
        intake feature     | revise run:intake:revise; advance run:prd [feature]; escalate run:vision [new_service]
        intake new_service | revise run:intake:revise; advance run:vision [new_service]
        prd feature        | revise run:prd:revise; advance run:design [feature]; escalate run:arch [new_service]; rethink run:rethink
        arch new_service   | revise run:arch:revise; advance run:design [new_service]; rethink run:rethink
        plan quick_fix     | revise run:plan:revise; advance run:dev [quick_fix, feature, new_service]; rethink run:rethink
        rethink quick_fix  | restart run:intake [new_service]; restart run:prd [feature]; restart run:plan [quick_fix]
    ";

    fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).expect("known name")
    }

    #[test]
    fn every_stage_offers_its_matrix_when_the_profile_is_unknown() {
        let rows = rows(MATRIX);
        assert_eq!(rows.len(), Stage::ALL.len());
        for (trigger, expected) in rows {
            let trigger: Trigger = parse(trigger);
            check(stage(trigger), None, expected);
            if let Some(revise) = Trigger::of(trigger.stage(), true) {
                check(stage(revise), None, expected);
            }
        }
        check(RunKind::Reviewer, None, "");
        check(RunKind::Discussion, None, "");
    }

    #[test]
    fn a_known_profile_advances_along_itself_and_offers_only_escalations() {
        for (input, expected) in rows(BY_PROFILE) {
            let (trigger, profile) = input.split_once(' ').expect("stage and profile");
            check(stage(parse(trigger)), Some(parse(profile)), expected);
        }
    }

    #[test]
    fn each_step_carries_its_label_diff_and_present_targets_are_left_out() {
        let issue_labels = set(&["run:dev", "state:in-review", "run:doc-audit"]);
        let pr_labels = set(&["state:in-review"]);
        let finished = Finished {
            run: stage(Trigger::Dev),
            profile: Some(QuickFix),
            issue: ISSUE,
            issue_labels: &issue_labels,
            pull_request: Some((PR, &pr_labels)),
        };
        let steps = next_steps(policy().catalog(), &finished);
        let lines: Vec<String> = steps
            .iter()
            .map(|s| {
                let d = &s.preview.diff;
                format!(
                    "{} on {}: -{:?} +{:?} ={:?}",
                    name(s.intent),
                    s.preview.action.thread(),
                    d.removed_labels,
                    d.added_labels,
                    d.final_labels
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                r#"revise on issue #7: -["run:dev", "run:doc-audit"] +["run:dev:revise"] =["state:in-review", "run:dev:revise"]"#,
                r#"advance on issue #7: -["run:dev", "run:doc-audit"] +["run:qa"] =["state:in-review", "run:qa"]"#,
                r#"rethink on issue #7: -["run:dev", "run:doc-audit"] +["run:rethink"] =["state:in-review", "run:rethink"]"#,
                r#"pre_review on pull request #12: -[] +["need:reviewer"] =["state:in-review", "need:reviewer"]"#,
            ]
        );
        let reviewed = set(&["need:reviewer"]);
        let again = Finished {
            pull_request: Some((PR, &reviewed)),
            ..finished
        };
        assert!(
            next_steps(policy().catalog(), &again)
                .iter()
                .all(|s| s.intent != StepIntent::PreReview)
        );
    }
}

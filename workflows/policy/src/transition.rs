//! Next-step transitions: preview a label change, then execute it only if nothing changed meanwhile.

use serde::{Deserialize, Serialize};

use super::actor::Access;
use super::catalog::{LabelCatalog, LabelKind, NeedLabel};
use super::error::{Error, Result};
use super::event::{IssueNumber, PullRequestNumber, Thread};
use super::label::{LabelName, LabelSet};
use super::trigger::Trigger;

/// A next step the Owner can confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action_kind")]
pub enum Action {
    /// Replace every `run:*` label on the Issue with `target`.
    IssueStageTransition {
        /// The Issue.
        issue: IssueNumber,
        /// The trigger to put on it.
        target: Trigger,
    },
    /// Add `need:reviewer` to the pull request.
    PullRequestReviewRequest {
        /// The pull request.
        pull_request: PullRequestNumber,
    },
}

impl Action {
    /// The thread whose labels the action changes.
    pub fn thread(&self) -> Thread {
        match self {
            Self::IssueStageTransition { issue, .. } => Thread::Issue(*issue),
            Self::PullRequestReviewRequest { pull_request } => Thread::PullRequest(*pull_request),
        }
    }

    /// The label the action adds.
    pub fn target_label<'a>(&self, catalog: &'a LabelCatalog) -> &'a LabelName {
        match self {
            Self::IssueStageTransition { target, .. } => catalog.trigger(*target),
            Self::PullRequestReviewRequest { .. } => catalog.need(NeedLabel::Reviewer),
        }
    }
}

/// The label change an action makes, as the confirm dialog shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDiff {
    /// Labels the action removes.
    pub removed_labels: Vec<LabelName>,
    /// Labels the action adds.
    pub added_labels: Vec<LabelName>,
    /// The labels on the thread afterwards.
    pub final_labels: Vec<LabelName>,
}

/// A computed transition and the labels it was computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    /// The action.
    pub action: Action,
    /// The thread's labels the preview saw; send them back to [`execute`].
    pub seen: LabelSet,
    /// The change.
    pub diff: LabelDiff,
}

/// Computes the diff of `action` against `current`, the labels now on the action's thread.
pub fn preview(catalog: &LabelCatalog, action: Action, current: &LabelSet) -> Result<Preview> {
    let target = action.target_label(catalog);
    if current.contains(target) {
        // Adding a present label sends no webhook, so the run would silently never start.
        return Err(Error::TargetAlreadyPresent {
            thread: action.thread(),
            label: target.to_string(),
        });
    }
    let removed_labels: Vec<LabelName> = match action {
        Action::IssueStageTransition { .. } => current
            .iter()
            .filter(|l| matches!(catalog.kind(l), Some(LabelKind::Trigger(_))))
            .cloned()
            .collect(),
        Action::PullRequestReviewRequest { .. } => Vec::new(),
    };
    let mut final_labels: Vec<LabelName> = current
        .iter()
        .filter(|l| !removed_labels.contains(l))
        .cloned()
        .collect();
    final_labels.push(target.clone());
    Ok(Preview {
        action,
        seen: current.clone(),
        diff: LabelDiff {
            removed_labels,
            added_labels: vec![target.clone()],
            final_labels,
        },
    })
}

/// Executes a confirmed preview: checks that `access` may start runs and that the thread's labels
/// are still those the preview saw, then returns the diff to apply, recomputed from `current`.
///
/// Any difference, even in labels the action does not touch, refuses the stale preview:
/// the Owner confirmed a final label list that would no longer be true.
pub fn execute(
    catalog: &LabelCatalog,
    confirmed: &Preview,
    current: &LabelSet,
    access: &Access,
) -> Result<LabelDiff> {
    access
        .permits_runs()
        .map_err(|reason| Error::NextStepNotPermitted { reason })?;
    let seen = &confirmed.seen;
    if !seen.same_labels(current) {
        let names = |labels: Vec<LabelName>| labels.iter().map(ToString::to_string).collect();
        return Err(Error::StalePreview {
            thread: confirmed.action.thread(),
            appeared: names(current.missing_from(seen)),
            disappeared: names(seen.missing_from(current)),
        });
    }
    preview(catalog, confirmed.action, current).map(|p| p.diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::{PlatformRole, ProjectRole};
    use crate::fixture::{policy, set};

    const ISSUE: IssueNumber = IssueNumber(7);

    fn show(result: Result<LabelDiff>) -> String {
        let names = |l: &[LabelName]| {
            l.iter()
                .map(LabelName::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        match result {
            Ok(d) => format!(
                "removed=[{}] added=[{}] final=[{}]",
                names(&d.removed_labels),
                names(&d.added_labels),
                names(&d.final_labels)
            ),
            Err(e) => format!("{}: {e}", e.code()),
        }
    }

    fn check(action: Action, current: &[&str], expected: &str) {
        let actual = show(preview(policy().catalog(), action, &set(current)).map(|p| p.diff));
        assert_eq!(actual, expected);
    }

    fn stage(target: Trigger) -> Action {
        Action::IssueStageTransition {
            issue: ISSUE,
            target,
        }
    }

    #[test]
    fn preview_replaces_every_run_label_and_keeps_the_rest() {
        check(
            stage(Trigger::Qa),
            &[
                "Run:Dev",
                "state:in-review",
                "run:dev:revise",
                "[ai-model-gpt-5.2]",
            ],
            "removed=[Run:Dev, run:dev:revise] added=[run:qa] final=[state:in-review, [ai-model-gpt-5.2], run:qa]",
        );
        check(
            stage(Trigger::Plan),
            &[],
            "removed=[] added=[run:plan] final=[run:plan]",
        );
        check(
            Action::PullRequestReviewRequest {
                pull_request: PullRequestNumber(12),
            },
            &["state:in-review", "run:dev"],
            "removed=[] added=[need:reviewer] final=[state:in-review, run:dev, need:reviewer]",
        );
    }

    #[test]
    fn preview_refuses_a_target_that_is_already_there() {
        check(
            stage(Trigger::Dev),
            &[" RUN:DEV "],
            "target_already_present: label run:dev is already on issue #7",
        );
        check(
            Action::PullRequestReviewRequest {
                pull_request: PullRequestNumber(12),
            },
            &["need:reviewer"],
            "target_already_present: label need:reviewer is already on pull request #12",
        );
    }

    #[test]
    fn execute_refuses_a_stale_preview() {
        let policy = policy();
        let admin = Access::User {
            platform: Some(PlatformRole::Admin),
            project: None,
        };
        let seen = set(&["run:dev", "state:in-review"]);
        let confirmed = preview(policy.catalog(), stage(Trigger::Qa), &seen).expect("valid");
        let run = |current: &[&str], access: &Access| {
            show(execute(policy.catalog(), &confirmed, &set(current), access))
        };
        assert_eq!(
            run(&["state:in-review", "RUN:DEV"], &admin),
            "removed=[RUN:DEV] added=[run:qa] final=[state:in-review, run:qa]"
        );
        assert_eq!(
            run(&["run:dev:revise", "state:in-review"], &admin),
            r#"stale_preview: labels on issue #7 changed since the preview (appeared: ["run:dev:revise"], disappeared: ["run:dev"])"#
        );
        assert_eq!(
            run(&["run:dev", "state:in-review", "bug"], &admin),
            r#"stale_preview: labels on issue #7 changed since the preview (appeared: ["bug"], disappeared: [])"#
        );
        let mut forged = confirmed.clone();
        forged.diff.removed_labels.clear();
        assert_eq!(
            show(execute(policy.catalog(), &forged, &seen, &admin)),
            "removed=[run:dev] added=[run:qa] final=[state:in-review, run:qa]",
            "the diff is recomputed, never taken from the client"
        );
        let reader = Access::User {
            platform: None,
            project: Some(ProjectRole::Read),
        };
        assert_eq!(
            run(&["run:dev", "state:in-review"], &reader),
            "next_step_not_permitted: next step not permitted: sender_role_read_not_permitted"
        );
    }

    #[test]
    fn a_preview_round_trips_through_json() {
        let preview = preview(
            policy().catalog(),
            stage(Trigger::Release),
            &set(&["run:qa"]),
        )
        .expect("valid");
        let json = serde_json::to_string(&preview).expect("serialise");
        assert_eq!(
            json,
            r#"{"action":{"action_kind":"issue_stage_transition","issue":7,"target":"release"},"seen":["run:qa"],"diff":{"removed_labels":["run:qa"],"added_labels":["run:release"],"final_labels":["run:release"]}}"#
        );
        let back: Preview = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, preview);
    }
}

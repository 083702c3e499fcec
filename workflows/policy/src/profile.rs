//! Model and reasoning-effort selection from labels, run history and defaults.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::catalog::LabelKind;
use super::config::Policy;
use super::event::Thread;
use super::fact::RunRecord;
use super::label::{LabelName, LabelSet};
use super::model::{ModelName, ReasoningEffort};
use super::reason::ReasonCode;

/// Where a selected value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileSource {
    /// A label on the pull request.
    PullRequestLabel,
    /// A label on the Issue.
    IssueLabel,
    /// The previous run's label-chosen value.
    LastRun,
    /// The platform default.
    Default,
}

/// A selected value and its source, shown in the run's status comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: ProfileSource,
}

/// The model and reasoning effort of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The model.
    pub model: Selection<ModelName>,
    /// The reasoning effort.
    pub reasoning: Selection<ReasoningEffort>,
}

/// Which thread's labels are read first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProfileOrder {
    /// Normal runs: pull request, Issue, last run, default.
    PullRequestFirst,
    /// Review-driven revise ("sticky profile"): Issue, pull request, last run, default.
    IssueFirst,
}

/// The labelled threads and history one resolution reads.
pub(crate) struct ProfileInput<'a> {
    pub(crate) order: ProfileOrder,
    pub(crate) pull_request: Option<(Thread, &'a LabelSet)>,
    pub(crate) issue: Option<(Thread, &'a LabelSet)>,
    pub(crate) last_run: Option<&'a RunRecord>,
}

/// The two label groups resolved independently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    Model,
    Reasoning,
}

/// More than one label of one group on the first thread that has any; the run cannot start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProfileConflict {
    group: Group,
    thread: Thread,
    labels: Vec<LabelName>,
}

impl ProfileConflict {
    /// The reason code to record.
    pub(crate) fn reason(&self) -> ReasonCode {
        match self.group {
            Group::Model => ReasonCode::ModelLabelConflict,
            Group::Reasoning => ReasonCode::ReasoningLabelConflict,
        }
    }
}

impl fmt::Display for ProfileConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.labels.iter().map(LabelName::as_str).collect();
        write!(
            f,
            "{} has more than one {} label ({}); keep exactly one",
            self.thread,
            match self.group {
                Group::Model => "model",
                Group::Reasoning => "reasoning",
            },
            names.join(", ")
        )
    }
}

/// Resolves model and reasoning separately; the first source holding any label of a group decides it.
pub(crate) fn resolve(
    policy: &Policy,
    input: &ProfileInput<'_>,
) -> Result<Profile, ProfileConflict> {
    let model = pick(
        policy,
        input,
        Group::Model,
        |kind| match kind {
            LabelKind::Model(m) => Some(m.clone()),
            _ => None,
        },
        |run| run.model.clone(),
    )?
    .unwrap_or_else(|| default_selection(policy.default_model().clone()));
    let reasoning = pick(
        policy,
        input,
        Group::Reasoning,
        |kind| match kind {
            LabelKind::Reasoning(r) => Some(*r),
            _ => None,
        },
        |run| run.reasoning,
    )?
    .unwrap_or_else(|| default_selection(policy.default_reasoning()));
    Ok(Profile { model, reasoning })
}

fn default_selection<T>(value: T) -> Selection<T> {
    Selection {
        value,
        source: ProfileSource::Default,
    }
}

/// One group: the first labelled thread in order decides (two different values there conflict), then the last run.
fn pick<T: PartialEq + Clone>(
    policy: &Policy,
    input: &ProfileInput<'_>,
    group: Group,
    from_label: impl Fn(&LabelKind) -> Option<T>,
    from_run: impl Fn(&RunRecord) -> Option<T>,
) -> Result<Option<Selection<T>>, ProfileConflict> {
    let pull_request = input
        .pull_request
        .map(|p| (p, ProfileSource::PullRequestLabel));
    let issue = input.issue.map(|i| (i, ProfileSource::IssueLabel));
    let threads = match input.order {
        ProfileOrder::PullRequestFirst => [pull_request, issue],
        ProfileOrder::IssueFirst => [issue, pull_request],
    };
    for ((thread, labels), source) in threads.into_iter().flatten() {
        let mut values: Vec<T> = Vec::new();
        let mut seen: Vec<LabelName> = Vec::new();
        for label in labels.iter() {
            if let Some(value) = policy.catalog().kind(label).and_then(&from_label) {
                seen.push(label.clone());
                if !values.contains(&value) {
                    values.push(value);
                }
            }
        }
        match values.len() {
            0 => continue,
            1 => return Ok(values.pop().map(|value| Selection { value, source })),
            _ => {
                return Err(ProfileConflict {
                    group,
                    thread,
                    labels: seen,
                });
            }
        }
    }
    Ok(input.last_run.and_then(from_run).map(|value| Selection {
        value,
        source: ProfileSource::LastRun,
    }))
}

#[cfg(test)]
mod tests {
    use super::ReasoningEffort::{ExtraHigh, Low};
    use crate::fixture::{check, issue_labeled, pr_labeled, pr_review, run};
    use crate::{Facts, Stage};

    const DEV: &str =
        "start dev role=dev mode=full_env env=candidate access=candidate build=default_branch";

    #[test]
    fn issue_runs_read_the_pull_request_then_the_issue_then_the_last_run() {
        let both = Facts::test().issue_pr(&["[ai-model-gpt-5.2]"]);
        check(
            &issue_labeled(
                "run:dev",
                &["[ai-model-gpt-5.3-codex]", "[ai-reasoning-low]"],
            ),
            &both,
            &format!(
                "{DEV} model=gpt-5.2/pull_request_label reasoning=low/issue_label label=run:dev pr=#12"
            ),
        );
        check(
            &issue_labeled("run:dev", &["[AI-Model-GPT-5.3-Codex]"]),
            &Facts::test(),
            &format!("{DEV} model=gpt-5.3-codex/issue_label reasoning=high/default label=run:dev"),
        );
        let history = Facts::test()
            .last_issue_run(run(Some(Stage::Dev), Some("gpt-5.1-codex-max"), None))
            .last_pr_run(run(Some(Stage::Dev), Some("gpt-5.2"), Some(Low)));
        check(
            &issue_labeled("run:dev", &["[ai-reasoning-extra-high]"]),
            &history,
            &format!(
                "{DEV} model=gpt-5.1-codex-max/last_run reasoning=xhigh/issue_label label=run:dev"
            ),
        );
        check(
            &issue_labeled("run:dev", &[]),
            &Facts::test(),
            &format!("{DEV} label=run:dev"),
        );
    }

    #[test]
    fn review_driven_revise_reads_the_issue_first() {
        let facts = Facts::test().linked_issue(3, &["[ai-model-gpt-5.3-codex]"]);
        let head = "start dev_revise role=dev mode=full_env env=candidate access=candidate build=pr_head:abc123";
        check(
            &pr_review(
                "changes_requested",
                &["run:dev", "[ai-model-gpt-5.2]", "[ai-reasoning-medium]"],
            ),
            &facts,
            &format!(
                "{head} model=gpt-5.3-codex/issue_label reasoning=medium/pull_request_label label=run:dev:revise issue=#3 resolver=pull_request_labels"
            ),
        );
        let sticky = Facts::test().linked_issue(3, &[]).last_pr_run(run(
            Some(Stage::Dev),
            Some("gpt-5.2"),
            Some(ExtraHigh),
        ));
        check(
            &pr_review("changes_requested", &["run:dev"]),
            &sticky,
            &format!(
                "{head} model=gpt-5.2/last_run reasoning=xhigh/last_run label=run:dev:revise issue=#3 resolver=pull_request_labels"
            ),
        );
    }

    #[test]
    fn two_labels_of_a_group_on_the_deciding_thread_fail_the_run() {
        let two_models = ["[ai-model-gpt-5.2]", "[ai-model-gpt-5.4]"];
        check(
            &issue_labeled("run:dev", &two_models),
            &Facts::test(),
            "fail model_label_conflict on issue #7 label=run:dev: issue #7 has more than one model label \
             ([ai-model-gpt-5.2], [ai-model-gpt-5.4]); keep exactly one",
        );
        check(
            &issue_labeled("run:dev", &["[ai-reasoning-low]", "[ai-reasoning-high]"]),
            &Facts::test().issue_pr(&["[ai-model-gpt-5.2]"]),
            "fail reasoning_label_conflict on issue #7 label=run:dev: issue #7 has more than one reasoning label \
             ([ai-reasoning-low], [ai-reasoning-high]); keep exactly one",
        );
        // The pull request decides first on an Issue run, so the Issue's clash never matters...
        check(
            &issue_labeled("run:dev", &two_models),
            &Facts::test().issue_pr(&["[ai-model-gpt-5.2]"]),
            &format!(
                "{DEV} model=gpt-5.2/pull_request_label reasoning=high/default label=run:dev pr=#12"
            ),
        );
        // ...but the Issue decides first on a review-driven revise.
        check(
            &pr_review("changes_requested", &["run:dev", "[ai-model-gpt-5.2]"]),
            &Facts::test().linked_issue(3, &two_models),
            "fail model_label_conflict on pull request #12 label=run:dev:revise: issue #3 has more than one model label \
             ([ai-model-gpt-5.2], [ai-model-gpt-5.4]); keep exactly one",
        );
        check(
            &pr_labeled("need:reviewer", &two_models),
            &Facts::test(),
            "fail model_label_conflict on pull request #12 label=need:reviewer: pull request #12 has more than one model label \
             ([ai-model-gpt-5.2], [ai-model-gpt-5.4]); keep exactly one",
        );
    }
}

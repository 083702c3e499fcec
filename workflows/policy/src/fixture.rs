//! Test fixtures: event and fact builders, a one-line decision summary and the `check` helper.

use serde::Serialize;

use super::actor::{Access, ProjectRole};
use super::config::{Policy, PolicyConfig};
use super::decision::{CleanupTarget, Decision, LabelChange, RunKind, TriggerSource};
use super::event::{
    Event, EventKind, IssueNumber, Login, PullRequestNumber, RepoFullName, Sender, SenderKind,
};
use super::fact::{Facts, LinkedIssue, LinkedPullRequest, RunRecord};
use super::label::{LabelName, LabelSet};
use super::model::{ModelName, ReasoningEffort};
use super::profile::Selection;
use super::route::route;
use super::runtime::BuildRef;
use super::stage::Stage;

pub(crate) const ISSUE: IssueNumber = IssueNumber(7);
pub(crate) const PR: PullRequestNumber = PullRequestNumber(12);

pub(crate) fn policy() -> Policy {
    Policy::new(&PolicyConfig::default()).expect("default policy is valid")
}

pub(crate) fn label(raw: &str) -> LabelName {
    LabelName::parse(raw).expect("valid label")
}

pub(crate) fn set(raw: &[&str]) -> LabelSet {
    LabelSet::parse(raw.iter().copied()).expect("valid labels")
}

fn event(kind: EventKind) -> Event {
    Event {
        repository: RepoFullName::parse("acme/shop").expect("valid"),
        sender: Sender {
            login: Login::parse("ann").expect("valid"),
            kind: SenderKind::User,
        },
        on_behalf_of: None,
        kind,
    }
}

/// `issues/labeled` on issue #7: `added` joins `others`.
pub(crate) fn issue_labeled(added: &str, others: &[&str]) -> Event {
    event(EventKind::IssueLabeled {
        issue: ISSUE,
        label: label(added),
        labels: set(others),
    })
}

pub(crate) fn issue_unlabeled(removed: &str) -> Event {
    event(EventKind::IssueUnlabeled {
        issue: ISSUE,
        label: label(removed),
    })
}

pub(crate) fn issue_comment(labels: &[&str], on_pull_request: bool) -> Event {
    event(EventKind::IssueCommentCreated {
        issue: ISSUE,
        on_pull_request,
        labels: set(labels),
    })
}

pub(crate) fn pr_labeled(added: &str, others: &[&str]) -> Event {
    event(EventKind::PullRequestLabeled {
        pull_request: PR,
        label: label(added),
        labels: set(others),
        head_sha: "abc123".to_owned(),
    })
}

pub(crate) fn pr_review(state: &str, labels: &[&str]) -> Event {
    event(EventKind::PullRequestReviewSubmitted {
        pull_request: PR,
        state: super::event::ReviewState::parse(state),
        labels: set(labels),
        head_sha: "abc123".to_owned(),
    })
}

pub(crate) fn other(kind: EventKind) -> Event {
    event(kind)
}

impl Event {
    pub(crate) fn sent_by(mut self, login: &str, kind: &str) -> Self {
        self.sender = Sender {
            login: Login::parse(login).expect("valid"),
            kind: SenderKind::parse(kind),
        };
        self
    }

    pub(crate) fn on_behalf_of(mut self, login: &str) -> Self {
        self.on_behalf_of = Some(Login::parse(login).expect("valid"));
        self
    }
}

/// A run record: stage, label-chosen model and reasoning.
pub(crate) fn run(
    stage: Option<Stage>,
    model: Option<&str>,
    reasoning: Option<ReasoningEffort>,
) -> RunRecord {
    RunRecord {
        stage,
        model: model.map(|m| ModelName::parse(m).expect("valid")),
        reasoning,
    }
}

impl Facts {
    /// A bound repository and a `read_write` project member; nothing else known.
    pub(crate) fn test() -> Self {
        Self {
            access: Access::User {
                platform: None,
                project: Some(ProjectRole::ReadWrite),
            },
            repository_bound: true,
            ..Self::default()
        }
    }

    pub(crate) fn with_access(mut self, access: Access) -> Self {
        self.access = access;
        self
    }

    pub(crate) fn unbound(mut self) -> Self {
        self.repository_bound = false;
        self
    }

    pub(crate) fn lineage(mut self) -> Self {
        self.candidate_lineage = true;
        self
    }

    pub(crate) fn discussing(mut self) -> Self {
        self.discussion_active = true;
        self
    }

    /// The Issue's open pull request #12 with `labels`.
    pub(crate) fn issue_pr(mut self, labels: &[&str]) -> Self {
        self.pull_request = Some(LinkedPullRequest {
            number: PR,
            labels: set(labels),
        });
        self
    }

    pub(crate) fn linked_issue(mut self, number: u64, labels: &[&str]) -> Self {
        self.linked_issues.push(LinkedIssue {
            number: IssueNumber(number),
            labels: set(labels),
        });
        self
    }

    pub(crate) fn last_pr_run(mut self, record: RunRecord) -> Self {
        self.last_pull_request_run = Some(record);
        self
    }

    pub(crate) fn last_issue_run(mut self, record: RunRecord) -> Self {
        self.last_issue_run = Some(record);
        self
    }
}

/// The serde name of a value (snake_case for enums).
pub(crate) fn name(value: impl Serialize) -> String {
    match serde_json::to_value(value).expect("serialisable") {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn names(labels: &[LabelName]) -> String {
    let names: Vec<&str> = labels.iter().map(LabelName::as_str).collect();
    format!("[{}]", names.join(", "))
}

fn selection<T: Serialize>(s: &Selection<T>) -> String {
    format!("{}/{}", name(&s.value), name(s.source))
}

fn change(c: &LabelChange) -> String {
    format!("add={} remove={}", names(&c.add), names(&c.remove))
}

/// One line per decision; the expected side of every table test.
pub(crate) fn summary(decision: &Decision) -> String {
    match decision {
        Decision::StartRun(plan) => {
            let kind = match plan.kind {
                RunKind::Stage(trigger) => name(trigger),
                RunKind::Reviewer => "reviewer".to_owned(),
                RunKind::Discussion => "discussion".to_owned(),
            };
            let build = match &plan.build {
                BuildRef::PullRequestHead { sha } => format!("pr_head:{sha}"),
                other => name(other.clone())
                    .trim_start_matches("{\"kind\":\"")
                    .trim_end_matches("\"}")
                    .to_owned(),
            };
            let mut line = format!(
                "start {kind} role={} mode={} env={} access={} build={build}",
                name(plan.role),
                name(plan.mode),
                name(plan.target_env),
                name(plan.access_profile),
            );
            if plan.model.source != super::profile::ProfileSource::Default
                || plan.reasoning.source != super::profile::ProfileSource::Default
            {
                line += &format!(
                    " model={} reasoning={}",
                    selection(&plan.model),
                    selection(&plan.reasoning)
                );
            }
            line += &format!(" label={}", plan.trigger_label);
            let on_issue = matches!(
                plan.source,
                TriggerSource::IssueLabel | TriggerSource::IssueComment
            );
            match (on_issue, plan.issue, plan.pull_request) {
                (true, _, Some(pr)) => line += &format!(" pr=#{}", pr.0),
                (false, Some(issue), _) => line += &format!(" issue=#{}", issue.0),
                _ => {}
            }
            if let Some(source) = plan.resolved_by {
                line += &format!(" resolver={}", name(source));
            }
            if plan.stop_discussion {
                line += " stop_discussion";
            }
            line
        }
        Decision::Ignore { reason } => format!("ignore {reason}"),
        Decision::Warn { reason, thread } => format!("warn {reason} on {thread}"),
        Decision::Conflict {
            reason,
            thread,
            labels,
        } => format!("conflict {reason} on {thread}: {}", names(labels)),
        Decision::NeedInput {
            reason,
            thread,
            suggestions,
        } => {
            let mut line = format!("need_input {reason} on {thread}");
            if !suggestions.is_empty() {
                let s: Vec<String> = suggestions.iter().map(name).collect();
                line += &format!(" suggest={}", s.join(","));
            }
            line
        }
        Decision::FailPrecondition {
            reason,
            thread,
            trigger_label,
            detail,
        } => format!("fail {reason} on {thread} label={trigger_label}: {detail}"),
        Decision::Cleanup { reason, target } => {
            let target = match target {
                CleanupTarget::Issue(n) => format!("issue #{}", n.0),
                CleanupTarget::PullRequest(n) => format!("pull request #{}", n.0),
                CleanupTarget::Discussion(n) => format!("discussion on issue #{}", n.0),
            };
            format!("cleanup {reason} {target}")
        }
        Decision::Record {
            reason,
            git_ref,
            head_sha,
        } => format!("record {reason} {git_ref} {head_sha}"),
        Decision::ApplyLabels { thread, change: c } => format!("apply on {thread} {}", change(c)),
        Decision::NeedsOwnerApproval {
            thread,
            pending,
            apply_now,
        } => format!(
            "approval on {thread} pending={} {}",
            names(pending),
            change(apply_now)
        ),
    }
}

/// Routes `event` with the default policy and compares the one-line summary.
pub(crate) fn check(event: &Event, facts: &Facts, expected: &str) {
    check_with(&policy(), event, facts, expected);
}

/// Routes `event` with `policy` and compares the one-line summary.
pub(crate) fn check_with(policy: &Policy, event: &Event, facts: &Facts, expected: &str) {
    let actual = summary(&route(policy, event, facts));
    assert_eq!(
        actual, expected,
        "\nevent: {:?}\nfacts: {facts:?}",
        event.kind
    );
}

/// Splits a text table into `(input, expected)` rows at the first `|`; blank lines are skipped.
pub(crate) fn rows(table: &str) -> Vec<(&str, &str)> {
    table
        .lines()
        .filter_map(|line| line.split_once('|'))
        .map(|(input, expected)| (input.trim(), expected.trim()))
        .collect()
}

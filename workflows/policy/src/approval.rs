//! Label changes asked for by agents: what applies now and what waits for the Owner.

use serde::{Deserialize, Serialize};

use super::catalog::{LabelKind, NeedLabel};
use super::config::Policy;
use super::decision::{Decision, LabelChange};
use super::event::Thread;
use super::label::{LabelName, LabelSet};

/// A label change an agent asked for through the platform's label tools.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLabelRequest {
    /// The Issue or pull request to change.
    pub thread: Thread,
    /// Labels to add.
    pub add: LabelSet,
    /// Labels to remove.
    pub remove: LabelSet,
}

/// Splits an agent's label change: labels that would start a run wait for the Owner, the rest apply.
///
/// Waiting: every `run:*` label, the discussion label on an Issue and `need:reviewer` on a pull request.
/// Removals never start runs (agents remove their own trigger label when they finish), so they apply.
pub fn route_agent_labels(policy: &Policy, request: &AgentLabelRequest) -> Decision {
    let (pending, add): (Vec<LabelName>, Vec<LabelName>) = request
        .add
        .iter()
        .cloned()
        .partition(|label| starts_run(policy.catalog().kind(label), request.thread));
    let apply_now = LabelChange {
        add,
        remove: request.remove.iter().cloned().collect(),
    };
    if pending.is_empty() {
        Decision::ApplyLabels {
            thread: request.thread,
            change: apply_now,
        }
    } else {
        Decision::NeedsOwnerApproval {
            thread: request.thread,
            pending,
            apply_now,
        }
    }
}

fn starts_run(kind: Option<&LabelKind>, thread: Thread) -> bool {
    matches!(
        (kind, thread),
        (Some(LabelKind::Trigger(_)), _)
            | (Some(LabelKind::Discussion), Thread::Issue(_))
            | (
                Some(LabelKind::Need(NeedLabel::Reviewer)),
                Thread::PullRequest(_)
            )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{IssueNumber, PullRequestNumber};
    use crate::fixture::{policy, set, summary};

    fn check(thread: Thread, add: &[&str], remove: &[&str], expected: &str) {
        let request = AgentLabelRequest {
            thread,
            add: set(add),
            remove: set(remove),
        };
        assert_eq!(summary(&route_agent_labels(&policy(), &request)), expected);
    }

    const ISSUE: Thread = Thread::Issue(IssueNumber(7));
    const PR: Thread = Thread::PullRequest(PullRequestNumber(12));

    #[test]
    fn state_and_need_labels_from_agents_apply_directly() {
        check(
            ISSUE,
            &["state:in-review", "need:qa", "[ai-model-gpt-5.2]"],
            &["run:dev"],
            "apply on issue #7 add=[state:in-review, need:qa, [ai-model-gpt-5.2]] remove=[run:dev]",
        );
        check(
            PR,
            &["state:in-review", "mode:discussion"],
            &[],
            "apply on pull request #12 add=[state:in-review, mode:discussion] remove=[]",
        );
        check(
            ISSUE,
            &["need:reviewer", "bug"],
            &[],
            "apply on issue #7 add=[need:reviewer, bug] remove=[]",
        );
    }

    #[test]
    fn labels_that_start_runs_wait_for_the_owner() {
        check(
            ISSUE,
            &["Run:QA", "state:in-review"],
            &["run:dev"],
            "approval on issue #7 pending=[Run:QA] add=[state:in-review] remove=[run:dev]",
        );
        check(
            ISSUE,
            &["mode:discussion"],
            &[],
            "approval on issue #7 pending=[mode:discussion] add=[] remove=[]",
        );
        check(
            PR,
            &["need:reviewer", "run:dev:revise"],
            &[],
            "approval on pull request #12 pending=[need:reviewer, run:dev:revise] add=[] remove=[]",
        );
    }
}
